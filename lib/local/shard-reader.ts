/**
 * Reads one shard in order and hands its records over in batches, one batch in flight at a time,
 * as Lambda's event source mapping does: a batch is invoked when it holds `batchSize` records,
 * when the batching window (counted from its first record) has passed, or when the next record
 * would take the event over Lambda's 6 MB payload limit. With no window, a batch goes as soon as
 * a read returns records.
 */
import { GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-kinesis';
import type { KinesisClient, ShardIteratorType, _Record } from '@aws-sdk/client-kinesis';
import { backoffDelay, Sleeper } from '../util/backoff';
import { describeError } from './batch-delivery';
import type { DeliveryTarget } from './batch-delivery';
import { PollerError } from './errors';
import { estimatedEventBytes } from './kinesis-record';
import type { EventSourceInfo, ShardRecord } from './kinesis-record';

/** Lambda's synchronous invocation payload limit. */
const MAX_EVENT_BYTES = 6 * 1024 * 1024;

/** Where a reader starts. */
export type StartPosition =
  { type: 'TRIM_HORIZON' | 'LATEST' } | { type: 'AFTER_SEQUENCE_NUMBER'; sequenceNumber: string };

/** What a reader needs from its poller. */
export interface ShardContext {
  client: KinesisClient;
  streamName: string;
  source: EventSourceInfo;
  batchSize: number;
  windowMs: number;
  pollIntervalMs: number;
  sleeper: Sleeper;
  isRunning(): boolean;
  /** A new number for a read about to start; numbers grow. */
  nextReadNumber(): number;
  /** Something changed (a read, a batch, an end): idle waiters check again. */
  notify(): void;
  deliver(shard: DeliveryTarget, records: ShardRecord[]): Promise<void>;
  /** The shard is closed and fully delivered: start its children. */
  onShardEnd(shardId: string): Promise<void>;
  onError(err: Error): void;
}

/** One shard's read loop and its progress. */
export class ShardReader implements DeliveryTarget {
  /** Last sequence number delivered or discarded. */
  checkpoint: string | undefined;
  millisBehindLatest = 0;
  /** A batch is being gathered or delivered. */
  busy = false;
  /** Closed, fully delivered, and its children started. */
  ended = false;
  /**
   * Known to be closed (it has an ending sequence number): idle only once ended, since reads of
   * a closed shard come back empty for a while before they report its end.
   */
  closed = false;
  /** Number of the last read that started and came back empty. */
  lastEmptyRead = 0;
  /** Records read but not yet in a batch (they did not fit the last one). */
  private buffer: ShardRecord[] = [];
  private iterator: string | undefined;
  /** Last sequence number read (for a new iterator when one expires). */
  private lastRead: string | undefined;
  private failedReads = 0;

  constructor(
    readonly shardId: string,
    private readonly ctx: ShardContext,
    private readonly start: StartPosition,
  ) {
    if (start.type === 'AFTER_SEQUENCE_NUMBER') this.checkpoint = this.lastRead = start.sequenceNumber;
  }

  /** True when nothing is pending here and a read that started after `mark` found the end. */
  isIdle(mark: number): boolean {
    return (
      this.ended || (!this.closed && !this.busy && this.buffer.length === 0 && this.lastEmptyRead > mark)
    );
  }

  /** Why {@link isIdle} is false, for timeout messages. */
  describe(): string {
    if (this.busy) return `${this.shardId}: a batch is being gathered or delivered`;
    if (this.buffer.length > 0)
      return `${this.shardId}: ${this.buffer.length} records wait for the next batch`;
    if (this.closed) return `${this.shardId}: closed, not yet read to its end`;
    return `${this.shardId}: not yet read to its end`;
  }

  /** {@inheritDoc DeliveryTarget.advance} */
  advance(sequenceNumber: string): void {
    this.checkpoint = sequenceNumber;
  }

  /** Reads and delivers until the poller stops or the shard is closed and done. */
  async run(): Promise<void> {
    this.iterator = await this.getIterator();
    while (this.ctx.isRunning()) {
      const batch = await this.gather();
      if (batch.length > 0) {
        this.busy = true;
        await this.ctx.deliver(this, batch);
        this.busy = false;
        this.ctx.notify();
        continue;
      }
      this.busy = false;
      if (this.iterator === undefined && this.buffer.length === 0) {
        if (!this.ctx.isRunning()) return;
        await this.ctx.onShardEnd(this.shardId);
        this.ended = true;
        this.ctx.notify();
        return;
      }
      await this.ctx.sleeper.sleep(this.ctx.pollIntervalMs);
    }
  }

  /** The next batch, or an empty one when the shard has nothing new (or the poller stops). */
  private async gather(): Promise<ShardRecord[]> {
    const batch: ShardRecord[] = [];
    let bytes = 0;
    let windowStart: number | undefined;
    let lastReadEmpty = false;
    for (;;) {
      while (this.buffer.length > 0 && batch.length < this.ctx.batchSize) {
        const next = this.buffer[0];
        const size = estimatedEventBytes(byteLength(next.data), next.partitionKey, this.ctx.source);
        if (batch.length > 0 && bytes + size > MAX_EVENT_BYTES) return batch;
        batch.push(next);
        this.buffer.shift();
        bytes += size;
      }
      if (batch.length >= this.ctx.batchSize || this.iterator === undefined) return batch;
      if (!this.ctx.isRunning()) return [];
      if (batch.length > 0) {
        this.busy = true;
        windowStart ??= Date.now();
        const remaining = this.ctx.windowMs - (Date.now() - windowStart);
        if (remaining <= 0) return batch;
        if (lastReadEmpty) await this.ctx.sleeper.sleep(Math.min(this.ctx.pollIntervalMs, remaining));
        if (!this.ctx.isRunning()) return [];
      } else if (lastReadEmpty) {
        return batch;
      }
      const got = await this.read(this.ctx.batchSize - batch.length);
      lastReadEmpty = got === 0;
      if (got < 0) return batch;
    }
  }

  /** One GetRecords into the buffer. Returns the records read, or -1 after a read error. */
  private async read(limit: number): Promise<number> {
    const readNumber = this.ctx.nextReadNumber();
    try {
      const out = await this.ctx.client.send(
        new GetRecordsCommand({ ShardIterator: this.iterator, Limit: Math.min(10_000, Math.max(1, limit)) }),
      );
      this.failedReads = 0;
      this.iterator = out.NextShardIterator;
      this.millisBehindLatest = out.MillisBehindLatest ?? 0;
      const records = (out.Records ?? []).map((r) => this.toShardRecord(r));
      this.buffer.push(...records);
      if (records.length > 0) this.lastRead = records[records.length - 1].sequenceNumber;
      else this.lastEmptyRead = readNumber;
      this.ctx.notify();
      return records.length;
    } catch (err) {
      await this.recover(err as Error);
      return -1;
    }
  }

  private async recover(err: Error): Promise<void> {
    if (err.name === 'ExpiredIteratorException') {
      this.iterator = await this.getIterator();
      return;
    }
    if (err.name === 'ResourceNotFoundException') {
      throw new PollerError(
        `Stream '${this.ctx.streamName}' or its shard ${this.shardId} no longer exists (${err.message}). ` +
          `Create the stream again and restart the poller.`,
        { cause: err },
      );
    }
    this.failedReads += 1;
    this.ctx.onError(
      new PollerError(`GetRecords on ${this.shardId} failed, retrying: ${describeError(err)}`, {
        cause: err,
      }),
    );
    await this.ctx.sleeper.sleep(this.ctx.pollIntervalMs + backoffDelay(this.failedReads, 100, 5000));
  }

  /** An iterator at the start position, or after the last record read once reading began. */
  private async getIterator(): Promise<string | undefined> {
    const after = this.lastRead;
    const type: ShardIteratorType =
      after !== undefined ? 'AFTER_SEQUENCE_NUMBER' : (this.start.type as ShardIteratorType);
    try {
      const out = await this.ctx.client.send(
        new GetShardIteratorCommand({
          StreamName: this.ctx.streamName,
          ShardId: this.shardId,
          ShardIteratorType: type,
          ...(after !== undefined ? { StartingSequenceNumber: after } : {}),
        }),
      );
      return out.ShardIterator;
    } catch (err) {
      throw new PollerError(
        `Could not get a ${type} iterator for ${this.shardId} of stream '${this.ctx.streamName}': ` +
          `${describeError(err)}. Check that the stream exists and, for a resumed checkpoint, that the ` +
          `sequence number belongs to this shard.`,
        { cause: err },
      );
    }
  }

  private toShardRecord(r: _Record): ShardRecord {
    return {
      shardId: this.shardId,
      sequenceNumber: r.SequenceNumber ?? '',
      partitionKey: r.PartitionKey ?? '',
      data: r.Data ?? new Uint8Array(0),
      approximateArrivalTimestamp: r.ApproximateArrivalTimestamp?.getTime() ?? Date.now(),
    };
  }
}

function byteLength(data: Uint8Array | string): number {
  return typeof data === 'string' ? Buffer.byteLength(data) : data.length;
}

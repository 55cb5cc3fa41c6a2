/**
 * Delivers one shard's batch to the handler with Lambda's error handling for stream sources:
 *
 * - success: the shard's checkpoint moves past the batch;
 * - partial failure (`batchItemFailures`): checkpoint before the lowest failed record, and retry
 *   from it (a retry);
 * - function error: with bisect on, split the batch in halves and deliver each (splits do not use
 *   up retries); a single record, or bisect off, is retried as it is;
 * - retries exhausted, or records older than the maximum age: to the on-failure destination, and
 *   the shard moves on.
 *
 * Records of a shard are delivered strictly in order: halves one after the other, retries before
 * anything newer.
 */
import type { KinesisStreamRecord } from 'aws-lambda';
import { parseBatchResponse } from './batch-response';
import type { BatchOutcome } from './batch-response';
import { PollerError } from './errors';
import { toKinesisStreamRecord } from './kinesis-record';
import type { EventSourceInfo, ShardRecord } from './kinesis-record';
import type { BatchStats, FailedBatch, KinesisHandlerFn } from './poller-types';

/** The delivery settings, defaults resolved. */
export interface DeliverySettings {
  handler: KinesisHandlerFn;
  bisectBatchOnFunctionError: boolean;
  maximumRetryAttempts: number;
  maximumRecordAgeInSeconds: number | undefined;
  reportBatchItemFailures: boolean;
  onFailure: (info: FailedBatch) => Promise<void>;
  onBatch: ((stats: BatchStats) => void) | undefined;
  /** False once the poller stops: pending retries are abandoned (nothing checkpointed for them). */
  isRunning: () => boolean;
}

/** What delivery needs of the shard it delivers for. */
export interface DeliveryTarget {
  readonly shardId: string;
  readonly millisBehindLatest: number;
  /** Records up to and including this sequence number are done with. */
  advance(sequenceNumber: string): void;
}

/** Delivers batches for every shard of one poller. */
export class BatchDelivery {
  constructor(
    private readonly settings: DeliverySettings,
    private readonly source: EventSourceInfo,
  ) {}

  /** Delivers `records` (in shard order), retrying and bisecting as configured. */
  async deliver(shard: DeliveryTarget, records: ShardRecord[], retry = 0): Promise<void> {
    if (!this.settings.isRunning()) return;
    const fresh = await this.dropExpired(shard, records);
    if (fresh.length === 0) return;

    const outcome = await this.invoke(shard, fresh, retry);
    if (outcome.kind === 'success') {
      shard.advance(last(fresh).sequenceNumber);
    } else if (outcome.kind === 'partial') {
      if (outcome.index > 0) shard.advance(fresh[outcome.index - 1].sequenceNumber);
      await this.retryOrDiscard(
        shard,
        fresh.slice(outcome.index),
        retry,
        'a record of the batch was reported in batchItemFailures',
      );
    } else if (this.settings.bisectBatchOnFunctionError && fresh.length > 1) {
      const middle = Math.ceil(fresh.length / 2);
      await this.deliver(shard, fresh.slice(0, middle), retry);
      await this.deliver(shard, fresh.slice(middle), retry);
    } else {
      await this.retryOrDiscard(shard, fresh, retry, outcome.error);
    }
  }

  private async retryOrDiscard(
    shard: DeliveryTarget,
    records: ShardRecord[],
    retry: number,
    error: string,
  ): Promise<void> {
    if (retry < this.settings.maximumRetryAttempts) {
      await this.deliver(shard, records, retry + 1);
      return;
    }
    if (!this.settings.isRunning()) return;
    await this.discard(shard, records, 'RetryAttemptsExhausted', retry + 1, error);
  }

  private async invoke(shard: DeliveryTarget, records: ShardRecord[], retry: number): Promise<BatchOutcome> {
    const event = { Records: records.map((r) => toKinesisStreamRecord(r, this.source)) };
    const started = performance.now();
    let outcome: BatchOutcome;
    try {
      const response = await this.settings.handler(event);
      outcome = this.settings.reportBatchItemFailures
        ? parseBatchResponse(
            response,
            records.map((r) => r.sequenceNumber),
          )
        : { kind: 'success' };
    } catch (err) {
      outcome = { kind: 'failed', error: describeError(err) };
    }
    this.settings.onBatch?.({
      shardId: shard.shardId,
      records: records.length,
      millisBehindLatest: shard.millisBehindLatest,
      durationMs: performance.now() - started,
      outcome: outcome.kind,
      retry,
      ...(outcome.kind === 'failed' ? { error: outcome.error } : {}),
    });
    return outcome;
  }

  /**
   * Sends the leading records older than the maximum age to onFailure; returns the rest. Arrival
   * times grow along a shard, so the too-old records are a prefix of the batch.
   */
  private async dropExpired(shard: DeliveryTarget, records: ShardRecord[]): Promise<ShardRecord[]> {
    const maxAge = this.settings.maximumRecordAgeInSeconds;
    if (maxAge === undefined) return records;
    const oldest = Date.now() - maxAge * 1000;
    let fresh = records.findIndex((r) => r.approximateArrivalTimestamp >= oldest);
    if (fresh === -1) fresh = records.length;
    if (fresh === 0) return records;
    await this.discard(shard, records.slice(0, fresh), 'RecordAgeExceeded', 0);
    return records.slice(fresh);
  }

  private async discard(
    shard: DeliveryTarget,
    records: ShardRecord[],
    reason: FailedBatch['reason'],
    attempts: number,
    lastError?: string,
  ): Promise<void> {
    const info: FailedBatch = {
      shardId: shard.shardId,
      streamArn: this.source.streamArn,
      startSequenceNumber: records[0].sequenceNumber,
      endSequenceNumber: last(records).sequenceNumber,
      batchSize: records.length,
      records: records.map((r): KinesisStreamRecord => toKinesisStreamRecord(r, this.source)),
      reason,
      attempts,
      ...(lastError !== undefined ? { lastError } : {}),
    };
    try {
      await this.settings.onFailure(info);
    } catch (err) {
      throw new PollerError(
        `The on-failure destination failed for ${records.length} records of ${shard.shardId} ` +
          `(${info.startSequenceNumber} to ${info.endSequenceNumber}, ${reason}): ${describeError(err)}. ` +
          `The poller stopped rather than lose them; fix the destination and start again.`,
        { cause: err },
      );
    }
    shard.advance(info.endSequenceNumber);
  }
}

function last<T>(items: readonly T[]): T {
  return items[items.length - 1];
}

/** An error as one line: `Name: message`. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return `non-Error thrown: ${String(err)}`;
}

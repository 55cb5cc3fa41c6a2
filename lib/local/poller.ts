/**
 * The local stand-in for Lambda's Kinesis event source mapping, over a real (emulated) stream:
 * every shard read in order with one batch in flight, shards concurrently; batches by size and
 * batching window; real `KinesisStreamEvent`s; `batchItemFailures`, bisect on error, bounded
 * retries, maximum record age and an on-failure destination (see batch-delivery.ts); plus the
 * scheduled closer's tick.
 *
 * Resharding is followed: when a shard is closed and read to its end, its children are listed
 * and read from their start, a merged child once both parents are done (with TRIM_HORIZON,
 * children found at start wait for their parents too). Parallelization factor, tumbling windows
 * and enhanced fan-out are not emulated.
 */
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import type { Shard } from '@aws-sdk/client-kinesis';
import { listShards } from '../runtime/list-shards';
import { Sleeper } from '../util/backoff';
import { BatchDelivery, describeError } from './batch-delivery';
import { PollerConfigError, PollerError, PollerTimeoutError } from './errors';
import type { EventSourceInfo } from './kinesis-record';
import type { FailedBatch, KinesisPollerOptions } from './poller-types';
import { ShardReader } from './shard-reader';
import type { ShardContext, StartPosition } from './shard-reader';

export type { KinesisPollerOptions, BatchStats, FailedBatch, KinesisHandlerFn } from './poller-types';

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * Polls a Kinesis stream and invokes a Lambda-style handler, as the event source mapping would.
 *
 * @example
 * const poller = new KinesisPoller({ client: kinesisClient({ endpoint }), streamName: 'lines', handler });
 * await poller.start();
 * await poller.runUntilIdle({ timeoutMs: 10_000 });
 * await poller.stop();
 */
export class KinesisPoller {
  private state: State = 'new';
  private readonly readers = new Map<string, ShardReader>();
  private readonly loops: Promise<void>[] = [];
  private readonly sleeper = new Sleeper();
  private readonly listeners = new Set<() => void>();
  private readonly windowMs: number;
  private readCounter = 0;
  private pendingShardEnds = 0;
  private fatal: Error | undefined;
  private tickChain: Promise<void> = Promise.resolve();
  private tickLoop: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private context: ShardContext | undefined;

  constructor(private readonly opts: KinesisPollerOptions) {
    validate(opts);
    this.windowMs = (opts.maximumBatchingWindowInSeconds ?? 0) * 1000;
  }

  /** The fatal error that stopped the poller, if any. */
  get error(): Error | undefined {
    return this.fatal;
  }

  /**
   * Looks the stream up, lists its shards and starts reading them (and the tick, if any).
   * Resolves once reading has started; rejects if the stream cannot be found.
   */
  async start(): Promise<void> {
    if (this.state !== 'new')
      throw new PollerConfigError(`start() was already called (the poller is ${this.state}).`);
    this.state = 'starting';
    let shards: Shard[];
    try {
      this.context = this.shardContext(await this.describeSource());
      shards = await this.listShards();
    } catch (err) {
      this.state = 'stopped';
      throw err;
    }
    if (this.state !== 'starting') return;
    this.state = 'running';
    for (const shard of this.initialShards(shards)) this.startReader(shard, shard.start);
    if (this.opts.tick) this.tickLoop = this.runTickLoop();
  }

  /**
   * Stops reading and ticking; waits for the batch (and tick) in flight to finish. Batches not yet
   * invoked are dropped, as they would be redelivered from the checkpoint. Safe to call twice.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /**
   * Resolves once every shard has been read to its end as of this call (a read that started after
   * the call found nothing new) and no batch is gathered or in flight.
   *
   * @throws {PollerTimeoutError} not idle within `timeoutMs` (default 30 s); says which shards
   * @throws {PollerError} the poller stopped, or failed, first
   */
  runUntilIdle(opts: { timeoutMs?: number } = {}): Promise<void> {
    if (this.state !== 'running') {
      return Promise.reject(
        new PollerConfigError(
          `runUntilIdle() needs a running poller: call start() first (it is ${this.state}).`,
        ),
      );
    }
    const mark = this.readCounter;
    const timeoutMs = opts.timeoutMs ?? 30_000;
    return new Promise<void>((resolve, reject) => {
      let listed = false;
      const finish = (err?: Error) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        if (err) reject(err);
        else resolve();
      };
      const check = () => {
        if (this.fatal) finish(this.fatal);
        else if (this.state !== 'running')
          finish(new PollerError('The poller was stopped before every shard was idle.'));
        else if (listed && this.isIdle(mark)) finish();
      };
      const timer = setTimeout(() => finish(this.timeoutError(mark, timeoutMs)), timeoutMs);
      this.listeners.add(check);
      // Shards closed since start (resharding) must be read to their end, not just to a pause.
      this.listShards().then(
        (shards) => {
          this.markClosed(shards);
          listed = true;
          check();
        },
        (err: Error) => finish(err),
      );
    });
  }

  /** Runs the tick once now (after the one in progress, if any); rejects if it throws. */
  tickNow(): Promise<void> {
    const tick = this.opts.tick;
    if (!tick) return Promise.resolve();
    const run = this.tickChain.then(() => tick());
    this.tickChain = run.catch(() => undefined);
    return run;
  }

  /** Shard id to the last sequence number delivered or discarded, for `checkpoints` on a restart. */
  getCheckpoints(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [id, reader] of this.readers) if (reader.checkpoint !== undefined) out[id] = reader.checkpoint;
    return out;
  }

  private isRunning = (): boolean => this.state === 'running';

  private notify = (): void => {
    for (const listener of [...this.listeners]) listener();
  };

  private isIdle(mark: number): boolean {
    if (this.pendingShardEnds > 0 || this.readers.size === 0) return false;
    for (const reader of this.readers.values()) if (!reader.isIdle(mark)) return false;
    return true;
  }

  private timeoutError(mark: number, timeoutMs: number): Error {
    const busy = [...this.readers.values()].filter((r) => !r.isIdle(mark)).map((r) => r.describe());
    return new PollerTimeoutError(
      `Stream '${this.opts.streamName}' was not idle after ${timeoutMs} ms: ${busy.join('; ') || 'shards not started yet'}. ` +
        `A slow or hanging handler keeps a batch in flight; raise timeoutMs if the input is large.`,
    );
  }

  private async shutdown(): Promise<void> {
    if (this.state === 'new') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    this.sleeper.wakeAll();
    this.notify();
    // A shard that ended just now may have started children: wait for those too.
    for (let waited = 0; waited < this.loops.length;) {
      const batch = this.loops.slice(waited);
      waited = this.loops.length;
      await Promise.allSettled(batch);
    }
    await this.tickLoop;
    await this.tickChain;
    this.state = 'stopped';
    this.notify();
  }

  private fail(err: Error): void {
    if (this.fatal) return;
    this.fatal = err;
    this.opts.onError?.(err);
    if (this.state === 'running' || this.state === 'starting') {
      this.state = 'stopping';
      this.sleeper.wakeAll();
    }
    this.notify();
  }

  private async describeSource(): Promise<EventSourceInfo> {
    let streamArn = this.opts.streamArn;
    if (streamArn === undefined) {
      try {
        const out = await this.opts.client.send(
          new DescribeStreamSummaryCommand({ StreamName: this.opts.streamName }),
        );
        streamArn = out.StreamDescriptionSummary?.StreamARN ?? '';
      } catch (err) {
        throw this.lookupError(err);
      }
    }
    return { streamArn, awsRegion: await this.opts.client.config.region() };
  }

  private async listShards(): Promise<Shard[]> {
    try {
      return await listShards(this.opts.client, this.opts.streamName);
    } catch (err) {
      throw this.lookupError(err);
    }
  }

  private lookupError(err: unknown): Error {
    const name = (err as Error).name;
    const hint =
      name === 'ResourceNotFoundException'
        ? 'Create it first (ensureStream, or `aws kinesis create-stream`), or check the endpoint and region.'
        : 'Check the endpoint, region and credentials of the Kinesis client.';
    return new PollerError(
      `Could not read stream '${this.opts.streamName}': ${describeError(err)}. ${hint}`,
      { cause: err },
    );
  }

  /** The shards to read first: open ones at LATEST, or those without a parent still to read. */
  private initialShards(shards: Shard[]): Array<Shard & { start: StartPosition }> {
    const checkpoints = this.opts.checkpoints ?? {};
    const ids = new Set(shards.map((s) => s.ShardId));
    const latest = this.opts.startingPosition === 'LATEST';
    return shards
      .filter((s) =>
        latest
          ? s.SequenceNumberRange?.EndingSequenceNumber === undefined
          : parentsOf(s).every((p) => !ids.has(p)),
      )
      .map((s) => {
        const seq = checkpoints[s.ShardId as string];
        const start: StartPosition =
          seq !== undefined
            ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: seq }
            : { type: latest ? 'LATEST' : 'TRIM_HORIZON' };
        return { ...s, start };
      });
  }

  private markClosed(shards: Shard[]): void {
    for (const shard of shards) {
      const reader = this.readers.get(shard.ShardId as string);
      if (reader && shard.SequenceNumberRange?.EndingSequenceNumber !== undefined) reader.closed = true;
    }
  }

  private startReader(shard: Shard, start: StartPosition): void {
    const shardId = shard.ShardId as string;
    if (this.readers.has(shardId) || !this.context || !this.isRunning()) return;
    const reader = new ShardReader(shardId, this.context, start);
    reader.closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
    this.readers.set(shardId, reader);
    this.loops.push(reader.run().catch((err: Error) => this.fail(err)));
  }

  /** A closed shard is done: start each child whose parents are all done. */
  private async onShardEnd(shardId: string): Promise<void> {
    this.pendingShardEnds += 1;
    try {
      const shards = await this.listShards();
      const ids = new Set(shards.map((s) => s.ShardId));
      const done = (id: string) => id === shardId || this.readers.get(id)?.ended === true || !ids.has(id);
      for (const child of shards) {
        const parents = parentsOf(child);
        if (parents.includes(shardId) && parents.every(done)) {
          this.startReader(child, { type: 'TRIM_HORIZON' });
        }
      }
    } finally {
      this.pendingShardEnds -= 1;
    }
  }

  private shardContext(source: EventSourceInfo): ShardContext {
    const delivery = new BatchDelivery(
      {
        handler: this.opts.handler,
        bisectBatchOnFunctionError: this.opts.bisectBatchOnFunctionError ?? true,
        maximumRetryAttempts: this.opts.maximumRetryAttempts ?? 2,
        maximumRecordAgeInSeconds: this.opts.maximumRecordAgeInSeconds,
        reportBatchItemFailures: this.opts.reportBatchItemFailures ?? true,
        onFailure: this.opts.onFailure ?? logFailedBatch,
        onBatch: this.opts.onBatch,
        isRunning: this.isRunning,
      },
      source,
    );
    return {
      client: this.opts.client,
      streamName: this.opts.streamName,
      source,
      batchSize: this.opts.batchSize ?? 100,
      windowMs: this.windowMs,
      pollIntervalMs: this.opts.pollIntervalMs ?? 200,
      sleeper: this.sleeper,
      isRunning: this.isRunning,
      nextReadNumber: () => ++this.readCounter,
      notify: this.notify,
      deliver: (shard, records) => delivery.deliver(shard, records),
      onShardEnd: (shardId) => this.onShardEnd(shardId),
      onError: (err) => this.opts.onError?.(err),
    };
  }

  private async runTickLoop(): Promise<void> {
    const interval = this.opts.tickIntervalMs ?? 1000;
    const phase = this.opts.tickPhaseMs;
    while (this.isRunning()) {
      const now = Date.now();
      const wait =
        phase === undefined ? interval : (Math.floor((now - phase) / interval) + 1) * interval + phase - now;
      await this.sleeper.sleep(wait);
      if (!this.isRunning()) return;
      await this.tickNow().catch((err: Error) =>
        this.opts.onError?.(
          new PollerError(`The scheduled tick failed: ${describeError(err)}`, { cause: err }),
        ),
      );
    }
  }
}

function parentsOf(shard: Shard): string[] {
  return [shard.ParentShardId, shard.AdjacentParentShardId].filter((p): p is string => p !== undefined);
}

/** The default on-failure destination: one line on stderr, so that nothing is dropped silently. */
async function logFailedBatch(info: FailedBatch): Promise<void> {
  process.stderr.write(
    `dstream poller: discarded ${info.batchSize} records of ${info.shardId} ` +
      `(${info.startSequenceNumber} to ${info.endSequenceNumber}): ${info.reason}` +
      `${info.lastError ? `, last error ${info.lastError}` : ''}. Pass onFailure to keep them.\n`,
  );
}

function validate(opts: KinesisPollerOptions): void {
  const checks: Array<[boolean, string]> = [
    [
      typeof opts.handler === 'function',
      'handler must be a function (event) => Promise<KinesisStreamBatchResponse | void>',
    ],
    [Boolean(opts.streamName), 'streamName is required'],
    [
      isIntIn(opts.batchSize, 1, 10_000),
      `batchSize must be an integer from 1 to 10000, got ${opts.batchSize}`,
    ],
    [
      isNumIn(opts.maximumBatchingWindowInSeconds, 0, 300),
      `maximumBatchingWindowInSeconds must be from 0 to 300, got ${opts.maximumBatchingWindowInSeconds}`,
    ],
    [
      isIntIn(opts.maximumRetryAttempts, 0, 10_000),
      `maximumRetryAttempts must be an integer from 0 to 10000, got ${opts.maximumRetryAttempts} ` +
        '(unbounded retries let one bad record block its shard)',
    ],
    [
      opts.maximumRecordAgeInSeconds === undefined || opts.maximumRecordAgeInSeconds > 0,
      `maximumRecordAgeInSeconds must be positive, or left out for no limit, got ${opts.maximumRecordAgeInSeconds}`,
    ],
    [
      opts.startingPosition === undefined ||
        opts.startingPosition === 'TRIM_HORIZON' ||
        opts.startingPosition === 'LATEST',
      `startingPosition must be 'TRIM_HORIZON' or 'LATEST', got '${opts.startingPosition}'`,
    ],
    [
      isNumIn(opts.pollIntervalMs, 1, 60_000),
      `pollIntervalMs must be from 1 to 60000, got ${opts.pollIntervalMs}`,
    ],
    [
      isNumIn(opts.tickIntervalMs, 1, 3_600_000),
      `tickIntervalMs must be from 1 to 3600000, got ${opts.tickIntervalMs}`,
    ],
    [
      isNumIn(opts.tickPhaseMs, 0, 3_600_000),
      `tickPhaseMs must be from 0 to 3600000, got ${opts.tickPhaseMs}`,
    ],
  ];
  const errors = checks.filter(([ok]) => !ok).map(([, message]) => message);
  if (errors.length > 0) throw new PollerConfigError(`Invalid KinesisPoller options: ${errors.join('; ')}.`);
}

function isIntIn(value: number | undefined, min: number, max: number): boolean {
  return value === undefined || (Number.isInteger(value) && value >= min && value <= max);
}

function isNumIn(value: number | undefined, min: number, max: number): boolean {
  return value === undefined || (Number.isFinite(value) && value >= min && value <= max);
}

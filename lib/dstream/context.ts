import { DStreamGraph } from '../plan/graph';
import { secondsToMs } from '../plan/time';

/** Options of a StreamingContext. */
export interface StreamingContextOptions {
  /** Batch interval in seconds (PySpark's `StreamingContext(sc, 1)`). */
  batchInterval: number;
  /**
   * `'system'` (default): batches run on the wall clock, at multiples of the interval.
   * `'manual'`: batches run only when `runBatches(n)` is awaited (tests, Spark's ManualClock).
   */
  clock?: 'system' | 'manual';
  /** Manual clock only: start time in ms (a multiple of the interval); the first batch is one interval later. @default 0 */
  startTime?: number;
}

/**
 * The entry point, as Spark's StreamingContext: create input streams, define operations and
 * outputs, then `start()`. Sources (`queueStream`, `socketTextStream`, ...) are added to this class
 * by their own modules.
 */
export class StreamingContext {
  /** Batch interval in ms. */
  readonly batchIntervalMs: number;
  /** Batch interval in seconds, as given. */
  readonly batchInterval: number;
  readonly clock: 'system' | 'manual';
  readonly graph = new DStreamGraph();
  private nextBatchTime: number | undefined;
  private readonly startTime: number;
  private timer: NodeJS.Timeout | undefined;
  private termination: Promise<void> | undefined;
  private resolveTermination: (() => void) | undefined;
  private rejectTermination: ((e: unknown) => void) | undefined;
  private running: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(options: StreamingContextOptions) {
    if (options === null || typeof options !== 'object') {
      throw new Error(
        'new StreamingContext({ batchInterval }) takes an options object, e.g. { batchInterval: 1 }.',
      );
    }
    this.batchIntervalMs = secondsToMs(options.batchInterval, 'batchInterval');
    this.batchInterval = options.batchInterval;
    const clock = options.clock ?? 'system';
    if (clock !== 'system' && clock !== 'manual') {
      throw new Error(`clock must be 'system' or 'manual', got ${String(clock)}.`);
    }
    this.clock = clock;
    this.startTime = options.startTime ?? 0;
    if (this.startTime % this.batchIntervalMs !== 0) {
      throw new Error(
        `startTime (${this.startTime} ms) must be a multiple of the batch interval (${this.batchIntervalMs} ms).`,
      );
    }
  }

  /** True between start() and stop(). */
  get isActive(): boolean {
    return this.graph.started && !this.graph.stopped;
  }

  /** The next batch time (ms) the context will run, once started. */
  get nextBatch(): number | undefined {
    return this.nextBatchTime;
  }

  /**
   * Starts the computation: fixes zero time, starts receivers, and with the system clock runs a
   * batch at every multiple of the interval. No operation may be defined afterwards.
   */
  start(): void {
    if (this.graph.started) throw new Error('StreamingContext already started: call start() once.');
    const zero =
      this.clock === 'manual'
        ? this.startTime
        : Math.floor(Date.now() / this.batchIntervalMs) * this.batchIntervalMs;
    this.graph.start(zero);
    this.nextBatchTime = zero + this.batchIntervalMs;
    this.termination = new Promise<void>((resolve, reject) => {
      this.resolveTermination = resolve;
      this.rejectTermination = reject;
    });
    this.termination.catch(() => undefined);
    for (const r of this.graph.receivers) void Promise.resolve(r.startReceiver()).catch((e) => this.fail(e));
    if (this.clock === 'system') this.scheduleNext();
  }

  private scheduleNext(): void {
    if (this.graph.stopped || this.nextBatchTime === undefined) return;
    const delay = Math.max(0, this.nextBatchTime - Date.now());
    this.timer = setTimeout(() => {
      const time = this.nextBatchTime as number;
      this.nextBatchTime = time + this.batchIntervalMs;
      this.running = this.running
        .then(() => (this.graph.stopped ? undefined : this.graph.runBatch(time)))
        .catch((e) => this.fail(e));
      this.scheduleNext();
    }, delay);
  }

  private fail(e: unknown): void {
    if (this.failure === undefined) this.failure = e;
    this.rejectTermination?.(e);
    void this.stop();
  }

  /**
   * Manual clock: computes the next `n` batches, in order, awaiting every output. Rejects with the
   * error of a failing output or user function.
   */
  async runBatches(n = 1): Promise<void> {
    if (this.clock !== 'manual') {
      throw new Error(
        "runBatches() needs a manual clock: new StreamingContext({ batchInterval, clock: 'manual' }).",
      );
    }
    if (!this.graph.started) throw new Error('Call ssc.start() before runBatches().');
    if (this.graph.stopped) throw new Error('The StreamingContext is stopped.');
    for (let i = 0; i < n; i++) {
      const time = this.nextBatchTime as number;
      this.nextBatchTime = time + this.batchIntervalMs;
      await this.graph.runBatch(time);
    }
  }

  /**
   * Waits until the context is stopped (or `timeoutSec` passes: resolves false). Rejects with the
   * error that stopped it, if any.
   */
  async awaitTermination(timeoutSec?: number): Promise<boolean> {
    if (!this.termination) throw new Error('Call ssc.start() before awaitTermination().');
    if (timeoutSec === undefined) {
      await this.termination;
      return true;
    }
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      t = setTimeout(() => resolve(false), timeoutSec * 1000);
    });
    try {
      return await Promise.race([this.termination.then(() => true), timeout]);
    } finally {
      clearTimeout(t);
    }
  }

  /** Stops batches and receivers; waits for the running batch to finish. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.graph.stopped) return;
    this.graph.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const r of this.graph.receivers) {
      try {
        await r.stopReceiver();
      } catch {
        // a receiver that fails to stop must not keep the others running
      }
    }
    await this.running.catch(() => undefined);
    if (this.failure === undefined) this.resolveTermination?.();
  }
}

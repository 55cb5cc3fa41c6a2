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
  private running: Promise<void> = Promise.resolve();
  /** The last error reported (Spark's ContextWaiter keeps the last one), boxed: any value can be thrown. */
  private error: { value: unknown } | undefined;
  /** True once stop() has finished. */
  private terminated = false;
  /** awaitTermination calls waiting for a stop or an error. */
  private waiters: (() => void)[] = [];

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
    for (const r of this.graph.receivers) {
      void Promise.resolve(r.startReceiver()).catch((e) => {
        this.reportError(e);
        void this.stop();
      });
    }
    if (this.clock === 'system') this.scheduleNext();
  }

  /**
   * Sets how long (seconds) every stream keeps its computed batches, at least: what `slice()` can
   * still return for past times (Spark's `StreamingContext.remember`). Call before `start()`.
   * @example ssc.remember(60)
   */
  remember(durationSec: number): void {
    this.graph.checkDefinable('set the remember duration');
    this.graph.rememberMs = secondsToMs(durationSec, 'remember duration');
  }

  private scheduleNext(): void {
    if (this.graph.stopped || this.nextBatchTime === undefined) return;
    const delay = Math.max(0, this.nextBatchTime - Date.now());
    this.timer = setTimeout(() => {
      const time = this.nextBatchTime as number;
      this.nextBatchTime = time + this.batchIntervalMs;
      // A failed batch does not stop the context: later batches run, and the error is raised from
      // awaitTermination (Spark's JobScheduler reports it to the ContextWaiter and carries on).
      this.running = this.running
        .then(() => (this.graph.stopped ? undefined : this.graph.runBatch(time)))
        .catch((e) => this.reportError(e, time));
      this.scheduleNext();
    }, delay);
  }

  /** Records an error for awaitTermination (the last one wins, as Spark's) and logs it. */
  private reportError(e: unknown, batchTime?: number): void {
    this.error = { value: e };
    const where = batchTime === undefined ? 'receiver' : `batch ${batchTime} ms`;
    process.stderr.write(
      `StreamingContext: ${where} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /**
   * Manual clock: computes the next `n` batches, in order, awaiting every output. Rejects with the
   * error of a failing output or user function, after the other outputs of that batch have run and
   * before the next batch (a later call goes on with the batches after it); awaitTermination raises
   * it too.
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
      try {
        await this.graph.runBatch(time);
      } catch (e) {
        this.error = { value: e };
        this.wake();
        throw e;
      }
    }
  }

  /**
   * Waits until the context is stopped: resolves true, or false when `timeoutSec` passes first.
   * Rejects with the error of a failed batch as soon as one fails (at once if one already has; the
   * last one when several have), as Spark's `awaitTermination`: with the system clock the context
   * keeps running later batches, so stop it (or let it run) after handling the error.
   */
  async awaitTermination(timeoutSec?: number): Promise<boolean> {
    if (!this.graph.started) throw new Error('Call ssc.start() before awaitTermination().');
    const deadline = timeoutSec === undefined ? undefined : Date.now() + timeoutSec * 1000;
    for (;;) {
      if (this.error) throw this.error.value;
      if (this.terminated) return true;
      const left = deadline === undefined ? undefined : deadline - Date.now();
      if (left !== undefined && left <= 0) return false;
      await new Promise<void>((resolve) => {
        const t = left === undefined ? undefined : setTimeout(done, left);
        const waiters = this.waiters;
        function done(): void {
          clearTimeout(t);
          const i = waiters.indexOf(done);
          if (i >= 0) waiters.splice(i, 1);
          resolve();
        }
        waiters.push(done);
      });
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
    this.terminated = true;
    this.wake();
  }
}

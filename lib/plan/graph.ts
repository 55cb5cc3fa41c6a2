import type { DStream } from '../dstream/dstream';
import type { RDD } from '../dstream/rdd';

/** An output operation: runs once per batch time at which its stream is valid (Spark's ForEachDStream). */
export interface OutputStream {
  readonly stream: DStream<unknown>;
  /** Runs the output for batch `time`; awaited before the next output of the same batch. */
  generateJob(time: number): void | Promise<void>;
  /** What kind of output (`pprint`, `saveAsTextFiles`, `foreachRDD`...), for logs and the UI. */
  readonly kind?: string;
  /** The last batch this output ran for and how many elements it was given. */
  readonly lastRun?: { time: number; elements: number };
}

/** An input stream with a background receiver (socket), started and stopped with the context. */
export interface Receiver {
  startReceiver(): void | Promise<void>;
  stopReceiver(): void | Promise<void>;
}

/**
 * Where past batches of history streams come from when an engine does not keep them in memory
 * (the serverless closer loads them from the state store). `handled: false` means "compute it".
 */
export interface HistoryProvider {
  lookup(stream: DStream<unknown>, time: number): { handled: boolean; rdd?: RDD<unknown> };
}

const NOT_HANDLED = { handled: false } as const;

/**
 * The DAG of a pipeline (Spark's DStreamGraph): every stream, the outputs in registration order,
 * zero time, and the plan decisions made at start: which streams are shared (materialized, others
 * fuse into their consumer), how long each remembers its batches, and which streams are read at
 * past batch times (the "history" streams a serverless engine must persist).
 */
export class DStreamGraph {
  readonly streams: DStream<unknown>[] = [];
  readonly outputs: OutputStream[] = [];
  readonly receivers: Receiver[] = [];
  zeroTime: number | undefined;
  started = false;
  stopped = false;
  historyProvider: HistoryProvider | undefined;
  /** The batch being run (or last run): input streams never compute an earlier batch again. */
  batchTime: number | undefined;
  /** Minimum time (ms) every stream keeps its batches (`ssc.remember`). */
  rememberMs = 0;
  /** Streams whose past batches are read (windows' parents, stateful streams themselves). */
  readonly historyStreams = new Set<DStream<unknown>>();

  /** Throws when the graph can no longer change (Spark: no new operations after start). */
  checkDefinable(action: string): void {
    if (this.started) {
      throw new Error(
        `Cannot ${action} after the StreamingContext has started: define every DStream operation and output before ssc.start().`,
      );
    }
  }

  /** Adds a stream; returns its id. */
  register(stream: DStream<unknown>): number {
    this.streams.push(stream);
    return this.streams.length;
  }

  /** Adds an output operation. */
  addOutput(output: OutputStream): void {
    this.checkDefinable('add an output operation');
    this.outputs.push(output);
  }

  /** Adds a receiver to start with the context. */
  addReceiver(receiver: Receiver): void {
    this.receivers.push(receiver);
  }

  /** Marks a stream as read at past batch times, with how far back. */
  markHistory(stream: DStream<unknown>): void {
    this.historyStreams.add(stream);
  }

  /** History hook used by `DStream.getOrCompute`. */
  historyFor(stream: DStream<unknown>, time: number): { handled: boolean; rdd?: RDD<unknown> } {
    return this.historyProvider ? this.historyProvider.lookup(stream, time) : NOT_HANDLED;
  }

  /** Fixes zero time and makes the plan decisions. */
  start(zeroTime: number): void {
    if (this.outputs.length === 0) {
      throw new Error(
        'No output operations registered, so nothing to execute: add pprint(), saveAsTextFiles(), foreachRDD() or collect() before ssc.start().',
      );
    }
    this.zeroTime = zeroTime;
    this.started = true;
    // Consumers per stream: a stream read by more than one consumer is materialized once per batch.
    const consumers = new Map<DStream<unknown>, number>();
    for (const s of this.streams)
      for (const d of s.dependencies) consumers.set(d, (consumers.get(d) ?? 0) + 1);
    for (const o of this.outputs) consumers.set(o.stream, (consumers.get(o.stream) ?? 0) + 1);
    for (const s of this.streams) s.shared = (consumers.get(s) ?? 0) > 1 || this.historyStreams.has(s);
    // Remember durations, from outputs towards inputs (streams are created after their parents).
    for (const s of this.streams) s.rememberMs = Math.max(s.rememberMs, s.slideDuration, this.rememberMs);
    for (let i = this.streams.length - 1; i >= 0; i--) {
      const s = this.streams[i];
      for (const d of s.dependencies) {
        d.rememberMs = Math.max(d.rememberMs, s.rememberMs + s.parentRememberMs);
      }
    }
  }

  /**
   * Runs every output for batch `time`, in registration order, then forgets old batches. A failing
   * output does not keep the others of the batch from running (Spark runs each output as its own
   * job); the first error is thrown once they have all run.
   */
  async runBatch(time: number): Promise<void> {
    this.batchTime = time;
    const errors: unknown[] = [];
    const attempt = async (job: () => unknown): Promise<void> => {
      try {
        await job();
      } catch (e) {
        errors.push(e);
      }
    };
    // Input streams take their batch at every batch time, whether or not an output reads it now
    // (a window with a slide reads it later): batch contents depend on time only, as Spark's.
    for (const s of this.streams) if (s.dependencies.length === 0) await attempt(() => s.getOrCompute(time));
    for (const o of this.outputs) {
      if (o.stream.isTimeValid(time)) await attempt(() => o.generateJob(time));
    }
    // Streams read at past times are computed at every valid time (the serverless engine persists them).
    for (const s of this.historyStreams) if (s.isTimeValid(time)) await attempt(() => s.getOrCompute(time));
    for (const s of this.streams) s.clearOldBatches(time);
    if (errors.length > 0) throw errors[0];
  }
}

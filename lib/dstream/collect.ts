import { DStream } from './dstream';
import { ForEachDStream } from './foreach-rdd';

/** What `collect()` returns: the stream's batches, kept in memory (tests, small results). */
export interface CollectSink<T> {
  /** One array per batch time at which the stream produced a result, in time order. */
  readonly batches: T[][];
  /** The batch times (ms), parallel to `batches`. */
  readonly times: number[];
  /** The batch at `time`, if any. */
  at(time: number): T[] | undefined;
}

/** A CollectSink keyed by batch time: a re-run of a batch overwrites it (exactly-once by batch time). */
export class CollectedBatches<T> implements CollectSink<T> {
  private readonly byTime = new Map<number, T[]>();

  /** Records the result of batch `time` (replacing an earlier run of the same batch). */
  put(time: number, items: T[]): void {
    this.byTime.set(time, items);
  }

  get times(): number[] {
    return Array.from(this.byTime.keys()).sort((a, b) => a - b);
  }

  get batches(): T[][] {
    return this.times.map((t) => this.byTime.get(t) as T[]);
  }

  at(time: number): T[] | undefined {
    return this.byTime.get(time);
  }
}

declare module './dstream' {
  interface DStream<T> {
    /**
     * An output operation that keeps every batch in memory and returns the sink holding them:
     * `sink.batches` has one array per batch time (empty for an empty batch), `sink.times` the times.
     * @example const out = counts.collect(); ssc.start(); await ssc.runBatches(3); out.batches
     */
    collect(): CollectSink<T>;
  }
}

DStream.prototype.collect = function <T>(this: DStream<T>): CollectSink<T> {
  const sink = new CollectedBatches<T>();
  // A snapshot, as Spark's collect serializes: later in-place changes (e.g. of state objects) do not alter it.
  new ForEachDStream(this, (rdd, time) => sink.put(time, snapshot(rdd.collect())), 'collect');
  return sink;
};

/** A deep copy when the values allow one (plain data); the values themselves otherwise. */
function snapshot<T>(items: T[]): T[] {
  try {
    return structuredClone(items);
  } catch {
    return items;
  }
}

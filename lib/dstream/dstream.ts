import { RDD } from './rdd';
import { ForgottenBatchError, NotInitializedError } from './errors';
import type { StreamingContext } from './context';

/**
 * A discretized stream: a sequence of RDDs, one per batch time, as Spark's DStream. Each subclass
 * answers three things only: its parents (`dependencies`), its `slideDuration`, and
 * `compute(time)`. Memoizing a batch, validity of times and forgetting old batches are this base
 * class's job; the scheduler (the engine) owns time.
 *
 * Operations are added to this class one file per operator (see `./operators.ts`); pair
 * operations take `this: DStream<[K, V]>`, so the compiler allows them only on pair streams.
 */
export abstract class DStream<T> {
  /** Unique id within its context, in creation order. */
  readonly id: number;
  /**
   * Batch results already computed (or loaded by the serverless engine), by batch time in ms;
   * `undefined` when the stream had no RDD at that time (it is not asked again).
   */
  readonly generated = new Map<number, RDD<T> | undefined>();
  /** How long (ms) computed batches must be kept; set by the graph at start. */
  rememberMs = 0;
  /** True when more than one consumer reads this stream: its batches are materialized once. */
  shared = false;

  constructor(readonly ssc: StreamingContext) {
    ssc.graph.checkDefinable('define a transformation');
    this.id = ssc.graph.register(this);
  }

  /** The streams this one reads. */
  abstract get dependencies(): DStream<any>[];

  /** Time (ms) between two batches of this stream. */
  get slideDuration(): number {
    const deps = this.dependencies;
    if (deps.length === 0) return this.ssc.batchIntervalMs;
    return deps[0].slideDuration;
  }

  /** Extra history (ms) this stream needs of its parents beyond the current batch (windows). */
  get parentRememberMs(): number {
    return 0;
  }

  /** The RDD for batch `time`, or undefined when the stream has none at that time. */
  protected abstract compute(time: number): RDD<T> | undefined;

  /** A short name for errors and `inspect`. */
  get name(): string {
    return `${this.constructor.name}#${this.id}`;
  }

  /** True when `time` is a batch time of this stream (after zero time, on its slide). */
  isTimeValid(time: number): boolean {
    const zero = this.ssc.graph.zeroTime;
    if (zero === undefined) throw new NotInitializedError(this.name);
    return time > zero && (time - zero) % this.slideDuration === 0;
  }

  /** The memoized RDD for `time`: computed once per batch, kept for `rememberMs`. */
  getOrCompute(time: number): RDD<T> | undefined {
    if (this.generated.has(time)) return this.generated.get(time);
    if (!this.isTimeValid(time)) return undefined;
    const graph = this.ssc.graph;
    const history = graph.historyFor(this, time);
    if (history.handled) return history.rdd as RDD<T> | undefined;
    // An input stream's compute takes the data of the batch being run: never for an earlier one.
    if (this.dependencies.length === 0 && graph.batchTime !== undefined && time < graph.batchTime) {
      throw new ForgottenBatchError(this.name, time, this.rememberMs);
    }
    const rdd = this.compute(time);
    this.generated.set(time, rdd);
    return rdd;
  }

  /**
   * True when `pushTo` may stream batch `time` straight from the parents: the batch is valid, not
   * memoized, not shared with other consumers, and not one the engine supplies from storage.
   * Otherwise `pushTo` reads the (memoized) RDD.
   */
  protected canStream(time: number): boolean {
    return (
      !this.shared &&
      !this.generated.has(time) &&
      this.isTimeValid(time) &&
      !this.ssc.graph.historyFor(this, time).handled
    );
  }

  /**
   * Pushes every element of batch `time` into `emit`, without building intermediate arrays when
   * narrow operators are chained (they override this). Returns false when there is no RDD.
   */
  pushTo(time: number, emit: (x: T) => void): boolean {
    const rdd = this.getOrCompute(time);
    if (!rdd) return false;
    for (const p of rdd.partitions) for (let i = 0; i < p.length; i++) emit(p[i]);
    return true;
  }

  /**
   * The RDDs of this stream for its batch times in [fromTime, toTime] (ms; both rounded down to the
   * stream's slide), leaving out times with no RDD, as Spark's `DStream.slice`. Past batches come
   * from what the stream remembers (`ssc.remember(seconds)` keeps more); batches not run yet are
   * computed now and kept, so the scheduler later runs the same ones. Window operators use it too.
   * @example stream.slice(batchTime - 3000, batchTime).map((rdd) => rdd.count())
   */
  slice(fromTime: number, toTime: number): RDD<T>[] {
    const zero = this.ssc.graph.zeroTime;
    if (zero === undefined) throw new NotInitializedError(this.name);
    if (!Number.isFinite(fromTime) || !Number.isFinite(toTime)) {
      throw new TypeError(
        `slice(fromTime, toTime) takes batch times in ms, got ${String(fromTime)} and ${String(toTime)}.`,
      );
    }
    const slide = this.slideDuration;
    const floor = (t: number) => t - ((((t - zero) % slide) + slide) % slide);
    const out: RDD<T>[] = [];
    for (let t = floor(fromTime); t <= floor(toTime); t += slide) {
      if (t >= zero) {
        const rdd = this.getOrCompute(t);
        if (rdd) out.push(rdd);
      }
    }
    return out;
  }

  /** Drops batches older than `rememberMs` before `time`. */
  clearOldBatches(time: number): void {
    for (const t of this.generated.keys()) if (t <= time - this.rememberMs) this.generated.delete(t);
  }
}

/**
 * A narrow (one-to-one per element) stream: map, flatMap, filter, mapValues, flatMapValues.
 * Chains of them fuse into one function per element: `fuse(emit)` returns the per-
 * element function that pushes this stream's outputs into `emit`.
 */
export abstract class NarrowDStream<P, T> extends DStream<T> {
  constructor(readonly parent: DStream<P>) {
    super(parent.ssc);
  }

  get dependencies(): DStream<any>[] {
    return [this.parent];
  }

  /** Returns a function taking one parent element and pushing this stream's outputs to `emit`. */
  abstract fuse(emit: (x: T) => void): (x: P) => void;

  /** The nearest ancestor that is not a fusable narrow stream, and the fused function into `emit`. */
  private fused(emit: (x: T) => void): { base: DStream<unknown>; fn: (x: unknown) => void } {
    let fn = this.fuse(emit) as (x: unknown) => void;
    let base: DStream<unknown> = this.parent as DStream<unknown>;
    while (base instanceof NarrowDStream && !base.shared && base.generated.size === 0) {
      fn = base.fuse(fn);
      base = base.parent as DStream<unknown>;
    }
    return { base, fn };
  }

  override pushTo(time: number, emit: (x: T) => void): boolean {
    if (!this.canStream(time)) return super.pushTo(time, emit);
    const { base, fn } = this.fused(emit);
    return base.pushTo(time, fn);
  }

  protected compute(time: number): RDD<T> | undefined {
    let out: T[] = [];
    const { base, fn } = this.fused((x) => out.push(x));
    const rdd = base.getOrCompute(time);
    if (!rdd) return undefined;
    if (rdd.partitions.length === 1) {
      const p = rdd.partitions[0];
      for (let i = 0; i < p.length; i++) fn(p[i]);
      return new RDD([out]);
    }
    const parts: T[][] = [];
    for (const p of rdd.partitions) {
      out = [];
      for (let i = 0; i < p.length; i++) fn(p[i]);
      parts.push(out);
    }
    return new RDD(parts);
  }
}

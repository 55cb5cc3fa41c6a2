import { DStream } from './dstream';
import { requireFunction } from './map';
import { RDD } from './rdd';
import { windowDurations } from './window';
import { checkNumPartitions } from './combine-by-key';
import { KeyMap } from '../util/key-map';
import { composite } from './named';

/** Options form of reduceByKeyAndWindow (never pass `undefined` placeholders). */
export interface ReduceByKeyAndWindowOptions<K, V> {
  /** The associative, commutative reduce function. */
  reduceFunc: (a: V, b: V) => V;
  /** Its inverse (a - b): enables the incremental computation. @default null */
  invReduceFunc?: ((a: V, b: V) => V) | null;
  /** Window length in seconds. */
  windowDuration: number;
  /** Slide in seconds. @default the batch interval */
  slideDuration?: number;
  /** Keeps only the pairs for which this is true (with an inverse: drops keys back to zero). */
  filterFunc?: (kv: [K, V]) => boolean;
  /** Accepted for Spark compatibility. */
  numPartitions?: number;
}

declare module './dstream' {
  interface DStream<T> {
    /**
     * On a pair stream: one `[k, v]` per key over the window (t - w, t], values merged with
     * `reduceFunc`, emitted every slide. With `invReduceFunc`, each window is computed from the
     * previous one (minus the batches that left, plus the ones that entered); keys whose value went
     * back to zero are kept unless `filterFunc` drops them, as Spark.
     * @example pairs.reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, 30, 10)
     */
    reduceByKeyAndWindow<K, V>(
      this: DStream<[K, V]>,
      reduceFunc: (a: V, b: V) => V,
      invReduceFunc: ((a: V, b: V) => V) | null,
      windowSec: number,
      slideSec?: number,
      filterFunc?: (kv: [K, V]) => boolean,
    ): DStream<[K, V]>;
    /** Options form of reduceByKeyAndWindow. */
    reduceByKeyAndWindow<K, V>(
      this: DStream<[K, V]>,
      options: ReduceByKeyAndWindowOptions<K, V>,
    ): DStream<[K, V]>;
  }
}

/**
 * Spark's ReducedWindowedDStream: the window's value per key from the previous window's value,
 * the reduced batches that left (inverse-reduced) and the ones that entered.
 */
export class ReducedWindowedDStream<K, V> extends DStream<[K, V]> {
  constructor(
    readonly reduced: DStream<[K, V]>,
    private readonly reduceFunc: (a: V, b: V) => V,
    private readonly invReduceFunc: (a: V, b: V) => V,
    readonly windowMs: number,
    readonly slideMs: number,
    private readonly filterFunc: ((kv: [K, V]) => boolean) | undefined,
  ) {
    super(reduced.ssc);
    reduced.ssc.graph.markHistory(reduced);
    reduced.ssc.graph.markHistory(this);
  }

  get dependencies(): DStream<any>[] {
    return [this.reduced];
  }

  override get slideDuration(): number {
    return this.slideMs;
  }

  override get parentRememberMs(): number {
    return this.windowMs + this.slideMs;
  }

  protected compute(time: number): RDD<[K, V]> | undefined {
    const ps = this.reduced.slideDuration;
    const curBegin = time - this.windowMs + ps;
    const prevBegin = curBegin - this.slideMs;
    const prevEnd = time - this.slideMs;
    const oldRdds = this.reduced.slice(prevBegin, curBegin - ps);
    const newRdds = this.reduced.slice(prevEnd + ps, time);
    const previous = this.getOrCompute(prevEnd) ?? RDD.empty<[K, V]>();
    const reduce = this.reduceFunc;
    const inv = this.invReduceFunc;
    // Per key: previous value, reduced old values, reduced new values (each batch contributes at most one).
    const acc = new KeyMap<
      K,
      { prev?: V; hasPrev: boolean; old?: V; hasOld: boolean; add?: V; hasNew: boolean }
    >();
    const entry = (k: K) => {
      let e = acc.get(k);
      if (!e) acc.set(k, (e = { hasPrev: false, hasOld: false, hasNew: false }));
      return e;
    };
    previous.foreach(([k, v]) => {
      const e = entry(k);
      e.prev = v;
      e.hasPrev = true;
    });
    for (const rdd of oldRdds) {
      rdd.foreach(([k, v]) => {
        const e = entry(k);
        e.old = e.hasOld ? reduce(e.old as V, v) : v;
        e.hasOld = true;
      });
    }
    for (const rdd of newRdds) {
      rdd.foreach(([k, v]) => {
        const e = entry(k);
        e.add = e.hasNew ? reduce(e.add as V, v) : v;
        e.hasNew = true;
      });
    }
    const out: [K, V][] = [];
    for (const [k, e] of acc) {
      let value: V;
      if (!e.hasPrev) {
        if (!e.hasNew) continue; // only old values: the key left with the previous window's filter
        value = e.add as V;
      } else {
        value = e.prev as V;
        if (e.hasOld) value = inv(value, e.old as V);
        if (e.hasNew) value = reduce(value, e.add as V);
      }
      const kv: [K, V] = [k, value];
      if (!this.filterFunc || this.filterFunc(kv)) out.push(kv);
    }
    return RDD.of(out);
  }
}

DStream.prototype.reduceByKeyAndWindow = function <K, V>(
  this: DStream<[K, V]>,
  reduceOrOptions: ((a: V, b: V) => V) | ReduceByKeyAndWindowOptions<K, V>,
  invReduceFunc?: ((a: V, b: V) => V) | null,
  windowSec?: number,
  slideSec?: number,
  filterFunc?: (kv: [K, V]) => boolean,
): DStream<[K, V]> {
  const o: ReduceByKeyAndWindowOptions<K, V> =
    typeof reduceOrOptions === 'function'
      ? {
          reduceFunc: reduceOrOptions,
          invReduceFunc: invReduceFunc ?? null,
          windowDuration: windowSec as number,
          slideDuration: slideSec,
          filterFunc,
        }
      : reduceOrOptions;
  if (o === null || typeof o !== 'object') {
    throw new TypeError(
      'reduceByKeyAndWindow(fn, invFn | null, windowSec, slideSec?, filterFn?) needs a reduce function.',
    );
  }
  requireFunction(o.reduceFunc, 'reduceByKeyAndWindow', 'reduce function');
  if (o.invReduceFunc != null)
    requireFunction(o.invReduceFunc, 'reduceByKeyAndWindow', 'inverse reduce function or null');
  if (o.filterFunc !== undefined) requireFunction(o.filterFunc, 'reduceByKeyAndWindow', 'filter function');
  checkNumPartitions(o.numPartitions, 'reduceByKeyAndWindow');
  const [w, s] = windowDurations(this, o.windowDuration, o.slideDuration);
  const inv = o.invReduceFunc;
  return composite(this.ssc, () => {
    const reduced = this.reduceByKey(o.reduceFunc);
    if (inv == null) {
      const windowed = reduced.window(w / 1000, s / 1000).reduceByKey(o.reduceFunc);
      return o.filterFunc ? windowed.filter(o.filterFunc) : windowed;
    }
    return new ReducedWindowedDStream(reduced, o.reduceFunc, inv, w, s, o.filterFunc);
  });
};

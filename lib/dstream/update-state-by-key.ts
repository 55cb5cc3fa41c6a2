import { DStream } from './dstream';
import { requireFunction } from './map';
import { RDD } from './rdd';
import { KeyMap } from '../util/key-map';

/** Options of updateStateByKey. */
export interface UpdateStateByKeyOptions<K, S> {
  /** State of keys before the first batch (Spark's initialRDD). */
  initialState?: Iterable<[K, S]>;
  /** Accepted for Spark compatibility. */
  numPartitions?: number;
}

/** updateStateByKey's options form with Spark's time-taking update function, called per key. */
export interface UpdateStateByKeyFunctionSpec<K, V, S> extends UpdateStateByKeyOptions<K, S> {
  /**
   * Spark's `(Time, K, Seq[V], Option[S]) => Option[S]`: called every batch for every key with
   * state or new values, with the batch time (ms), the key, its new values (maybe none) and its
   * previous state (`undefined` for a new key); returning `undefined` removes the key.
   */
  updateFunc: (time: number, key: K, values: V[], state: S | undefined) => S | undefined;
}

/** updateStateByKey's options form with Spark's iterator update function, called once per batch. */
export interface UpdateStateByKeyIteratorSpec<K, V, S> extends UpdateStateByKeyOptions<K, S> {
  /**
   * Spark's `Iterator[(K, Seq[V], Option[S])] => Iterator[(K, S)]`, with the batch time (ms):
   * `entries` (iterable once) holds `[key, newValues, previousState]` for every key with state or
   * new values; the pairs returned are the whole new state (a key left out is removed).
   */
  iteratorFunc: (entries: Iterable<[K, V[], S | undefined]>, time: number) => Iterable<[K, S]>;
}

/** The options forms of updateStateByKey: a per-key `updateFunc` or a whole-batch `iteratorFunc`. */
export type UpdateStateByKeySpec<K, V, S> =
  UpdateStateByKeyFunctionSpec<K, V, S> | UpdateStateByKeyIteratorSpec<K, V, S>;

declare module './dstream' {
  interface DStream<T> {
    /**
     * On a pair stream: a stream of `[k, state]` for every key with state. Every batch, `fn` is
     * called for every key that has state or new values (`newValues` may be empty), with the
     * previous state (`undefined` for a new key); returning `undefined` removes the key.
     * @example pairs.updateStateByKey((vs: number[], s?: number) => (s ?? 0) + vs.reduce((a, b) => a + b, 0))
     */
    updateStateByKey<K, V, S>(
      this: DStream<[K, V]>,
      fn: (newValues: V[], state: S | undefined) => S | undefined,
      options?: UpdateStateByKeyOptions<K, S>,
    ): DStream<[K, S]>;
    /**
     * The options form, with Spark's other update functions: `updateFunc(time, key, values, state)`
     * (per key, with the batch time in ms) or `iteratorFunc(entries, time)` (every key at once).
     * @example pairs.updateStateByKey({ updateFunc: (time, key, vs: number[], s?: number) => (vs.length ? time : s) })
     */
    updateStateByKey<K, V, S>(this: DStream<[K, V]>, spec: UpdateStateByKeySpec<K, V, S>): DStream<[K, S]>;
  }
}

/** The state of one batch from its entries (Spark's StateDStream update function, internal form). */
type StateUpdate<K, V, S> = (entries: Iterable<[K, V[], S | undefined]>, time: number) => Iterable<[K, S]>;

/**
 * Spark's StateDStream: the state at t from the state at t - slide and the batch at t. With no
 * previous state and no parent RDD at t there is no state RDD; the initial state counts from the
 * first parent RDD (as Spark's); with a previous state and no parent RDD, every key is updated with
 * no values.
 */
export class StateDStream<K, V, S> extends DStream<[K, S]> {
  private readonly initial: [K, S][] | undefined;

  constructor(
    readonly parent: DStream<[K, V]>,
    private readonly update: StateUpdate<K, V, S>,
    initialState: Iterable<[K, S]> | undefined,
  ) {
    super(parent.ssc);
    this.initial = initialState ? Array.from(initialState) : undefined;
    parent.ssc.graph.markHistory(this);
  }

  get dependencies(): DStream<any>[] {
    return [this.parent];
  }

  protected compute(time: number): RDD<[K, S]> | undefined {
    const prevRdd = this.getOrCompute(time - this.slideDuration);
    const groups = new KeyMap<K, V[]>();
    const hasData = this.parent.pushTo(time, (kv) => {
      const vs = groups.get(kv[0]);
      if (vs) vs.push(kv[1]);
      else groups.set(kv[0], [kv[1]]);
    });
    if (!prevRdd && !hasData) return undefined;
    const previous: Iterable<[K, S]> = prevRdd ? prevRdd.collect() : (this.initial ?? []);
    function* entries(): Generator<[K, V[], S | undefined]> {
      for (const [k, s] of previous) {
        const vs = groups.get(k);
        if (vs) groups.delete(k);
        yield [k, vs ?? [], s];
      }
      for (const [k, vs] of groups) yield [k, vs, undefined];
    }
    const out = this.update(entries(), time);
    if (out === null || typeof (out as Partial<Iterable<unknown>>)?.[Symbol.iterator] !== 'function') {
      throw new TypeError(
        `updateStateByKey: the iterator function returned ${out === null ? 'null' : typeof out}, not an iterable of [key, state] pairs: return an array (or generator) of pairs.`,
      );
    }
    return RDD.of(Array.isArray(out) ? out : Array.from(out));
  }
}

/** The internal update of the per-key forms: `fn` for every entry, keys with `undefined` removed. */
function perKey<K, V, S>(
  fn: (time: number, key: K, values: V[], state: S | undefined) => S | undefined,
): StateUpdate<K, V, S> {
  return (entries, time) => {
    const out: [K, S][] = [];
    for (const [k, vs, s] of entries) {
      const next = fn(time, k, vs, s);
      if (next !== undefined) out.push([k, next]);
    }
    return out;
  };
}

DStream.prototype.updateStateByKey = function <K, V, S>(
  this: DStream<[K, V]>,
  fnOrSpec: ((newValues: V[], state: S | undefined) => S | undefined) | UpdateStateByKeySpec<K, V, S>,
  options?: UpdateStateByKeyOptions<K, S>,
): DStream<[K, S]> {
  if (typeof fnOrSpec === 'function') {
    const fn = fnOrSpec;
    return new StateDStream(
      this,
      perKey((_t, _k, vs, s) => fn(vs, s)),
      options?.initialState,
    );
  }
  const spec = (fnOrSpec ?? {}) as Partial<UpdateStateByKeyFunctionSpec<K, V, S>> &
    Partial<UpdateStateByKeyIteratorSpec<K, V, S>>;
  const usage =
    'update function: (newValues, state) => newState | undefined, or { updateFunc: (time, key, values, state) => newState | undefined } or { iteratorFunc: (entries, time) => pairs }';
  if (typeof fnOrSpec !== 'object' || fnOrSpec === null) requireFunction(fnOrSpec, 'updateStateByKey', usage);
  if (options !== undefined) {
    throw new TypeError(
      'updateStateByKey({ ... }) takes its options (initialState, numPartitions) in the same object, not as a second argument.',
    );
  }
  if ((spec.updateFunc === undefined) === (spec.iteratorFunc === undefined)) {
    throw new TypeError(
      `updateStateByKey({ ... }) needs exactly one of updateFunc and iteratorFunc, got ${
        spec.updateFunc === undefined ? 'neither' : 'both'
      }.`,
    );
  }
  if (spec.updateFunc !== undefined) {
    requireFunction(spec.updateFunc, 'updateStateByKey', 'updateFunc (time, key, values, state) => newState');
    return new StateDStream(this, perKey(spec.updateFunc), spec.initialState);
  }
  requireFunction(spec.iteratorFunc, 'updateStateByKey', 'iteratorFunc (entries, time) => pairs');
  return new StateDStream(this, spec.iteratorFunc as StateUpdate<K, V, S>, spec.initialState);
};

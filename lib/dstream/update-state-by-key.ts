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
  }
}

/** Spark's StateDStream: the state at t from the state at t - slide and the batch at t. */
export class StateDStream<K, V, S> extends DStream<[K, S]> {
  private readonly initial: [K, S][] | undefined;

  constructor(
    readonly parent: DStream<[K, V]>,
    private readonly fn: (newValues: V[], state: S | undefined) => S | undefined,
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
    const previous: Iterable<[K, S]> | undefined = prevRdd ? prevRdd.collect() : this.initial;
    if (!previous && !hasData) return undefined;
    const out: [K, S][] = [];
    const fn = this.fn;
    const emit = (k: K, s: S | undefined) => {
      if (s !== undefined) out.push([k, s]);
    };
    for (const [k, s] of previous ?? []) {
      const vs = groups.get(k);
      if (vs) groups.delete(k);
      emit(k, fn(vs ?? [], s));
    }
    for (const [k, vs] of groups) emit(k, fn(vs, undefined));
    return RDD.of(out);
  }
}

DStream.prototype.updateStateByKey = function <K, V, S>(
  this: DStream<[K, V]>,
  fn: (newValues: V[], state: S | undefined) => S | undefined,
  options?: UpdateStateByKeyOptions<K, S>,
): DStream<[K, S]> {
  requireFunction(fn, 'updateStateByKey', 'update function (newValues, state) => newState | undefined');
  return new StateDStream(this, fn, options?.initialState);
};

import { DStream } from './dstream';
import { requireFunction } from './map';
import { RDD } from './rdd';
import { KeyMap } from '../util/key-map';

declare module './dstream' {
  interface DStream<T> {
    /**
     * On a pair stream: combines the values of each key per batch with Spark's three functions:
     * `createCombiner(v)` for a key's first value, `mergeValue(c, v)` for the next ones, and
     * `mergeCombiners(c1, c2)` to merge partial results (the serverless engine combines map-side).
     * @example pairs.combineByKey((v) => [v], (c, v) => [...c, v], (a, b) => [...a, ...b])
     */
    combineByKey<K, V, C>(
      this: DStream<[K, V]>,
      createCombiner: (v: V) => C,
      mergeValue: (c: C, v: V) => C,
      mergeCombiners: (a: C, b: C) => C,
      numPartitions?: number,
    ): DStream<[K, C]>;
  }
}

/** A combine function triple, as Spark's Aggregator. */
export interface Aggregator<V, C> {
  createCombiner: (v: V) => C;
  mergeValue: (c: C, v: V) => C;
  mergeCombiners: (a: C, b: C) => C;
}

/**
 * Spark's ShuffledDStream: one `[key, combined]` per key of the batch, keys in first-seen order.
 * A shuffle boundary: the narrow chain above it is fused into the combining loop.
 */
export class ShuffledDStream<K, V, C> extends DStream<[K, C]> {
  constructor(
    readonly parent: DStream<[K, V]>,
    readonly aggregator: Aggregator<V, C>,
  ) {
    super(parent.ssc);
  }

  get dependencies(): DStream<any>[] {
    return [this.parent];
  }

  /** Combines `[k, v]` pairs pushed into the returned function; `result()` gives the map. */
  static combiner<K, V, C>(agg: Aggregator<V, C>): { add: (kv: [K, V]) => void; map: KeyMap<K, C> } {
    const map = new KeyMap<K, C>();
    const { createCombiner, mergeValue } = agg;
    return {
      map,
      add: (kv) => {
        const k = kv[0];
        const prev = map.get(k);
        if (prev === undefined && !map.has(k)) map.set(k, createCombiner(kv[1]));
        else map.set(k, mergeValue(prev as C, kv[1]));
      },
    };
  }

  protected compute(time: number): RDD<[K, C]> | undefined {
    const { add, map } = ShuffledDStream.combiner<K, V, C>(this.aggregator);
    if (!this.parent.pushTo(time, add)) return undefined;
    return RDD.of(map.toArray());
  }
}

DStream.prototype.combineByKey = function <K, V, C>(
  this: DStream<[K, V]>,
  createCombiner: (v: V) => C,
  mergeValue: (c: C, v: V) => C,
  mergeCombiners: (a: C, b: C) => C,
  numPartitions?: number,
): DStream<[K, C]> {
  requireFunction(createCombiner, 'combineByKey', 'createCombiner function');
  requireFunction(mergeValue, 'combineByKey', 'mergeValue function');
  requireFunction(mergeCombiners, 'combineByKey', 'mergeCombiners function');
  checkNumPartitions(numPartitions, 'combineByKey');
  return new ShuffledDStream(this, { createCombiner, mergeValue, mergeCombiners });
};

/** Validates an optional partition count (accepted for Spark compatibility; results have one partition). */
export function checkNumPartitions(n: number | undefined, op: string): void {
  if (n !== undefined && (!Number.isInteger(n) || n < 1)) {
    throw new Error(`${op}(): numPartitions must be a positive whole number, got ${String(n)}.`);
  }
}

import { DStream } from './dstream';
import { ShuffledDStream, checkNumPartitions } from './combine-by-key';
import { requireFunction } from './map';

declare module './dstream' {
  interface DStream<T> {
    /**
     * On a pair stream: one `[k, v]` per key of each batch, its values merged with `fn`
     * (associative and commutative). Combined map-side in the serverless engine.
     * @example words.map((w) => [w, 1] as [string, number]).reduceByKey((a, b) => a + b)
     */
    reduceByKey<K, V>(this: DStream<[K, V]>, fn: (a: V, b: V) => V, numPartitions?: number): DStream<[K, V]>;
  }
}

const identity = <V>(v: V): V => v;

DStream.prototype.reduceByKey = function <K, V>(
  this: DStream<[K, V]>,
  fn: (a: V, b: V) => V,
  numPartitions?: number,
): DStream<[K, V]> {
  requireFunction(fn, 'reduceByKey');
  checkNumPartitions(numPartitions, 'reduceByKey');
  return new ShuffledDStream<K, V, V>(this, { createCombiner: identity, mergeValue: fn, mergeCombiners: fn });
};

import { DStream } from './dstream';
import { ShuffledDStream, checkNumPartitions } from './combine-by-key';

declare module './dstream' {
  interface DStream<T> {
    /**
     * On a pair stream: one `[k, values]` per key of each batch, values in arrival order.
     * @example pairs.groupByKey()   // [['a', [1, 2]], ['b', [3]]]
     */
    groupByKey<K, V>(this: DStream<[K, V]>, numPartitions?: number): DStream<[K, V[]]>;
  }
}

DStream.prototype.groupByKey = function <K, V>(
  this: DStream<[K, V]>,
  numPartitions?: number,
): DStream<[K, V[]]> {
  checkNumPartitions(numPartitions, 'groupByKey');
  return new ShuffledDStream<K, V, V[]>(this, {
    createCombiner: (v) => [v],
    mergeValue: (c, v) => {
      c.push(v);
      return c;
    },
    mergeCombiners: (a, b) => a.concat(b),
  });
};

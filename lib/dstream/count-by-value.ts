import { DStream } from './dstream';
import { checkNumPartitions } from './combine-by-key';

declare module './dstream' {
  interface DStream<T> {
    /**
     * One `[value, count]` per distinct element of each batch.
     * @example words.countByValue()   // [['a', 2], ['b', 1]]
     */
    countByValue(numPartitions?: number): DStream<[T, number]>;
  }
}

DStream.prototype.countByValue = function <T>(
  this: DStream<T>,
  numPartitions?: number,
): DStream<[T, number]> {
  checkNumPartitions(numPartitions, 'countByValue');
  return this.map((x) => [x, 1] as [T, number]).reduceByKey((a, b) => a + b);
};

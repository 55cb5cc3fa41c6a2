import { DStream } from './dstream';
import { composite } from './named';

declare module './dstream' {
  interface DStream<T> {
    /**
     * One `[value, count]` per distinct element in the window (t - windowSec, t], every
     * `slideSec` (values whose count went to 0 are dropped, as Spark).
     * @example words.countByValueAndWindow(30, 10)
     */
    countByValueAndWindow(windowSec: number, slideSec?: number, numPartitions?: number): DStream<[T, number]>;
  }
}

DStream.prototype.countByValueAndWindow = function <T>(
  this: DStream<T>,
  windowSec: number,
  slideSec?: number,
  numPartitions?: number,
): DStream<[T, number]> {
  return composite(this.ssc, () =>
    this.map((x) => [x, 1] as [T, number]).reduceByKeyAndWindow({
      reduceFunc: (a, b) => a + b,
      invReduceFunc: (a, b) => a - b,
      windowDuration: windowSec,
      slideDuration: slideSec,
      filterFunc: (kv) => kv[1] !== 0,
      numPartitions,
    }),
  );
};

import { DStream } from './dstream';
import { composite } from './named';

declare module './dstream' {
  interface DStream<T> {
    /**
     * One number per window (t - windowSec, t], every `slideSec`: the count of its elements
     * (Spark: `map(_ => 1).reduceByWindow(_ + _, _ - _, w, s)`, so 0 once data has left the window).
     * @example lines.countByWindow(30, 10)
     */
    countByWindow(windowSec: number, slideSec?: number): DStream<number>;
  }
}

DStream.prototype.countByWindow = function <T>(
  this: DStream<T>,
  windowSec: number,
  slideSec?: number,
): DStream<number> {
  return composite(this.ssc, () =>
    this.map(() => 1).reduceByWindow(
      (a, b) => a + b,
      (a, b) => a - b,
      windowSec,
      slideSec,
    ),
  );
};

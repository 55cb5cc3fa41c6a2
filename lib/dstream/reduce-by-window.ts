import { DStream } from './dstream';
import { requireFunction } from './map';
import { windowDurations } from './window';
import { composite } from './named';

declare module './dstream' {
  interface DStream<T> {
    /**
     * One element per window (t - windowSec, t], every `slideSec`: all its elements merged with
     * `fn`. With `invFn` the window is updated incrementally (Spark: then a window that emptied
     * still emits the inverse-reduced value, e.g. a count of 0).
     * @example nums.reduceByWindow((a, b) => a + b, (a, b) => a - b, 30, 10)
     */
    reduceByWindow(
      fn: (a: T, b: T) => T,
      invFn: ((a: T, b: T) => T) | null,
      windowSec: number,
      slideSec?: number,
    ): DStream<T>;
  }
}

// Composed as Spark composes it: without an inverse, reduce().window().reduce(); with one, a
// reduceByKeyAndWindow over a single key.
DStream.prototype.reduceByWindow = function <T>(
  this: DStream<T>,
  fn: (a: T, b: T) => T,
  invFn: ((a: T, b: T) => T) | null,
  windowSec: number,
  slideSec?: number,
): DStream<T> {
  requireFunction(fn, 'reduceByWindow');
  if (invFn != null) requireFunction(invFn, 'reduceByWindow', 'inverse function or null');
  const [w, s] = windowDurations(this, windowSec, slideSec);
  return composite(this.ssc, () => {
    if (invFn == null)
      return this.reduce(fn)
        .window(w / 1000, s / 1000)
        .reduce(fn);
    return this.map((x) => [1, x] as [number, T])
      .reduceByKeyAndWindow(fn, invFn, w / 1000, s / 1000)
      .map((kv) => kv[1]);
  });
};

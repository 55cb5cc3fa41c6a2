import { DStream } from './dstream';
import { windowDurations } from './window';
import { composite } from './named';

declare module './dstream' {
  interface DStream<T> {
    /**
     * On a pair stream: one `[k, values]` per key over the window (t - windowSec, t], every
     * `slideSec`, values in batch order.
     * @example pairs.groupByKeyAndWindow(30, 10)
     */
    groupByKeyAndWindow<K, V>(this: DStream<[K, V]>, windowSec: number, slideSec?: number): DStream<[K, V[]]>;
  }
}

// Spark: groupByKey().window(w, s).combineByKey(concatenate).
DStream.prototype.groupByKeyAndWindow = function <K, V>(
  this: DStream<[K, V]>,
  windowSec: number,
  slideSec?: number,
): DStream<[K, V[]]> {
  const [w, s] = windowDurations(this, windowSec, slideSec);
  return composite(this.ssc, () =>
    this.groupByKey()
      .window(w / 1000, s / 1000)
      .combineByKey<K, V[], V[]>(
        (vs) => vs.slice(),
        (c, vs) => {
          for (const v of vs) c.push(v);
          return c;
        },
        (a, b) => a.concat(b),
      ),
  );
};

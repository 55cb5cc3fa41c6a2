import { DStream } from './dstream';
import { requireFunction } from './map';
import { RDD } from './rdd';

declare module './dstream' {
  interface DStream<T> {
    /**
     * A stream of one element per non-empty batch: all its elements merged with `fn`
     * (associative and commutative). An empty batch gives an empty result, as Spark.
     * @example nums.reduce((a, b) => a + b)
     */
    reduce(fn: (a: T, b: T) => T): DStream<T>;
  }
}

/** Spark's reduce: `map((null, _)).reduceByKey(fn, 1).map(_._2)`. */
export class ReducedDStream<T> extends DStream<T> {
  constructor(
    readonly parent: DStream<T>,
    private readonly fn: (a: T, b: T) => T,
  ) {
    super(parent.ssc);
  }

  get dependencies(): DStream<any>[] {
    return [this.parent];
  }

  protected compute(time: number): RDD<T> | undefined {
    let acc: T | undefined;
    let seen = false;
    const fn = this.fn;
    const ok = this.parent.pushTo(time, (x) => {
      acc = seen ? fn(acc as T, x) : x;
      seen = true;
    });
    if (!ok) return undefined;
    return RDD.of(seen ? [acc as T] : []);
  }
}

DStream.prototype.reduce = function <T>(this: DStream<T>, fn: (a: T, b: T) => T): DStream<T> {
  requireFunction(fn, 'reduce');
  return new ReducedDStream(this, fn);
};

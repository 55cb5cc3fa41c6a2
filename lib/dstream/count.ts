import { DStream } from './dstream';
import { RDD } from './rdd';

declare module './dstream' {
  interface DStream<T> {
    /**
     * A stream of one number per batch: its element count (0 for an empty batch, as Spark).
     * @example lines.count()
     */
    count(): DStream<number>;
  }
}

/** Spark's count: `map(_ => (null, 1L)).transform(_.union((null, 0L))).reduceByKey(_ + _).map(_._2)`. */
export class CountDStream<T> extends DStream<number> {
  constructor(readonly parent: DStream<T>) {
    super(parent.ssc);
  }

  get dependencies(): DStream<any>[] {
    return [this.parent];
  }

  protected compute(time: number): RDD<number> | undefined {
    let n = 0;
    if (!this.parent.pushTo(time, () => n++)) return undefined;
    return RDD.of([n]);
  }
}

DStream.prototype.count = function <T>(this: DStream<T>): DStream<number> {
  return new CountDStream(this);
};

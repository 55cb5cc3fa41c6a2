import { DStream } from './dstream';
import { RDD } from './rdd';

declare module './dstream' {
  interface DStream<T> {
    /**
     * A stream whose batches hold one array per partition of this stream's batch.
     * @example nums.repartition(2).glom()   // [[1, 3], [2, 4]]
     */
    glom(): DStream<T[]>;
  }
}

/** Spark's GlommedDStream. */
export class GlommedDStream<T> extends DStream<T[]> {
  constructor(readonly parent: DStream<T>) {
    super(parent.ssc);
  }

  get dependencies(): DStream<any>[] {
    return [this.parent];
  }

  protected compute(time: number): RDD<T[]> | undefined {
    return this.parent.getOrCompute(time)?.glom();
  }
}

DStream.prototype.glom = function <T>(this: DStream<T>): DStream<T[]> {
  return new GlommedDStream(this);
};

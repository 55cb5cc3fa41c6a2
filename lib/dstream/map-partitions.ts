import { DStream } from './dstream';
import { requireFunction } from './map';
import { RDD } from './rdd';

declare module './dstream' {
  interface DStream<T> {
    /**
     * Applies `fn` to each partition of each batch (one partition per batch unless repartitioned).
     * @example nums.mapPartitions((xs) => [xs.reduce((a, b) => a + b, 0)])
     */
    mapPartitions<U>(fn: (items: T[]) => Iterable<U>): DStream<U>;
  }
}

/** Spark's MapPartitionedDStream. */
export class MapPartitionedDStream<T, U> extends DStream<U> {
  constructor(
    readonly parent: DStream<T>,
    private readonly fn: (items: T[]) => Iterable<U>,
  ) {
    super(parent.ssc);
  }

  get dependencies(): DStream<any>[] {
    return [this.parent];
  }

  protected compute(time: number): RDD<U> | undefined {
    return this.parent.getOrCompute(time)?.mapPartitions(this.fn);
  }
}

DStream.prototype.mapPartitions = function <T, U>(
  this: DStream<T>,
  fn: (items: T[]) => Iterable<U>,
): DStream<U> {
  requireFunction(fn, 'mapPartitions');
  return new MapPartitionedDStream(this, fn);
};

import { DStream } from './dstream';
import { RDD } from './rdd';

declare module './dstream' {
  interface DStream<T> {
    /**
     * The same elements spread over `numPartitions` partitions per batch (round robin), as Spark's
     * repartition: the contents are unchanged, only `glom`/`mapPartitions` see the difference.
     */
    repartition(numPartitions: number): DStream<T>;
  }
}

/** Spark's repartition (a shuffle into n partitions). */
export class RepartitionedDStream<T> extends DStream<T> {
  constructor(
    readonly parent: DStream<T>,
    readonly numPartitions: number,
  ) {
    super(parent.ssc);
  }

  get dependencies(): DStream<any>[] {
    return [this.parent];
  }

  protected compute(time: number): RDD<T> | undefined {
    const parts: T[][] = Array.from({ length: this.numPartitions }, () => []);
    let i = 0;
    const ok = this.parent.pushTo(time, (x) => {
      parts[i].push(x);
      i = (i + 1) % parts.length;
    });
    return ok ? new RDD(parts) : undefined;
  }
}

DStream.prototype.repartition = function <T>(this: DStream<T>, numPartitions: number): DStream<T> {
  if (!Number.isInteger(numPartitions) || numPartitions < 1) {
    throw new Error(
      `repartition() needs a positive whole number of partitions, got ${String(numPartitions)}.`,
    );
  }
  return new RepartitionedDStream(this, numPartitions);
};

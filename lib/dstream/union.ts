import { DStream } from './dstream';
import { RDD } from './rdd';
import { MissingBatchError } from './errors';

declare module './dstream' {
  interface DStream<T> {
    /**
     * A stream of the elements of this stream and `other` in each batch (both must have the same
     * slide duration).
     * @example stream1.union(stream2)
     */
    union(other: DStream<T>): DStream<T>;
  }
}

/** Spark's UnionDStream: the union of the parents' RDDs at each batch time. */
export class UnionDStream<T> extends DStream<T> {
  constructor(readonly parents: DStream<T>[]) {
    super(checkUnionParents(parents).ssc);
  }

  get dependencies(): DStream<any>[] {
    return this.parents;
  }

  override get slideDuration(): number {
    return this.parents[0].slideDuration;
  }

  override pushTo(time: number, emit: (x: T) => void): boolean {
    if (!this.canStream(time)) return super.pushTo(time, emit);
    let any = false;
    for (const p of this.parents) {
      if (!p.pushTo(time, emit)) throw new MissingBatchError('union', p.name, time);
      any = true;
    }
    return any;
  }

  protected compute(time: number): RDD<T> | undefined {
    const parts: T[][] = [];
    for (const p of this.parents) {
      const rdd = p.getOrCompute(time);
      if (!rdd) throw new MissingBatchError('union', p.name, time);
      parts.push(...rdd.partitions);
    }
    return new RDD(parts);
  }
}

DStream.prototype.union = function <T>(this: DStream<T>, other: DStream<T>): DStream<T> {
  return new UnionDStream([this, other]);
};

/** Validates the parents of a union; returns the first. */
export function checkUnionParents<T>(parents: DStream<T>[]): DStream<T> {
  if (parents.length === 0) throw new Error('union needs at least one stream.');
  for (const p of parents) {
    if (!(p instanceof DStream)) throw new TypeError('union: every argument must be a DStream.');
    if (p.ssc !== parents[0].ssc)
      throw new Error('union: every stream must belong to the same StreamingContext.');
    if (p.slideDuration !== parents[0].slideDuration) {
      throw new Error(
        `union: every stream must have the same slide duration, got ${parents.map((q) => q.slideDuration / 1000).join(' s, ')} s.`,
      );
    }
  }
  return parents[0];
}

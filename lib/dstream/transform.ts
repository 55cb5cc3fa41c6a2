import { DStream } from './dstream';
import { requireFunction } from './map';
import { RDD } from './rdd';

declare module './dstream' {
  interface DStream<T> {
    /**
     * A stream of `fn(rdd, time)` for every batch: arbitrary RDD-to-RDD code, with the batch time
     * in ms.
     * @example words.transform((rdd) => rdd.filter((w) => !stop.has(w)))
     */
    transform<U>(fn: (rdd: RDD<T>, time: number) => RDD<U>): DStream<U>;
    /**
     * A stream of `fn(rddA, rddB, time)` combining each batch of this stream and `other`.
     * @example a.transformWith(b, (x, y) => x.union(y))
     */
    transformWith<U, W>(other: DStream<U>, fn: (a: RDD<T>, b: RDD<U>, time: number) => RDD<W>): DStream<W>;
  }
}

/** Spark's TransformedDStream: one RDD function over the parents' RDDs of the same batch. */
export class TransformedDStream<U> extends DStream<U> {
  constructor(
    readonly parents: DStream<any>[],
    private readonly fn: (rdds: RDD<any>[], time: number) => RDD<U>,
  ) {
    super(parents[0].ssc);
    for (const p of parents) {
      if (p.slideDuration !== parents[0].slideDuration) {
        throw new Error('transformWith: both streams must have the same slide duration.');
      }
    }
  }

  get dependencies(): DStream<any>[] {
    return this.parents;
  }

  protected compute(time: number): RDD<U> | undefined {
    const rdds = this.parents.map((p) => p.getOrCompute(time) ?? RDD.empty());
    const out = this.fn(rdds, time);
    if (!(out instanceof RDD)) {
      throw new TypeError(
        `transform function returned ${out === null ? 'null' : typeof out}, not an RDD: return rdd.map(...) or similar.`,
      );
    }
    return out;
  }
}

DStream.prototype.transform = function <T, U>(
  this: DStream<T>,
  fn: (rdd: RDD<T>, time: number) => RDD<U>,
): DStream<U> {
  requireFunction(fn, 'transform');
  return new TransformedDStream<U>([this], (rdds, time) => fn(rdds[0], time));
};

DStream.prototype.transformWith = function <T, U, W>(
  this: DStream<T>,
  other: DStream<U>,
  fn: (a: RDD<T>, b: RDD<U>, time: number) => RDD<W>,
): DStream<W> {
  requireFunction(fn, 'transformWith');
  return new TransformedDStream<W>([this, other], (rdds, time) => fn(rdds[0], rdds[1], time));
};

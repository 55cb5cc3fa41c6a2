import { DStream } from './dstream';
import { StreamingContext } from './context';
import { MissingBatchError } from './errors';
import { requireFunction } from './map';
import { RDD } from './rdd';

/** The RDD types of a tuple of streams: `[DStream<A>, DStream<B>]` gives `[RDD<A>, RDD<B>]`. */
export type RDDsOf<S extends readonly DStream<any>[]> = {
  [I in keyof S]: S[I] extends DStream<infer T> ? RDD<T> : never;
};

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

declare module './context' {
  interface StreamingContext {
    /**
     * A stream of `fn(rdds, time)` combining each batch of several streams (same context, same
     * slide), as Spark's `StreamingContext.transform`: `rdds` are the streams' RDDs in order.
     * @example ssc.transform([a, b, c], ([x, y, z]) => x.union(y).union(z))
     */
    transform<S extends readonly DStream<any>[], U>(
      streams: readonly [...S],
      fn: (rdds: RDDsOf<S>, time: number) => RDD<U>,
    ): DStream<U>;
  }
}

/**
 * Spark's TransformedDStream: one RDD function over the parents' RDDs of the same batch. Every
 * parent must have an RDD at that time (MissingBatchError otherwise), and the function must return
 * an RDD (return `RDD.empty()` for nothing), as in Spark.
 */
export class TransformedDStream<U> extends DStream<U> {
  constructor(
    readonly parents: DStream<any>[],
    private readonly fn: (rdds: RDD<any>[], time: number) => RDD<U>,
    readonly op = 'transform',
  ) {
    super(checkTransformParents(parents, op).ssc);
  }

  get dependencies(): DStream<any>[] {
    return this.parents;
  }

  protected compute(time: number): RDD<U> | undefined {
    const rdds = this.parents.map((p) => {
      const rdd = p.getOrCompute(time);
      if (!rdd) throw new MissingBatchError(this.op, p.name, time);
      return rdd;
    });
    const out = this.fn(rdds, time);
    if (!(out instanceof RDD)) {
      throw new TypeError(
        `${this.op} function returned ${out === null ? 'null' : typeof out}, not an RDD: return rdd.map(...) or similar, or RDD.empty() for nothing.`,
      );
    }
    return out;
  }
}

/** Validates the parents of a transform: at least one DStream, one context, one slide. Returns the first. */
function checkTransformParents(parents: DStream<any>[], op: string): DStream<any> {
  if (!Array.isArray(parents) || parents.length === 0) {
    throw new TypeError(`${op} needs an array of at least one DStream, e.g. ssc.transform([a, b], fn).`);
  }
  for (const p of parents) {
    if (!(p instanceof DStream))
      throw new TypeError(`${op}: every stream must be a DStream, got ${typeof p}.`);
    if (p.ssc !== parents[0].ssc) {
      throw new Error(`${op}: every stream must belong to the same StreamingContext.`);
    }
    if (p.slideDuration !== parents[0].slideDuration) {
      throw new Error(
        `${op}: every stream must have the same slide duration, got ${parents.map((q) => q.slideDuration / 1000).join(' s, ')} s.`,
      );
    }
  }
  return parents[0];
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
  return new TransformedDStream<W>(
    [this, other],
    (rdds, time) => fn(rdds[0], rdds[1], time),
    'transformWith',
  );
};

StreamingContext.prototype.transform = function <S extends readonly DStream<any>[], U>(
  this: StreamingContext,
  streams: readonly [...S],
  fn: (rdds: RDDsOf<S>, time: number) => RDD<U>,
): DStream<U> {
  requireFunction(fn, 'transform');
  const parents: unknown[] = Array.isArray(streams) ? [...streams] : [];
  if (parents.some((p) => p instanceof DStream && p.ssc !== this)) {
    throw new Error('ssc.transform: every stream must belong to this StreamingContext.');
  }
  return new TransformedDStream<U>(parents as DStream<any>[], (rdds, time) =>
    fn(rdds as unknown as RDDsOf<S>, time),
  );
};

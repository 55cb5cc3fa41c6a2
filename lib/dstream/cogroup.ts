import { DStream } from './dstream';
import { checkNumPartitions } from './combine-by-key';
import { RDD } from './rdd';
import { MissingBatchError } from './errors';
import { KeyMap } from '../util/key-map';

declare module './dstream' {
  interface DStream<T> {
    /**
     * On pair streams: for every key in either stream's batch, `[k, [vs, ws]]` with the values
     * from this stream and from `other` (arrays, possibly empty). Joins are built on it.
     * @example a.cogroup(b)   // [['x', [[1], ['p', 'q']]]]
     */
    cogroup<K, V, W>(
      this: DStream<[K, V]>,
      other: DStream<[K, W]>,
      numPartitions?: number,
    ): DStream<[K, [V[], W[]]]>;
  }
}

/** Spark's cogroup of two pair streams at the same batch time (a shuffle of both). */
export class CoGroupedDStream<K, V, W> extends DStream<[K, [V[], W[]]]> {
  constructor(
    readonly left: DStream<[K, V]>,
    readonly right: DStream<[K, W]>,
  ) {
    super(checkSameContext(left, right).ssc);
    if (left.slideDuration !== right.slideDuration) {
      throw new Error(
        `cogroup/join: both streams must have the same slide duration, got ${left.slideDuration / 1000} s and ${right.slideDuration / 1000} s.`,
      );
    }
  }

  get dependencies(): DStream<any>[] {
    return [this.left, this.right];
  }

  protected compute(time: number): RDD<[K, [V[], W[]]]> | undefined {
    const m = new KeyMap<K, [V[], W[]]>();
    // Both sides must have a batch: Spark's cogroup is a transformWith of the two streams.
    const okLeft = this.left.pushTo(time, (kv) => {
      const e = m.get(kv[0]);
      if (e) e[0].push(kv[1]);
      else m.set(kv[0], [[kv[1]], []]);
    });
    if (!okLeft) throw new MissingBatchError('cogroup', this.left.name, time);
    const okRight = this.right.pushTo(time, (kv) => {
      const e = m.get(kv[0]);
      if (e) e[1].push(kv[1]);
      else m.set(kv[0], [[], [kv[1]]]);
    });
    if (!okRight) throw new MissingBatchError('cogroup', this.right.name, time);
    return RDD.of(Array.from(m.entries()));
  }
}

/** Both streams must belong to one context; returns the first. */
export function checkSameContext<A, B>(a: DStream<A>, b: DStream<B>): DStream<A> {
  if (!(b instanceof DStream)) throw new TypeError('The other argument must be a DStream.');
  if (a.ssc !== b.ssc) throw new Error('Both streams must belong to the same StreamingContext.');
  return a;
}

DStream.prototype.cogroup = function <K, V, W>(
  this: DStream<[K, V]>,
  other: DStream<[K, W]>,
  numPartitions?: number,
): DStream<[K, [V[], W[]]]> {
  checkNumPartitions(numPartitions, 'cogroup');
  return new CoGroupedDStream(this, other);
};

import { DStream, NarrowDStream } from './dstream';
import { requireFunction } from './map';

declare module './dstream' {
  interface DStream<T> {
    /**
     * On a pair stream: `[k, u]` for every u of `fn(v)`, for every `[k, v]`.
     * @example pairs.flatMapValues((v) => [v, v + 1])
     */
    flatMapValues<K, V, U>(this: DStream<[K, V]>, fn: (v: V) => Iterable<U>): DStream<[K, U]>;
  }
}

/** Spark's FlatMapValuedDStream. */
export class FlatMapValuedDStream<K, V, U> extends NarrowDStream<[K, V], [K, U]> {
  constructor(
    parent: DStream<[K, V]>,
    private readonly fn: (v: V) => Iterable<U>,
  ) {
    super(parent);
  }

  fuse(emit: (x: [K, U]) => void): (x: [K, V]) => void {
    const fn = this.fn;
    return (kv) => {
      for (const u of fn(kv[1])) emit([kv[0], u]);
    };
  }
}

DStream.prototype.flatMapValues = function <K, V, U>(
  this: DStream<[K, V]>,
  fn: (v: V) => Iterable<U>,
): DStream<[K, U]> {
  requireFunction(fn, 'flatMapValues');
  return new FlatMapValuedDStream(this, fn);
};

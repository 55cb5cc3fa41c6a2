import { DStream, NarrowDStream } from './dstream';
import { requireFunction } from './map';

declare module './dstream' {
  interface DStream<T> {
    /**
     * On a pair stream: `[k, fn(v)]` for every `[k, v]`, keys unchanged.
     * @example counts.mapValues((n) => n * 2)
     */
    mapValues<K, V, U>(this: DStream<[K, V]>, fn: (v: V) => U): DStream<[K, U]>;
  }
}

/** Spark's MapValuedDStream. */
export class MapValuedDStream<K, V, U> extends NarrowDStream<[K, V], [K, U]> {
  constructor(
    parent: DStream<[K, V]>,
    private readonly fn: (v: V) => U,
  ) {
    super(parent);
  }

  fuse(emit: (x: [K, U]) => void): (x: [K, V]) => void {
    const fn = this.fn;
    return (kv) => emit([kv[0], fn(kv[1])]);
  }
}

DStream.prototype.mapValues = function <K, V, U>(this: DStream<[K, V]>, fn: (v: V) => U): DStream<[K, U]> {
  requireFunction(fn, 'mapValues');
  return new MapValuedDStream(this, fn);
};

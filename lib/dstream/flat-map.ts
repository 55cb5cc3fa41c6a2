import { DStream, NarrowDStream } from './dstream';
import { requireFunction } from './map';

declare module './dstream' {
  interface DStream<T> {
    /**
     * A stream of every element of the iterables `fn(x)` returns.
     * @example lines.flatMap((l) => l.split(' '))
     */
    flatMap<U>(fn: (x: T) => Iterable<U>): DStream<U>;
  }
}

/** Spark's FlatMappedDStream. */
export class FlatMappedDStream<T, U> extends NarrowDStream<T, U> {
  constructor(
    parent: DStream<T>,
    private readonly fn: (x: T) => Iterable<U>,
  ) {
    super(parent);
  }

  fuse(emit: (x: U) => void): (x: T) => void {
    const fn = this.fn;
    return (x) => {
      const ys = fn(x);
      if (Array.isArray(ys)) {
        for (let i = 0; i < ys.length; i++) emit(ys[i]);
      } else {
        for (const y of ys) emit(y);
      }
    };
  }
}

DStream.prototype.flatMap = function <T, U>(this: DStream<T>, fn: (x: T) => Iterable<U>): DStream<U> {
  requireFunction(fn, 'flatMap');
  return new FlatMappedDStream(this, fn);
};

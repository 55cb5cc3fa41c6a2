import { DStream, NarrowDStream } from './dstream';
import { requireFunction } from './map';

declare module './dstream' {
  interface DStream<T> {
    /**
     * A stream of the elements for which `fn` is true.
     * @example words.filter((w) => w.length > 0)
     */
    filter(fn: (x: T) => boolean): DStream<T>;
  }
}

/** Spark's FilteredDStream. */
export class FilteredDStream<T> extends NarrowDStream<T, T> {
  constructor(
    parent: DStream<T>,
    private readonly fn: (x: T) => boolean,
  ) {
    super(parent);
  }

  fuse(emit: (x: T) => void): (x: T) => void {
    const fn = this.fn;
    return (x) => {
      if (fn(x)) emit(x);
    };
  }
}

DStream.prototype.filter = function <T>(this: DStream<T>, fn: (x: T) => boolean): DStream<T> {
  requireFunction(fn, 'filter');
  return new FilteredDStream(this, fn);
};

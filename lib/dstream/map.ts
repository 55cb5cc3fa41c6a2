import { DStream, NarrowDStream } from './dstream';

declare module './dstream' {
  interface DStream<T> {
    /**
     * A stream of `fn(x)` for every element x. Fuses with neighbouring narrow operators.
     * @example lines.map((l) => l.length)
     */
    map<U>(fn: (x: T) => U): DStream<U>;
  }
}

/** Spark's MappedDStream. */
export class MappedDStream<T, U> extends NarrowDStream<T, U> {
  constructor(
    parent: DStream<T>,
    private readonly fn: (x: T) => U,
  ) {
    super(parent);
  }

  fuse(emit: (x: U) => void): (x: T) => void {
    const fn = this.fn;
    return (x) => emit(fn(x));
  }
}

DStream.prototype.map = function <T, U>(this: DStream<T>, fn: (x: T) => U): DStream<U> {
  requireFunction(fn, 'map');
  return new MappedDStream(this, fn);
};

/** Throws a clear error when a user function is not a function. */
export function requireFunction(fn: unknown, op: string, what = 'function'): void {
  if (typeof fn !== 'function') {
    throw new TypeError(`${op}() needs a ${what}, got ${fn === null ? 'null' : typeof fn}.`);
  }
}

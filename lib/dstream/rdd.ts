import { KeyMap } from '../util/key-map';

/**
 * The data of one batch, as Spark's RDD: a list of partitions, each an array. Streams have one
 * partition per batch unless `repartition(n)` spreads them. RDDs are immutable: every operation
 * returns a new RDD. This is what `transform` and `foreachRDD` hand to user code.
 */
export class RDD<T> {
  /** The partitions; do not mutate them. */
  readonly partitions: readonly T[][];

  constructor(partitions: T[][]) {
    this.partitions = partitions;
  }

  /** An RDD of one partition holding `items`. */
  static of<T>(items: T[]): RDD<T> {
    return new RDD([items]);
  }

  /** An empty RDD (one empty partition). */
  static empty<T>(): RDD<T> {
    return new RDD<T>([[]]);
  }

  /** Number of partitions. */
  getNumPartitions(): number {
    return this.partitions.length;
  }

  /** Every element, partitions in order, as a new array. */
  collect(): T[] {
    if (this.partitions.length === 1) return this.partitions[0].slice();
    const out: T[] = [];
    for (const p of this.partitions) for (const x of p) out.push(x);
    return out;
  }

  /** Number of elements. */
  count(): number {
    let n = 0;
    for (const p of this.partitions) n += p.length;
    return n;
  }

  /** True when the RDD has no element. */
  isEmpty(): boolean {
    return this.partitions.every((p) => p.length === 0);
  }

  /** The first `n` elements. */
  take(n: number): T[] {
    const out: T[] = [];
    for (const p of this.partitions) {
      for (const x of p) {
        if (out.length >= n) return out;
        out.push(x);
      }
    }
    return out;
  }

  /** The first element; throws when the RDD is empty (as Spark's `first`). */
  first(): T {
    for (const p of this.partitions) if (p.length > 0) return p[0];
    throw new Error('RDD.first(): the RDD is empty. Check isEmpty() first, or use take(1).');
  }

  /** Applies `fn` to every element. */
  map<U>(fn: (x: T) => U): RDD<U> {
    return new RDD(this.partitions.map((p) => p.map((x) => fn(x))));
  }

  /** Applies `fn` to every element and flattens the iterables it returns. */
  flatMap<U>(fn: (x: T) => Iterable<U>): RDD<U> {
    return new RDD(
      this.partitions.map((p) => {
        const out: U[] = [];
        for (const x of p) for (const y of fn(x)) out.push(y);
        return out;
      }),
    );
  }

  /** Keeps the elements for which `fn` is true. */
  filter(fn: (x: T) => boolean): RDD<T> {
    return new RDD(this.partitions.map((p) => p.filter((x) => fn(x))));
  }

  /** Applies `fn` to each partition. */
  mapPartitions<U>(fn: (items: T[]) => Iterable<U>): RDD<U> {
    return new RDD(this.partitions.map((p) => Array.from(fn(p))));
  }

  /** One array per partition. */
  glom(): RDD<T[]> {
    return new RDD(this.partitions.map((p) => [p.slice()]));
  }

  /** Reduces all elements with `fn`; throws on an empty RDD (as Spark's `reduce`). */
  reduce(fn: (a: T, b: T) => T): T {
    let acc: T | undefined;
    let seen = false;
    for (const p of this.partitions) {
      for (const x of p) {
        acc = seen ? fn(acc as T, x) : x;
        seen = true;
      }
    }
    if (!seen) throw new Error('RDD.reduce(): the RDD is empty. Check isEmpty() first.');
    return acc as T;
  }

  /** The partitions of this RDD followed by those of `other`. */
  union(other: RDD<T>): RDD<T> {
    return new RDD([...this.partitions, ...other.partitions]);
  }

  /** Runs `fn` on every element, for its side effects. */
  foreach(fn: (x: T) => void): void {
    for (const p of this.partitions) for (const x of p) fn(x);
  }

  /** Sorts by `keyFn` (ascending by default) into one partition. */
  sortBy<K>(keyFn: (x: T) => K, ascending = true): RDD<T> {
    const items = this.collect().map((x, i) => ({ x, k: keyFn(x), i }));
    items.sort((a, b) => {
      const c = compareValues(a.k, b.k);
      return (ascending ? c : -c) || a.i - b.i;
    });
    return RDD.of(items.map((e) => e.x));
  }

  /** Merges the values of each key with `fn`, in one partition, keys in first-seen order. */
  reduceByKey<K, V>(this: RDD<[K, V]>, fn: (a: V, b: V) => V): RDD<[K, V]> {
    const m = new KeyMap<K, V>();
    for (const p of this.partitions) {
      for (const [k, v] of p) {
        const prev = m.get(k);
        m.set(k, prev === undefined && !m.has(k) ? v : fn(prev as V, v));
      }
    }
    return RDD.of(Array.from(m.entries()));
  }

  /** Inner join on the key: one `[k, [v, w]]` per matching pair. */
  join<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>): RDD<[K, [V, W]]> {
    const right = new KeyMap<K, W[]>();
    for (const p of other.partitions) {
      for (const [k, w] of p) {
        const arr = right.get(k);
        if (arr) arr.push(w);
        else right.set(k, [w]);
      }
    }
    const out: [K, [V, W]][] = [];
    for (const p of this.partitions) {
      for (const [k, v] of p) {
        const ws = right.get(k);
        if (ws) for (const w of ws) out.push([k, [v, w]]);
      }
    }
    return RDD.of(out);
  }
}

/** Orders numbers numerically, strings by code units, and anything else by its JSON form. */
export function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compareValues(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  const sa = JSON.stringify(a);
  const sb = JSON.stringify(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

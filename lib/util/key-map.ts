/**
 * A hash map keyed by value, as Spark keys pairs by `equals`/`hashCode`: primitive keys (strings,
 * numbers, booleans, null, undefined, bigint) key a native Map directly; arrays and plain objects
 * are keyed by a canonical JSON form, so `['a', 1]` and another `['a', 1]` are the same key.
 * Iteration is in first-insertion order.
 */
export class KeyMap<K, V> {
  private readonly map = new Map<unknown, V>();
  private readonly keys = new Map<string, K>();

  /** The map's internal key for `key`. */
  private static norm(key: unknown): unknown {
    return normKey(key);
  }

  get size(): number {
    return this.map.size;
  }

  // The primitive-key case is inlined: it is the hot path of every shuffle.
  get(key: K): V | undefined {
    return this.map.get(typeof key === 'object' && key !== null ? normKey(key) : key);
  }

  has(key: K): boolean {
    return this.map.has(typeof key === 'object' && key !== null ? normKey(key) : key);
  }

  set(key: K, value: V): this {
    if (typeof key !== 'object' || key === null) {
      this.map.set(key, value);
      return this;
    }
    const n = normKey(key) as string;
    if (!this.keys.has(n)) this.keys.set(n, key);
    this.map.set(n, value);
    return this;
  }

  delete(key: K): boolean {
    const n = KeyMap.norm(key);
    if (typeof n === 'string' && n !== key) this.keys.delete(n);
    return this.map.delete(n);
  }

  /** The original key object for an internal key. */
  private original(n: unknown): K {
    if (typeof n === 'string' && n.startsWith(OBJECT_KEY_PREFIX)) {
      const k = this.keys.get(n);
      if (k !== undefined) return k;
    }
    return n as K;
  }

  *entries(): IterableIterator<[K, V]> {
    for (const [n, v] of this.map) yield [this.original(n), v];
  }

  /** The entries as an array of `[key, value]` pairs, in insertion order (faster than `entries()`). */
  toArray(): [K, V][] {
    const out: [K, V][] = new Array(this.map.size);
    let i = 0;
    if (this.keys.size === 0) for (const [n, v] of this.map) out[i++] = [n as K, v];
    else for (const [n, v] of this.map) out[i++] = [this.original(n), v];
    return out;
  }

  forEach(fn: (value: V, key: K) => void): void {
    for (const [n, v] of this.map) fn(v, this.original(n));
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }
}

const OBJECT_KEY_PREFIX = '\u0000\u0001key:';

/**
 * The value a key is hashed by, as Spark keys pairs by equals/hashCode: primitives are themselves;
 * arrays and plain objects become a canonical JSON string, so equal values are one key.
 */
export function normKey(key: unknown): unknown {
  return typeof key === 'object' && key !== null ? OBJECT_KEY_PREFIX + canonicalJson(key) : key;
}

/** JSON with object keys sorted, so that equal values give equal strings. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)) {
      const sorted: Record<string, unknown> = {};
      for (const key of Object.keys(v as object).sort()) sorted[key] = (v as Record<string, unknown>)[key];
      return sorted;
    }
    if (typeof v === 'bigint') return v.toString();
    return v;
  });
}

/**
 * A `StateStore` that forwards every call to another: extend it to observe or change some calls
 * (count them, hold a write in flight, inject a fault) and leave the rest as they are.
 */
import type { Condition, QueryOptions, StateStore, StoreItem, StoreStats } from './types';

/**
 * Forwards every call to `inner`.
 * @example class Counting extends ForwardingStore { puts = 0; put(i, c) { this.puts++; return super.put(i, c); } }
 */
export class ForwardingStore implements StateStore {
  constructor(readonly inner: StateStore) {}

  get(pk: string, sk: string): Promise<StoreItem | undefined> {
    return this.inner.get(pk, sk);
  }
  query(pk: string, options?: QueryOptions): Promise<StoreItem[]> {
    return this.inner.query(pk, options);
  }
  put(item: StoreItem, condition?: Condition): Promise<boolean> {
    return this.inner.put(item, condition);
  }
  putAll(items: StoreItem[]): Promise<void> {
    return this.inner.putAll(items);
  }
  deleteAll(keys: { pk: string; sk: string }[]): Promise<void> {
    return this.inner.deleteAll(keys);
  }
  stats(): StoreStats {
    return this.inner.stats();
  }
  resetStats(): void {
    this.inner.resetStats();
  }
}

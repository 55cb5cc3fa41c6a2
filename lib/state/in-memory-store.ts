/**
 * The in-memory `StateStore`: the reference the DynamoDB store is held to, for tests and the
 * in-memory engine.
 */
import { groupsOf, lastPerKey } from './batching';
import { compareStrings, evaluateCondition, validateCondition } from './condition';
import { copyItem, isExpired, itemBytes, validateItem, validateKey, validatePartitionKey } from './item';
import { skMatches, skRange, validateLimit } from './query-range';
import { StatsCounter } from './stats';
import type { Condition, QueryOptions, StateStore, StoreItem, StoreStats } from './types';

/** Options of `InMemoryStateStore`. */
export interface InMemoryStateStoreOptions {
  /** The clock that decides expiry, in epoch milliseconds. @default Date.now */
  now?: () => number;
}

interface Stored {
  item: StoreItem;
  /** The item's size as DynamoDB would count it. */
  bytes: number;
}

/** Strongly consistent reads: one unit per 4 KB, at least one. */
function readUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 4096));
}

/** Writes: one unit per 1 KB, at least one. */
function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1024));
}

/**
 * A `StateStore` in process memory. Items are deep-copied in and out, so callers never alias
 * stored state; conditions and expiry behave as in the DynamoDB store, and `stats()` estimates the
 * requests and capacity units DynamoDB would bill for the same calls (unchunked).
 * @example
 * const store = new InMemoryStateStore({ now: () => clock.ms });
 * await store.put({ pk: 'meta', sk: 'shard#0', attrs: { seq: '42' } }, { notExists: true });
 */
export class InMemoryStateStore implements StateStore {
  private readonly partitions = new Map<string, Map<string, Stored>>();
  private readonly counters = new StatsCounter();
  private readonly now: () => number;

  constructor(options: InMemoryStateStoreOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  async get(pk: string, sk: string): Promise<StoreItem | undefined> {
    validateKey(pk, sk);
    this.counters.request('GetItem');
    const stored = this.partitions.get(pk)?.get(sk);
    this.counters.read(readUnits(stored?.bytes ?? 0));
    const live = this.live(pk, sk);
    return live && copyItem(live);
  }

  async query(pk: string, options: QueryOptions = {}): Promise<StoreItem[]> {
    validatePartitionKey(pk);
    if (skRange(options).empty) return [];
    this.counters.request('Query');
    validateLimit(options.limit);
    const partition = this.partitions.get(pk);
    const keys = [...(partition?.keys() ?? [])].filter((sk) => skMatches(sk, options)).sort(compareStrings);
    if (options.reverse) keys.reverse();
    const out: StoreItem[] = [];
    let bytes = 0;
    for (const sk of keys) {
      if (options.limit !== undefined && out.length >= options.limit) break;
      // DynamoDB reads, and bills, expired items that TTL has not deleted yet.
      bytes += partition!.get(sk)!.bytes;
      const live = this.live(pk, sk);
      if (live) out.push(copyItem(live));
    }
    this.counters.read(readUnits(bytes));
    return out;
  }

  /** Items stored, expired ones included until read (tests of retention count them). */
  itemCount(): number {
    let n = 0;
    for (const p of this.partitions.values()) n += p.size;
    return n;
  }

  /** Drops expired items, as DynamoDB's TTL eventually does. Returns how many went. */
  purgeExpired(): number {
    let n = 0;
    const now = this.now();
    for (const [pk, p] of this.partitions) {
      for (const [sk, stored] of p) {
        if (isExpired(stored.item.expiresAt, now)) {
          p.delete(sk);
          n++;
        }
      }
      if (p.size === 0) this.partitions.delete(pk);
    }
    return n;
  }

  async put(item: StoreItem, condition?: Condition): Promise<boolean> {
    validateItem(item);
    if (condition !== undefined) validateCondition(condition);
    this.counters.request('PutItem');
    // No await from here on: the check and the write are one atomic step.
    const old = this.partitions.get(item.pk)?.get(item.sk);
    if (condition !== undefined && !evaluateCondition(condition, this.live(item.pk, item.sk))) {
      this.counters.write(writeUnits(old?.bytes ?? 0));
      return false;
    }
    this.write(item, old);
    return true;
  }

  async putAll(items: StoreItem[]): Promise<void> {
    items.forEach(validateItem);
    for (const group of groupsOf(lastPerKey(items))) {
      this.counters.request('BatchWriteItem');
      for (const item of group) this.write(item, this.partitions.get(item.pk)?.get(item.sk));
    }
  }

  async deleteAll(keys: { pk: string; sk: string }[]): Promise<void> {
    keys.forEach(({ pk, sk }) => validateKey(pk, sk));
    for (const group of groupsOf(lastPerKey(keys))) {
      this.counters.request('BatchWriteItem');
      for (const { pk, sk } of group) {
        const partition = this.partitions.get(pk);
        this.counters.write(writeUnits(partition?.get(sk)?.bytes ?? 0));
        partition?.delete(sk);
        if (partition?.size === 0) this.partitions.delete(pk);
      }
    }
  }

  stats(): StoreStats {
    return this.counters.snapshot();
  }

  resetStats(): void {
    this.counters.reset();
  }

  /** Replaces the stored version whole; bills the larger of old and new, as DynamoDB does. */
  private write(item: StoreItem, old: Stored | undefined): void {
    const copy = copyItem(item);
    const bytes = itemBytes(copy);
    let partition = this.partitions.get(copy.pk);
    if (!partition) this.partitions.set(copy.pk, (partition = new Map()));
    partition.set(copy.sk, { item: copy, bytes });
    this.counters.write(Math.max(writeUnits(bytes), old ? writeUnits(old.bytes) : 0));
    this.counters.wrote(1, bytes);
  }

  /** The stored item unless absent or expired (an expired one is dropped, as TTL would). */
  private live(pk: string, sk: string): StoreItem | undefined {
    const partition = this.partitions.get(pk);
    const stored = partition?.get(sk);
    if (stored && isExpired(stored.item.expiresAt, this.now())) {
      partition!.delete(sk);
      return undefined;
    }
    return stored?.item;
  }
}

/**
 * The state store contract shared by the in-memory and DynamoDB implementations.
 *
 * One single-table layout: every item has a string partition key `pk` and sort key `sk`, optional
 * scalar attributes, an optional binary payload `data` of any size (a store chunks it past the
 * 400 KB item limit and reassembles it on read), and an optional TTL `expiresAt` (epoch seconds).
 * Readers never see an expired item, even before DynamoDB's lazy TTL deletes it.
 */

/** A scalar attribute value. Numbers must be finite; use strings for sequence numbers (BigInt-sized). */
export type AttrValue = string | number | boolean;

/** One stored item. */
export interface StoreItem {
  /** Partition key: non-empty, at most 2048 UTF-8 bytes. */
  pk: string;
  /**
   * Sort key: non-empty, at most 960 UTF-8 bytes (DynamoDB allows 1024; the rest is kept for chunk
   * keys), and never containing `\u0000chunk\u0000`, which chunk items use.
   */
  sk: string;
  /** Opaque payload of any size; chunked transparently by stores with an item-size limit. */
  data?: Uint8Array;
  /** TTL in epoch seconds; an item whose `expiresAt` is in the past is treated as absent. */
  expiresAt?: number;
  /** Further scalar attributes (names: letters, digits and `_`; not `pk`, `sk`, `data`, `expiresAt`). */
  attrs?: Record<string, AttrValue>;
}

/**
 * A comparison operator for conditions. Strings compare by code unit order, numbers numerically.
 * (Precisely: by Unicode code point order, which is DynamoDB's UTF-8 byte order; it equals code unit
 * order except where a character above U+FFFF meets one in U+E000-U+FFFF. Sort keys are ordered the
 * same way.) A value of another type than the attribute's never compares true, except with `<>`.
 */
export type CompareOp = '=' | '<>' | '<' | '<=' | '>' | '>=';

/**
 * A condition on the current version of one item, evaluated atomically with a conditional write.
 * - `{ notExists: true }`: the item is absent (or expired).
 * - `{ attr, op, value }`: the item exists and its attribute compares true (absent attribute: false).
 * - `{ attrNotExists: name }`: the item is absent or lacks that attribute.
 * - `{ and: [...] }`, `{ or: [...] }`: combinations (`{ and: [] }` holds, `{ or: [] }` does not).
 * Ordering operators (`<`, `<=`, `>`, `>=`) take a string or number value, never a boolean.
 */
export type Condition =
  | { notExists: true }
  | { attr: string; op: CompareOp; value: AttrValue }
  | { attrNotExists: string }
  | { and: Condition[] }
  | { or: Condition[] };

/** Options for `query`. */
export interface QueryOptions {
  /** Only items whose sort key starts with this prefix. */
  skPrefix?: string;
  /** Only items whose sort key is >= this value (combined with skPrefix by AND). */
  skFrom?: string;
  /** Only items whose sort key is <= this value. */
  skTo?: string;
  /** Descending sort-key order (DynamoDB's `ScanIndexForward: false`), e.g. the latest items first. */
  reverse?: boolean;
  /** At most this many items (after the others options select them), a positive whole number. */
  limit?: number;
}

/** Request and capacity counters, the figures the cost tests and benchmarks read. */
export interface StoreStats {
  /** Requests sent to the backend, by operation name (e.g. `GetItem`, `Query`, `BatchWriteItem`). */
  requests: Record<string, number>;
  /** Total requests (sum of `requests`). */
  totalRequests: number;
  /** Read capacity units consumed (DynamoDB's ReturnConsumedCapacity; estimated by the in-memory store). */
  readCapacityUnits: number;
  /** Write capacity units consumed (as above). */
  writeCapacityUnits: number;
  /** Items written (each chunk counts). */
  itemsWritten: number;
  /** Bytes written (payload and attributes, approximately as DynamoDB sizes items). */
  bytesWritten: number;
}

/** Thrown by `put` when its condition does not hold. */
export class ConditionFailedError extends Error {
  constructor(
    readonly pk: string,
    readonly sk: string,
  ) {
    super(`condition failed for item ${pk} / ${sk}`);
    this.name = 'ConditionFailedError';
  }
}

/**
 * Thrown by stores for invalid arguments (empty keys, reserved or malformed attribute names,
 * non-finite numbers, malformed conditions), for writes the backend could not complete after bounded
 * retries, and for stored data that fails its integrity check. Backend errors of other kinds (network,
 * permissions, missing table) propagate unchanged.
 */
export class StateStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StateStoreError';
  }
}

/**
 * Key-value state with conditional writes and idempotent batch puts: all that exactly-once needs,
 * no transactions. Both implementations pass `test/state/conformance.ts`.
 */
export interface StateStore {
  /** The item, or undefined when absent or expired. Strongly consistent. */
  get(pk: string, sk: string): Promise<StoreItem | undefined>;
  /**
   * Items of one partition in ascending sort-key order (descending with `reverse`), expired ones left
   * out, at most `limit` of them. Strongly consistent.
   */
  query(pk: string, options?: QueryOptions): Promise<StoreItem[]>;
  /**
   * Writes one item, replacing any previous version whole. With a condition, writes only when the
   * condition holds on the current version and returns false otherwise (never throws for that).
   */
  put(item: StoreItem, condition?: Condition): Promise<boolean>;
  /** Idempotent unconditional puts of many items (batched, unprocessed items retried with backoff). */
  putAll(items: StoreItem[]): Promise<void>;
  /** Deletes items (absent ones are ignored). */
  deleteAll(keys: { pk: string; sk: string }[]): Promise<void>;
  /** Counters since creation or the last `resetStats()`. */
  stats(): StoreStats;
  /** Zeroes the counters. */
  resetStats(): void;
}

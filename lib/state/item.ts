/**
 * Rules every store applies to items alike: what a valid item is, how it is copied, when it has
 * expired, and how big DynamoDB would say it is. Both stores import these so that they cannot drift.
 */
import { StateStoreError, type AttrValue, type StoreItem } from './types';

/** Attribute names a caller may use: letters, digits and `_`. */
const ATTR_NAME = /^[A-Za-z0-9_]+$/;

/** Names the item layout itself uses. */
const RESERVED_NAMES = new Set(['pk', 'sk', 'data', 'expiresAt']);

/** Marks chunk items' sort keys; a caller's sort key may not contain it. */
export const CHUNK_MARK = '\u0000chunk\u0000';

/** DynamoDB's partition key limit. */
export const MAX_PK_BYTES = 2048;

/** DynamoDB's sort key limit (1024) less room for a chunk suffix. */
export const MAX_SK_BYTES = 960;

/** UTF-8 length of a string. */
export function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/**
 * Throws a `StateStoreError` unless `pk` and `sk` are usable keys.
 * @example validateKey('meta#wordcount', 'shard#0001');
 */
export function validateKey(pk: string, sk: string): void {
  const problem = keyProblem('pk', pk, MAX_PK_BYTES) ?? keyProblem('sk', sk, MAX_SK_BYTES);
  if (problem)
    throw new StateStoreError(`invalid key ${JSON.stringify(pk)} / ${JSON.stringify(sk)}: ${problem}`);
  if (sk.includes(CHUNK_MARK)) {
    throw new StateStoreError(
      `invalid sort key ${JSON.stringify(sk)}: it contains ${JSON.stringify(CHUNK_MARK)}, which chunk items use`,
    );
  }
}

function keyProblem(name: string, value: unknown, maxBytes: number): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return `${name} must be a non-empty string`;
  const bytes = utf8Bytes(value);
  return bytes > maxBytes ? `${name} is ${bytes} UTF-8 bytes, more than ${maxBytes}` : undefined;
}

/** Throws a `StateStoreError` unless `pk` is a usable partition key (as for `query`). */
export function validatePartitionKey(pk: string): void {
  const problem = keyProblem('pk', pk, MAX_PK_BYTES);
  if (problem) throw new StateStoreError(`invalid partition key ${JSON.stringify(pk)}: ${problem}`);
}

/** Throws a `StateStoreError` unless `name` is a caller attribute name (`[A-Za-z0-9_]+`, not reserved). */
export function validateAttrName(name: string): void {
  if (typeof name !== 'string' || !ATTR_NAME.test(name) || RESERVED_NAMES.has(name)) {
    throw new StateStoreError(
      `invalid attribute name ${JSON.stringify(name)}: use letters, digits and _, and none of ${[...RESERVED_NAMES].join(', ')}`,
    );
  }
}

/** Throws a `StateStoreError` unless `value` is a string, a finite number or a boolean. */
export function validateAttrValue(name: string, value: unknown): asserts value is AttrValue {
  const ok =
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value));
  if (!ok) {
    throw new StateStoreError(
      `invalid value for attribute ${name}: ${String(value)} (${typeof value}); use a string, a finite number or a boolean`,
    );
  }
}

/** DynamoDB's item size limit. */
export const MAX_ITEM_BYTES = 400 * 1024;

/** What an item's keys, TTL and attributes may take: the item limit less room for chunk bookkeeping. */
export const MAX_HEAD_BYTES = MAX_ITEM_BYTES - 256;

/** DynamoDB's number range: magnitudes from 1e-130 to below 1e126 (and zero). */
function inDynamoRange(n: number): boolean {
  const a = Math.abs(n);
  return a === 0 || (a >= 1e-130 && a < 1e126);
}

/** Throws a `StateStoreError` unless `item` is a valid `StoreItem`. */
export function validateItem(item: StoreItem): void {
  if (typeof item !== 'object' || item === null) throw new StateStoreError(`invalid item: ${String(item)}`);
  validateKey(item.pk, item.sk);
  if (item.data !== undefined && !(item.data instanceof Uint8Array)) {
    throw new StateStoreError(`invalid data for item ${item.pk} / ${item.sk}: expected a Uint8Array`);
  }
  if (
    item.expiresAt !== undefined &&
    !(typeof item.expiresAt === 'number' && Number.isFinite(item.expiresAt))
  ) {
    throw new StateStoreError(
      `invalid expiresAt for item ${item.pk} / ${item.sk}: ${String(item.expiresAt)}; use epoch seconds`,
    );
  }
  for (const [name, value] of Object.entries(item.attrs ?? {})) {
    validateAttrName(name);
    validateAttrValue(name, value);
    if (typeof value === 'number' && !inDynamoRange(value)) {
      throw new StateStoreError(
        `invalid value for attribute ${name} of item ${item.pk} / ${item.sk}: ${value} is outside DynamoDB's ` +
          'number range (magnitudes 1e-130 to 1e126); store it as a string or in `data`',
      );
    }
  }
  const headBytes = itemBytes({ ...item, data: undefined });
  if (headBytes > MAX_HEAD_BYTES) {
    throw new StateStoreError(
      `item ${item.pk} / ${item.sk} has ${headBytes} bytes of keys and attributes; DynamoDB items are at most ` +
        `${MAX_ITEM_BYTES} bytes: put large values in \`data\`, which is chunked`,
    );
  }
}

/**
 * A deep copy in the one shape stores return: absent `data`, `expiresAt` and empty `attrs` are
 * left out (DynamoDB cannot tell an empty `attrs` from none), `data` is a fresh `Uint8Array`.
 */
export function copyItem(item: StoreItem): StoreItem {
  const out: StoreItem = { pk: item.pk, sk: item.sk };
  if (item.data !== undefined) out.data = new Uint8Array(item.data);
  if (item.expiresAt !== undefined) out.expiresAt = item.expiresAt;
  if (item.attrs && Object.keys(item.attrs).length > 0) out.attrs = { ...item.attrs };
  return out;
}

/** Whether an item with this TTL is expired at `nowMs` (its `expiresAt` is before now, in seconds). */
export function isExpired(expiresAt: number | undefined, nowMs: number): boolean {
  return expiresAt !== undefined && expiresAt < nowMs / 1000;
}

/**
 * DynamoDB's size of a number: about one byte per two significant digits, plus one.
 * @example numberBytes(12345) // 4
 */
export function numberBytes(n: number): number {
  const digits = Math.abs(n).toExponential().replace(/e.*$/, '').replace('.', '').length;
  return 1 + Math.ceil(digits / 2) + (n < 0 ? 1 : 0);
}

/** DynamoDB's size of one attribute: its name plus its value. */
export function attrBytes(name: string, value: AttrValue | Uint8Array): number {
  const valueBytes =
    value instanceof Uint8Array
      ? value.byteLength
      : typeof value === 'string'
        ? utf8Bytes(value)
        : typeof value === 'number'
          ? numberBytes(value)
          : 1;
  return utf8Bytes(name) + valueBytes;
}

/** The size DynamoDB would give `item` stored as one item (keys, payload, TTL and attributes). */
export function itemBytes(item: StoreItem): number {
  let size = attrBytes('pk', item.pk) + attrBytes('sk', item.sk);
  if (item.data !== undefined) size += attrBytes('data', item.data);
  if (item.expiresAt !== undefined) size += attrBytes('expiresAt', item.expiresAt);
  for (const [name, value] of Object.entries(item.attrs ?? {})) size += attrBytes(name, value);
  return size;
}

/** A string that identifies a key pair (for maps and de-duplication). */
export function keyId(pk: string, sk: string): string {
  return `${pk}\u0000${sk}`;
}

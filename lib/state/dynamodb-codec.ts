/**
 * How a `StoreItem` is laid out in DynamoDB items.
 *
 * - A head item at (pk, sk) holds the attributes, as top-level attributes of their own names, the
 *   TTL `expiresAt` (N), and the payload `data` (B) when the whole item fits in one chunk's size.
 * - A larger payload goes to chunk items at `${sk}\u0000chunk\u0000${hash}\u0000${i}` in the same
 *   partition (`$chunk`: index, `data`: bytes, same TTL); the head then records `$chunks` (count),
 *   `$hash` and `$size` instead of `data`. Chunks are written first, the head last, so a reader of
 *   any head finds its chunks: a write that crashes midway leaves the previous head, whose chunks
 *   sit at other keys (or at the same keys with the same bytes), intact.
 * - Keys are content-addressed: re-putting the same payload rewrites the same chunk items, so
 *   retries leave no garbage. The hash covers the chunk size too, so writers configured with
 *   different chunk sizes never interleave chunks at one key.
 *
 * Internal attribute names start with `$`, which caller attribute names cannot contain.
 */
import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { CHUNK_MARK, itemBytes, numberBytes, utf8Bytes } from './item';
import { StateStoreError, type AttrValue, type StoreItem } from './types';

/** A DynamoDB item as the low-level client sends and returns it. */
export type DynamoRecord = Record<string, AttributeValue>;

/** The largest chunk payload: well under DynamoDB's 400 KB item limit, keys and TTL included. */
export const MAX_CHUNK_BYTES = 350 * 1024;

const CHUNKS = '$chunks';
const HASH = '$hash';
const SIZE = '$size';
const CHUNK_BYTES = '$chunkBytes';
const CHUNK_INDEX = '$chunk';

/**
 * Where a head's payload is: `count` chunk items of `chunkBytes` each (the last one shorter),
 * `size` bytes in all, `hash` the SHA-256 (truncated) of the chunk size and the bytes.
 */
export interface ChunkRef {
  count: number;
  hash: string;
  size: number;
  chunkBytes: number;
}

/** A `StoreItem` as DynamoDB items. */
export interface EncodedItem {
  /** The item readers look up at (pk, sk). */
  head: DynamoRecord;
  /** Payload chunks, to be written before the head; empty when the payload is inline. */
  chunks: DynamoRecord[];
  /** Where the chunks are, when there are any. */
  ref?: ChunkRef;
}

/** A head item read back: the item (without `data` when chunked) and where its chunks are. */
export interface DecodedHead {
  item: StoreItem;
  ref?: ChunkRef;
}

/** One chunk item read back. */
export interface DecodedChunk {
  /** `chunkPrefix(sk, hash)` of the head it belongs to. */
  prefix: string;
  index: number;
  data: Uint8Array;
}

/** The sort-key prefix shared by the chunks of one payload of the item at `sk`. */
export function chunkPrefix(sk: string, hash: string): string {
  return `${sk}${CHUNK_MARK}${hash}\u0000`;
}

/** The sort key of chunk `index` (zero-padded, so chunks sort in order). */
export function chunkKey(sk: string, hash: string, index: number): string {
  return chunkPrefix(sk, hash) + String(index).padStart(6, '0');
}

/** The DynamoDB items for `item`, chunking its payload in pieces of `chunkBytes` when too large. */
export function encodeItem(item: StoreItem, chunkBytes: number): EncodedItem {
  const head: DynamoRecord = { pk: { S: item.pk }, sk: { S: item.sk } };
  const ttl: DynamoRecord = item.expiresAt === undefined ? {} : { expiresAt: { N: String(item.expiresAt) } };
  Object.assign(head, ttl);
  for (const [name, value] of Object.entries(item.attrs ?? {})) head[name] = encodeValue(value);
  const data = item.data;
  if (data === undefined) return { head, chunks: [] };
  if (itemBytes(item) <= chunkBytes) {
    head.data = { B: data };
    return { head, chunks: [] };
  }
  const ref: ChunkRef = {
    count: Math.ceil(data.byteLength / chunkBytes),
    hash: hashOf(data, chunkBytes),
    size: data.byteLength,
    chunkBytes,
  };
  const chunks = Array.from({ length: ref.count }, (_, i) => ({
    pk: { S: item.pk },
    sk: { S: chunkKey(item.sk, ref.hash, i) },
    [CHUNK_INDEX]: { N: String(i) },
    data: { B: data.subarray(i * chunkBytes, (i + 1) * chunkBytes) },
    ...ttl,
  }));
  head[CHUNKS] = { N: String(ref.count) };
  head[HASH] = { S: ref.hash };
  head[SIZE] = { N: String(ref.size) };
  head[CHUNK_BYTES] = { N: String(chunkBytes) };
  return { head, chunks, ref };
}

function hashOf(data: Uint8Array, chunkBytes: number): string {
  return createHash('sha256').update(`${chunkBytes}:`).update(data).digest('hex').slice(0, 32);
}

function encodeValue(value: AttrValue): AttributeValue {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  return { BOOL: value };
}

/** Whether a record read from the table is a chunk item (never returned as an item itself). */
export function isChunk(record: DynamoRecord): boolean {
  return record[CHUNK_INDEX] !== undefined;
}

/** Reads a chunk item. */
export function decodeChunk(record: DynamoRecord): DecodedChunk {
  const sk = record.sk.S!;
  return {
    prefix: sk.slice(0, sk.lastIndexOf('\u0000') + 1),
    index: Number(record[CHUNK_INDEX].N),
    data: record.data?.B ?? new Uint8Array(0),
  };
}

/** Reads a head item. */
export function decodeHead(record: DynamoRecord): DecodedHead {
  const item: StoreItem = { pk: record.pk.S!, sk: record.sk.S! };
  const attrs: Record<string, AttrValue> = {};
  for (const [name, value] of Object.entries(record)) {
    if (name === 'pk' || name === 'sk' || name.startsWith('$')) continue;
    if (name === 'data') item.data = new Uint8Array(value.B!);
    else if (name === 'expiresAt') item.expiresAt = Number(value.N);
    else attrs[name] = decodeValue(item, name, value);
  }
  if (Object.keys(attrs).length > 0) item.attrs = attrs;
  if (record[CHUNKS] === undefined) return { item };
  const ref: ChunkRef = {
    count: Number(record[CHUNKS].N),
    hash: record[HASH].S!,
    size: Number(record[SIZE].N),
    chunkBytes: Number(record[CHUNK_BYTES].N),
  };
  return { item, ref };
}

function decodeValue(item: StoreItem, name: string, value: AttributeValue): AttrValue {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  throw new StateStoreError(
    `item ${item.pk} / ${item.sk} has attribute ${name} of a type this store does not write ` +
      `(${Object.keys(value).join(',')}); was it written by something else?`,
  );
}

/**
 * The payload of `ref` from its chunks, or undefined when some are missing or the bytes do not
 * match the head's size and hash (a concurrent overwrite removed them, or they are damaged).
 */
export function assemble(ref: ChunkRef, parts: ReadonlyMap<number, Uint8Array>): Uint8Array | undefined {
  const data = new Uint8Array(ref.size);
  let offset = 0;
  for (let i = 0; i < ref.count; i++) {
    const part = parts.get(i);
    if (!part || offset + part.byteLength > ref.size) return undefined;
    data.set(part, offset);
    offset += part.byteLength;
  }
  return offset === ref.size && hashOf(data, ref.chunkBytes) === ref.hash ? data : undefined;
}

/** The size DynamoDB gives a record (attribute names plus values), for `bytesWritten`. */
export function recordBytes(record: DynamoRecord): number {
  let size = 0;
  for (const [name, value] of Object.entries(record)) {
    size += utf8Bytes(name);
    if (value.S !== undefined) size += utf8Bytes(value.S);
    else if (value.N !== undefined) size += numberBytes(Number(value.N));
    else if (value.B !== undefined) size += value.B.byteLength;
    else size += 1;
  }
  return size;
}

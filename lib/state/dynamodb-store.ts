/**
 * The DynamoDB `StateStore`: one table, string keys `pk`/`sk`, TTL attribute `expiresAt`, payloads
 * of any size chunked past the item limit (layout in `dynamodb-codec.ts`). No transactions: puts of
 * one item are atomic, conditional puts carry the rest.
 */
import {
  BatchWriteItemCommand,
  GetItemCommand,
  PutItemCommand,
  paginateQuery,
  type ConsumedCapacity,
  type DynamoDBClient,
  type PutItemCommandOutput,
  type QueryCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { groupsOf, lastPerKey } from './batching';
import { validateCondition } from './condition';
import {
  assemble,
  chunkKey,
  chunkPrefix,
  decodeChunk,
  decodeHead,
  encodeItem,
  isChunk,
  MAX_CHUNK_BYTES,
  recordBytes,
  type ChunkRef,
  type DecodedHead,
  type DynamoRecord,
  type EncodedItem,
} from './dynamodb-codec';
import { toConditionExpression } from './dynamodb-condition';
import { copyItem, isExpired, keyId, validateItem, validateKey, validatePartitionKey } from './item';
import { skMatches, skRange, validateLimit } from './query-range';
import { sleep } from '../util/backoff';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry';
import { StatsCounter } from './stats';
import {
  StateStoreError,
  type Condition,
  type QueryOptions,
  type StateStore,
  type StoreItem,
  type StoreStats,
} from './types';

/** Options of `DynamoDbStateStore`. */
export interface DynamoDbStateStoreOptions {
  /**
   * The client, created once outside the handler. Its retry strategy retries throttled requests
   * (lib/runtime/clients.ts: adaptive mode); the store adds no retry of its own on top.
   */
  client: DynamoDBClient;
  /** A table with string keys `pk` (hash) and `sk` (range), as `createStateTable` makes. */
  tableName: string;
  /** The clock that decides expiry, in epoch milliseconds. @default Date.now */
  now?: () => number;
  /**
   * Resends of the items a BatchWriteItem left unprocessed.
   * @default DEFAULT_RETRY_POLICY (10 attempts, delays from 25 ms doubling to 2 s)
   */
  retry?: Partial<RetryPolicy>;
  /** Payload bytes per chunk item, at most 350 KiB. @default MAX_CHUNK_BYTES (350 KiB) */
  chunkBytes?: number;
}

type Operation = 'GetItem' | 'Query' | 'PutItem' | 'BatchWriteItem';

const READ_OPERATIONS: ReadonlySet<Operation> = new Set(['GetItem', 'Query']);

/** Reads that find chunks missing re-read the head this many times before declaring damage. */
const CHUNK_READ_ATTEMPTS = 3;

/**
 * A `StateStore` over one DynamoDB table. Every request is strongly consistent where it reads,
 * asks for `ReturnConsumedCapacity: 'TOTAL'`, and is counted in `stats()`.
 *
 * Payloads larger than `chunkBytes` are written as chunk items first and a head item last; readers
 * reassemble and verify them. Chunks of a replaced payload are deleted by `put` (and by `putAll`
 * for chunked items); those of an item removed by `deleteAll`, or replaced through `putAll` by an
 * unchunked one, or written by a conditional `put` whose condition failed, stay until their TTL
 * (they carry the item's `expiresAt`), unseen by readers.
 * @example
 * const store = new DynamoDbStateStore({ client: new DynamoDBClient({}), tableName: 'state' });
 * const won = await store.put({ pk: 'close#wordcount', sk: '0001', attrs: { owner } }, { notExists: true });
 */
export class DynamoDbStateStore implements StateStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly now: () => number;
  private readonly retry: RetryPolicy;
  private readonly chunkBytes: number;
  private readonly counters = new StatsCounter();

  constructor(options: DynamoDbStateStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.now = options.now ?? Date.now;
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.chunkBytes = options.chunkBytes ?? MAX_CHUNK_BYTES;
    if (!(Number.isInteger(this.chunkBytes) && this.chunkBytes > 0 && this.chunkBytes <= MAX_CHUNK_BYTES)) {
      throw new StateStoreError(
        `invalid chunkBytes ${this.chunkBytes}: use a whole number from 1 to ${MAX_CHUNK_BYTES}`,
      );
    }
  }

  async get(pk: string, sk: string): Promise<StoreItem | undefined> {
    validateKey(pk, sk);
    for (let attempt = 1; ; attempt++) {
      const head = await this.getHead(pk, sk);
      if (!head?.ref) return head?.item;
      const data = await this.readChunks(head.item, head.ref);
      if (data) return { ...head.item, data };
      // The head was replaced and its chunks deleted while we read them: read the new head.
      if (attempt === CHUNK_READ_ATTEMPTS) throw damaged(head);
    }
  }

  async query(pk: string, options: QueryOptions = {}): Promise<StoreItem[]> {
    validatePartitionKey(pk);
    validateLimit(options.limit);
    const range = skRange(options);
    if (range.empty) return [];
    const heads: DecodedHead[] = [];
    const chunks = new Map<string, Map<number, Uint8Array>>();
    const limit = options.limit ?? Infinity;
    // In reverse order a payload's chunks come before its head (they sort right after it), so a page
    // ending at the limit-th head has read the chunks that head needs.
    // With a limit, small pages: DynamoDB bills what a page reads, not what the caller keeps.
    const pageSize = options.limit === undefined ? undefined : Math.min(1000, options.limit * 4 + 4);
    await this.queryRecords(pk, range.lo, range.hi, options.reverse === true, pageSize, (page) => {
      for (const record of page) {
        if (heads.length >= limit) return true;
        if (isChunk(record)) {
          const chunk = decodeChunk(record);
          if (!chunks.has(chunk.prefix)) chunks.set(chunk.prefix, new Map());
          chunks.get(chunk.prefix)!.set(chunk.index, chunk.data);
        } else if (skMatches(record.sk.S!, options)) {
          const head = decodeHead(record);
          if (!isExpired(head.item.expiresAt, this.now())) heads.push(head);
        }
      }
      return heads.length >= limit;
    });
    const items: StoreItem[] = [];
    for (const head of heads) {
      if (!head.ref) {
        items.push(head.item);
        continue;
      }
      // Chunks usually came in the same pages (they sort right after their head); when not (skTo
      // cut them off, or the head changed meanwhile), read the item again on its own.
      const parts = chunks.get(chunkPrefix(head.item.sk, head.ref.hash));
      const data = parts && assemble(head.ref, parts);
      const item = data ? { ...head.item, data } : await this.get(head.item.pk, head.item.sk);
      if (item) items.push(item);
    }
    return items;
  }

  async put(item: StoreItem, condition?: Condition): Promise<boolean> {
    validateItem(item);
    if (condition !== undefined) validateCondition(condition);
    // Copied at once: the caller may change its bytes while the request is still being sent.
    return this.putEncoded(encodeItem(copyItem(item), this.chunkBytes), condition);
  }

  async putAll(items: StoreItem[]): Promise<void> {
    items.forEach(validateItem);
    const encoded = lastPerKey(items).map((item) => encodeItem(copyItem(item), this.chunkBytes));
    await this.batchWrite(encoded.filter((e) => !e.ref).map((e) => ({ PutRequest: { Item: e.head } })));
    // Chunked items go one by one through PutItem, which returns the replaced head, so that the
    // chunks of a replaced payload can be deleted; they are large, so the extra requests are few.
    for (const e of encoded.filter((e) => e.ref)) await this.putEncoded(e);
  }

  async deleteAll(keys: { pk: string; sk: string }[]): Promise<void> {
    keys.forEach(({ pk, sk }) => validateKey(pk, sk));
    await this.batchWrite(lastPerKey(keys).map(({ pk, sk }) => ({ DeleteRequest: { Key: keyOf(pk, sk) } })));
  }

  stats(): StoreStats {
    return this.counters.snapshot();
  }

  resetStats(): void {
    this.counters.reset();
  }

  /** Chunks first, then the head (conditionally), then the replaced payload's chunks go. */
  private async putEncoded(encoded: EncodedItem, condition?: Condition): Promise<boolean> {
    await this.batchWrite(encoded.chunks.map((chunk) => ({ PutRequest: { Item: chunk } })));
    let out: PutItemCommandOutput;
    try {
      out = await this.send('PutItem', () =>
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: encoded.head,
            ReturnValues: 'ALL_OLD',
            ReturnConsumedCapacity: 'TOTAL',
            ...(condition && toConditionExpression(condition, this.now())),
          }),
        ),
      );
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      // DynamoDB bills a failed conditional write at least one unit but does not report it.
      this.counters.write(1);
      return false;
    }
    this.counters.wrote(1, recordBytes(encoded.head));
    await this.deleteReplacedChunks(out.Attributes, encoded.ref);
    return true;
  }

  /**
   * Deletes the chunks of the head a put replaced, unless the new head uses the same ones. Best
   * effort: the put has succeeded, and leftover chunks are invisible to readers (and expire with
   * the item's TTL), so a failure here must not turn the put into an error.
   */
  private async deleteReplacedChunks(
    old: DynamoRecord | undefined,
    ref: ChunkRef | undefined,
  ): Promise<void> {
    if (!old) return;
    const replaced = decodeHead(old);
    if (!replaced.ref || replaced.ref.hash === ref?.hash) return;
    const { pk, sk } = replaced.item;
    const keys = Array.from({ length: replaced.ref.count }, (_, i) =>
      keyOf(pk, chunkKey(sk, replaced.ref!.hash, i)),
    );
    await this.batchWrite(keys.map((Key) => ({ DeleteRequest: { Key } }))).catch(() => undefined);
  }

  /** The live head at (pk, sk), undefined when absent or expired. */
  private async getHead(pk: string, sk: string): Promise<DecodedHead | undefined> {
    const out = await this.send('GetItem', () =>
      this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: keyOf(pk, sk),
          ConsistentRead: true,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      ),
    );
    if (!out.Item) return undefined;
    const head = decodeHead(out.Item);
    return isExpired(head.item.expiresAt, this.now()) ? undefined : head;
  }

  /** The payload of a chunked head, or undefined when its chunks are gone or damaged. */
  private async readChunks(item: StoreItem, ref: ChunkRef): Promise<Uint8Array | undefined> {
    const prefix = chunkPrefix(item.sk, ref.hash);
    const records: DynamoRecord[] = [];
    const last = chunkKey(item.sk, ref.hash, ref.count - 1);
    await this.queryRecords(item.pk, prefix, last, false, undefined, (page) => {
      records.push(...page);
      return false;
    });
    const parts = new Map<number, Uint8Array>();
    for (const record of records.filter(isChunk).map(decodeChunk)) {
      if (record.prefix === prefix) parts.set(record.index, record.data);
    }
    return assemble(ref, parts);
  }

  /**
   * The records of partition `pk` with sort key in [lo, hi], page by page (descending when
   * `reverse`), each page given to `onPage` until it returns true or the pages end.
   */
  private async queryRecords(
    pk: string,
    lo: string | undefined,
    hi: string | undefined,
    reverse: boolean,
    pageSize: number | undefined,
    onPage: (records: DynamoRecord[]) => boolean,
  ): Promise<void> {
    const input: QueryCommandInput = {
      TableName: this.tableName,
      ConsistentRead: true,
      ReturnConsumedCapacity: 'TOTAL',
      ...(reverse ? { ScanIndexForward: false } : {}),
      ...(pageSize === undefined ? {} : { Limit: pageSize }),
      ...keyCondition(pk, lo, hi),
    };
    // The SDK's paginator follows LastEvaluatedKey; each page is one request, counted as such.
    for await (const page of paginateQuery({ client: this.client }, input)) {
      this.counters.request('Query');
      this.countCapacity('Query', page.ConsumedCapacity);
      if (onPage(page.Items ?? [])) return;
    }
  }

  /**
   * Writes `requests` in BatchWriteItem groups of 25, resending unprocessed ones with backoff until
   * all are done or the retry policy gives up (then a StateStoreError says how many were left).
   */
  private async batchWrite(requests: WriteRequest[]): Promise<void> {
    for (const group of groupsOf(requests)) {
      let pending = group;
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > this.retry.maxAttempts) {
          throw new StateStoreError(
            `BatchWriteItem on table ${this.tableName} left ${pending.length} of ${group.length} items ` +
              `unprocessed after ${this.retry.maxAttempts} attempts: the table is throttled; raise its ` +
              'capacity or retry later (the writes are idempotent)',
          );
        }
        if (attempt > 1) await sleep(backoffDelayMs(attempt - 1, this.retry));
        const sent = pending;
        const out = await this.send('BatchWriteItem', () =>
          this.client.send(
            new BatchWriteItemCommand({
              RequestItems: { [this.tableName]: sent },
              ReturnConsumedCapacity: 'TOTAL',
            }),
          ),
        );
        pending = out.UnprocessedItems?.[this.tableName] ?? [];
        this.countWritten(sent, pending);
      }
    }
  }

  /** Counts the puts among `sent` that are not in `unprocessed`. */
  private countWritten(sent: WriteRequest[], unprocessed: WriteRequest[]): void {
    const left = new Set(unprocessed.map((r) => requestId(r)));
    for (const r of sent) {
      if (r.PutRequest?.Item && !left.has(requestId(r)))
        this.counters.wrote(1, recordBytes(r.PutRequest.Item));
    }
  }

  /** Sends one request (the client retries throttling), counting it and its consumed capacity. */
  private async send<T extends { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }>(
    operation: Operation,
    request: () => Promise<T>,
  ): Promise<T> {
    this.counters.request(operation);
    const out = await request();
    this.countCapacity(operation, out.ConsumedCapacity);
    return out;
  }

  private countCapacity(
    operation: Operation,
    consumed: ConsumedCapacity | ConsumedCapacity[] | undefined,
  ): void {
    for (const c of consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed]) {
      const units = c.CapacityUnits ?? (c.ReadCapacityUnits ?? 0) + (c.WriteCapacityUnits ?? 0);
      if (READ_OPERATIONS.has(operation)) this.counters.read(units);
      else this.counters.write(units);
    }
  }
}

function keyOf(pk: string, sk: string): DynamoRecord {
  return { pk: { S: pk }, sk: { S: sk } };
}

function requestId(r: WriteRequest): string {
  const key = r.PutRequest?.Item ?? r.DeleteRequest?.Key ?? {};
  return keyId(key.pk?.S ?? '', key.sk?.S ?? '');
}

function keyCondition(
  pk: string,
  lo: string | undefined,
  hi: string | undefined,
): Partial<QueryCommandInput> {
  const values: DynamoRecord = { ':pk': { S: pk } };
  let expression = '#pk = :pk';
  if (lo !== undefined) values[':lo'] = { S: lo };
  if (hi !== undefined) values[':hi'] = { S: hi };
  if (lo !== undefined && hi !== undefined) expression += ' AND #sk BETWEEN :lo AND :hi';
  else if (lo !== undefined) expression += ' AND #sk >= :lo';
  else if (hi !== undefined) expression += ' AND #sk <= :hi';
  const names: Record<string, string> = { '#pk': 'pk' };
  if (lo !== undefined || hi !== undefined) names['#sk'] = 'sk';
  return {
    KeyConditionExpression: expression,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

function damaged(head: DecodedHead): StateStoreError {
  return new StateStoreError(
    `item ${head.item.pk} / ${head.item.sk} is damaged: its head names ${head.ref!.count} chunks ` +
      `(hash ${head.ref!.hash}) that are missing or do not match; re-put the item`,
  );
}

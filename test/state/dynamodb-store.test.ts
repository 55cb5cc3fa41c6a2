import { createCipheriv } from 'node:crypto';
import {
  DeleteItemCommand,
  DeleteTableCommand,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  QueryCommand,
  ThrottlingException,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import {
  createStateTable,
  DynamoDbStateStore,
  MAX_CHUNK_BYTES,
  stateTableExists,
  StateStoreError,
  type DynamoDbStateStoreOptions,
  type StoreItem,
} from '../../lib/state';
import { dynaliteClient, startDynalite, type Dynalite } from '../helpers/dynalite';
import { describeStateStoreConformance } from './conformance';

let db: Dynalite;
let tables = 0;

beforeAll(async () => {
  db = await startDynalite();
});
afterAll(() => db.stop());

async function freshTable(client: DynamoDBClient = db.client): Promise<string> {
  const name = `state-${++tables}`;
  await createStateTable(client, name);
  return name;
}

async function dropTable(name: string): Promise<void> {
  await db.client.send(new DeleteTableCommand({ TableName: name }));
}

describeStateStoreConformance('DynamoDbStateStore', async () => {
  const tableName = await freshTable();
  let nowMs = Date.now();
  return {
    store: new DynamoDbStateStore({ client: db.client, tableName, now: () => nowMs }),
    now: { set: (ms: number) => (nowMs = ms) },
    cleanup: () => dropTable(tableName),
  };
});

const KB = 1024;
const MB = 1024 * KB;

function bytes(n: number, seed = 1): Uint8Array {
  const key = Buffer.alloc(16);
  key.writeUInt32BE(seed);
  return new Uint8Array(createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(n)));
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
}

/** Every raw record of a partition, chunks included, as DynamoDB holds them. */
async function rawRecords(tableName: string, pk: string): Promise<Record<string, AttributeValue>[]> {
  const records: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await db.client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: pk } },
        ExclusiveStartKey: start,
      }),
    );
    records.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return records;
}

/** What a fault does with one request: pass it on (`next(args)`), change it, or throw. */
type Fault = (command: string, args: { input: any }, next: (args: any) => Promise<any>) => Promise<any>;

/**
 * A store on a fresh table whose own client runs `fault` around every request, before the SDK's
 * retry strategy (`initialize` step) or inside it (`deserialize` step).
 */
async function faultyStore(
  fault: Fault,
  options: Partial<DynamoDbStateStoreOptions> = {},
  step: 'initialize' | 'deserialize' = 'initialize',
) {
  // The SDK's own retry strategy, with 1 ms backoff instead of its 100-500 ms base, to keep tests fast.
  const client = dynaliteClient(db.endpoint, { retryStrategy: new ConfiguredRetryStrategy(3, 1) });
  const middleware = (next: any, context: any) => (args: any) =>
    fault(String(context.commandName), args, next);
  if (step === 'initialize') client.middlewareStack.add(middleware, { step, name: 'testFault' });
  else client.middlewareStack.add(middleware, { step, name: 'testFault' });
  const tableName = await freshTable(db.client);
  const store = new DynamoDbStateStore({ client, tableName, ...options });
  return {
    store,
    tableName,
    async close() {
      client.destroy();
      await dropTable(tableName);
    },
  };
}

describe('DynamoDbStateStore on dynalite', () => {
  let tableName: string;
  let store: DynamoDbStateStore;
  beforeEach(async () => {
    tableName = await freshTable();
    store = new DynamoDbStateStore({ client: db.client, tableName });
  });
  afterEach(() => dropTable(tableName));

  describe('capacity (the figures the cost benchmark reads)', () => {
    it.each([1 * KB, 10 * KB, 100 * KB, 340 * KB, 1 * MB, 3 * MB])(
      'write units of a %d-byte payload are about one per KB, chunks included',
      async (size) => {
        await store.put({ pk: 'p', sk: 's', data: bytes(size) });
        const { writeCapacityUnits, itemsWritten, bytesWritten } = store.stats();
        const chunks = itemsWritten - 1;
        expect(writeCapacityUnits).toBeGreaterThanOrEqual(size / KB);
        expect(writeCapacityUnits).toBeLessThanOrEqual(Math.ceil(size / KB) + itemsWritten);
        expect(chunks).toBe(size > MAX_CHUNK_BYTES ? Math.ceil(size / MAX_CHUNK_BYTES) : 0);
        expect(bytesWritten).toBeGreaterThanOrEqual(size);
        expect(bytesWritten).toBeLessThan(size + 200 * itemsWritten);
      },
    );

    it.each([4 * KB, 100 * KB, 3 * MB])(
      'read units of a %d-byte payload are about one per 4 KB',
      async (size) => {
        await store.put({ pk: 'p', sk: 's', data: bytes(size) });
        store.resetStats();
        await store.get('p', 's');
        const getUnits = store.stats().readCapacityUnits;
        store.resetStats();
        await store.query('p');
        const queryUnits = store.stats().readCapacityUnits;
        for (const units of [getUnits, queryUnits]) {
          expect(units).toBeGreaterThanOrEqual(size / (4 * KB));
          expect(units).toBeLessThanOrEqual(Math.ceil(size / (4 * KB)) + 8);
        }
      },
    );

    it('counts requests by DynamoDB operation name', async () => {
      await store.put({ pk: 'p', sk: 'a' });
      await store.get('p', 'a');
      await store.query('p');
      await store.putAll(Array.from({ length: 30 }, (_, i) => ({ pk: 'p', sk: `b${i}` })));
      await store.deleteAll([{ pk: 'p', sk: 'a' }]);
      expect(store.stats().requests).toEqual({ PutItem: 1, GetItem: 1, Query: 1, BatchWriteItem: 3 });
      expect(store.stats().totalRequests).toBe(6);
    });
  });

  describe('chunk layout', () => {
    it('chunk items exist in the table but never come back as items', async () => {
      await store.put({ pk: 'p', sk: 's', data: bytes(MB) });
      expect(await rawRecords(tableName, 'p')).toHaveLength(1 + 3);
      expect((await store.query('p')).map((i) => i.sk)).toEqual(['s']);
      expect((await store.query('p', { skPrefix: 's\u0000' })).map((i) => i.sk)).toEqual([]);
    });

    it('replacing a chunked payload deletes its chunks (put and putAll)', async () => {
      await store.put({ pk: 'p', sk: 's', data: bytes(MB, 1) });
      await store.put({ pk: 'p', sk: 's', data: bytes(2 * MB, 2) });
      expect(await rawRecords(tableName, 'p')).toHaveLength(1 + 6);
      await store.putAll([{ pk: 'p', sk: 's', data: bytes(MB, 3) }]);
      expect(await rawRecords(tableName, 'p')).toHaveLength(1 + 3);
      await store.put({ pk: 'p', sk: 's', attrs: { small: true } });
      expect(await rawRecords(tableName, 'p')).toHaveLength(1);
    });

    it('re-putting the same payload rewrites the same chunk items (retries leave no garbage)', async () => {
      const data = bytes(MB, 5);
      await store.put({ pk: 'p', sk: 's', data });
      await store.putAll([{ pk: 'p', sk: 's', data }]);
      await store.put({ pk: 'p', sk: 's', data, attrs: { again: 1 } });
      expect(await rawRecords(tableName, 'p')).toHaveLength(1 + 3);
    });

    it('a chunked item whose chunks are gone is reported as damaged, never returned wrong', async () => {
      await store.put({ pk: 'p', sk: 's', data: bytes(MB) });
      const chunk = (await rawRecords(tableName, 'p')).find((r) => r.sk.S!.includes('\u0000chunk\u0000'))!;
      await db.client.send(
        new DeleteItemCommand({ TableName: tableName, Key: { pk: chunk.pk, sk: chunk.sk } }),
      );
      await expect(store.get('p', 's')).rejects.toThrow(/damaged/);
      await expect(store.query('p')).rejects.toBeInstanceOf(StateStoreError);
    });

    it('chunk size is configurable, up to 350 KiB', async () => {
      const small = new DynamoDbStateStore({ client: db.client, tableName, chunkBytes: 100 * KB });
      const data = bytes(MB, 9);
      await small.put({ pk: 'p', sk: 's', data });
      expect(await rawRecords(tableName, 'p')).toHaveLength(1 + 11);
      expect(sameBytes((await store.get('p', 's'))?.data, data)).toBe(true);
      // A writer with another chunk size uses other chunk keys, and cleans up the first one's.
      await store.put({ pk: 'p', sk: 's', data });
      expect(await rawRecords(tableName, 'p')).toHaveLength(1 + 3);
      expect(() => new DynamoDbStateStore({ client: db.client, tableName, chunkBytes: 400 * KB })).toThrow(
        StateStoreError,
      );
    });

    it('filters expired items that DynamoDB still holds (TTL deletes lazily)', async () => {
      await store.put({ pk: 'p', sk: 's', expiresAt: Math.floor(Date.now() / 1000) - 60 });
      const raw = await db.client.send(
        new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'p' }, sk: { S: 's' } } }),
      );
      expect(raw.Item).toBeDefined();
      expect(await store.get('p', 's')).toBeUndefined();
      expect(await store.query('p')).toEqual([]);
    });
  });

  describe('torn writes: a crash after some chunks never corrupts what readers of the head see', () => {
    const crashAfterChunks =
      (keep: number): Fault =>
      async (command, args, next) => {
        if (command !== 'BatchWriteItemCommand') return next(args);
        const [table] = Object.keys(args.input.RequestItems);
        args.input.RequestItems[table] = args.input.RequestItems[table].slice(0, keep);
        await next(args);
        throw new Error('simulated crash after some chunks');
      };

    it.each<[string, StoreItem | undefined]>([
      ['no previous version', undefined],
      ['a small previous version', { pk: 'p', sk: 's', data: bytes(100, 1), attrs: { v: 1 } }],
      ['a large previous version', { pk: 'p', sk: 's', data: bytes(MB, 2), attrs: { v: 1 } }],
    ])('with %s', async (_, previous) => {
      const faulty = await faultyStore(crashAfterChunks(5), { chunkBytes: 100 * KB });
      const reader = new DynamoDbStateStore({
        client: db.client,
        tableName: faulty.tableName,
        chunkBytes: 100 * KB,
      });
      try {
        if (previous) await reader.put(previous);
        const next = { pk: 'p', sk: 's', data: bytes(MB, 3), attrs: { v: 2 } };
        await expect(faulty.store.put(next)).rejects.toThrow('simulated crash');
        expect((await rawRecords(faulty.tableName, 'p')).length).toBeGreaterThan(previous ? 1 : 0);
        const seen = await reader.get('p', 's');
        expect(seen?.attrs).toEqual(previous?.attrs);
        if (previous) expect(sameBytes(seen?.data, previous.data!)).toBe(true);
        expect(await reader.query('p')).toHaveLength(previous ? 1 : 0);
        // The retry (what Lambda does next) completes the write.
        await reader.put(next);
        expect(sameBytes((await reader.get('p', 's'))?.data, next.data)).toBe(true);
      } finally {
        await faulty.close();
      }
    });

    it('when the head write fails after all chunks', async () => {
      const faulty = await faultyStore(async (command, args, next) => {
        if (command === 'PutItemCommand') throw new Error('simulated crash before the head');
        return next(args);
      });
      try {
        await faulty.store.putAll([{ pk: 'p', sk: 'x' }]);
        await expect(faulty.store.put({ pk: 'p', sk: 's', data: bytes(MB) })).rejects.toThrow(
          'simulated crash',
        );
        const reader = new DynamoDbStateStore({ client: db.client, tableName: faulty.tableName });
        expect(await reader.get('p', 's')).toBeUndefined();
        expect((await reader.query('p')).map((i) => i.sk)).toEqual(['x']);
      } finally {
        await faulty.close();
      }
    });
  });

  describe('retries', () => {
    const items = Array.from({ length: 60 }, (_, i) => ({
      pk: 'p',
      sk: `k${String(i).padStart(2, '0')}`,
      attrs: { i },
    }));

    it('resends unprocessed batch items with backoff until all are written', async () => {
      const halfProcessed: Fault = async (command, args, next) => {
        if (command !== 'BatchWriteItemCommand') return next(args);
        const [table] = Object.keys(args.input.RequestItems);
        const all = args.input.RequestItems[table];
        const done = Math.ceil(all.length / 2);
        args.input.RequestItems[table] = all.slice(0, done);
        const result = await next(args);
        if (all.length > done) result.output.UnprocessedItems = { [table]: all.slice(done) };
        return result;
      };
      const faulty = await faultyStore(halfProcessed, { retry: { baseDelayMs: 1 } });
      try {
        await faulty.store.putAll(items);
        expect(await faulty.store.query('p')).toEqual(items);
        expect(faulty.store.stats().requests.BatchWriteItem).toBeGreaterThan(3);
        expect(faulty.store.stats().itemsWritten).toBe(60);
        await faulty.store.deleteAll(items.map(({ pk, sk }) => ({ pk, sk })));
        expect(await faulty.store.query('p')).toEqual([]);
      } finally {
        await faulty.close();
      }
    });

    it('gives up with a clear error when items stay unprocessed', async () => {
      const nothingProcessed: Fault = async (command, args, next) => {
        if (command !== 'BatchWriteItemCommand') return next(args);
        return { output: { UnprocessedItems: args.input.RequestItems, $metadata: {} }, response: {} };
      };
      const faulty = await faultyStore(nothingProcessed, { retry: { maxAttempts: 3, baseDelayMs: 1 } });
      try {
        const failure = faulty.store.putAll(items);
        await expect(failure).rejects.toBeInstanceOf(StateStoreError);
        await expect(failure).rejects.toThrow(/left 25 of 25 items unprocessed after 3 attempts/);
      } finally {
        await faulty.close();
      }
    });

    const throttle = (name: string) =>
      name === 'ThrottlingException'
        ? new ThrottlingException({ message: 'Rate exceeded', $metadata: {} })
        : new ProvisionedThroughputExceededException({ message: 'Throughput exceeded', $metadata: {} });

    it.each(['ProvisionedThroughputExceededException', 'ThrottlingException'])(
      "leaves %s to the client's retry strategy and loses no item",
      async (name) => {
        const calls = new Map<string, number>();
        const everyOtherCall: Fault = async (command, args, next) => {
          const n = (calls.get(command) ?? 0) + 1;
          calls.set(command, n);
          if (n % 2 === 1 && command !== 'DescribeTableCommand') throw throttle(name);
          return next(args);
        };
        // Thrown inside the SDK's retry strategy, as a throttled response would be.
        const faulty = await faultyStore(everyOtherCall, { retry: { baseDelayMs: 1 } }, 'deserialize');
        try {
          const large = bytes(MB, 4);
          await faulty.store.putAll(items);
          expect(await faulty.store.put({ pk: 'q', sk: 'large', data: large })).toBe(true);
          expect(await faulty.store.put({ pk: 'q', sk: 'large' }, { notExists: true })).toBe(false);
          expect(await faulty.store.query('p')).toEqual(items);
          expect(sameBytes((await faulty.store.get('q', 'large'))?.data, large)).toBe(true);
          expect(calls.get('BatchWriteItemCommand')).toBeGreaterThanOrEqual(2 * 4);
          // The SDK resends each throttled request; the store sends (and counts) each once.
          expect(faulty.store.stats().requests.BatchWriteItem).toBe(calls.get('BatchWriteItemCommand')! / 2);
        } finally {
          await faulty.close();
        }
      },
    );

    it('adds no retry of its own on top of the client: a throttle the SDK does not retry surfaces at once', async () => {
      let sent = 0;
      const throttled: Fault = async (command, args, next) => {
        if (command === 'DescribeTableCommand') return next(args);
        sent++;
        throw throttle('ThrottlingException');
      };
      // Thrown before the SDK's retry strategy: as from a client configured without retries.
      const faulty = await faultyStore(throttled, { retry: { baseDelayMs: 1 } }, 'initialize');
      try {
        await expect(faulty.store.get('p', 's')).rejects.toThrow('Rate exceeded');
        expect(sent).toBe(1);
        expect(faulty.store.stats().totalRequests).toBe(1);
      } finally {
        await faulty.close();
      }
    });

    it('does not retry other errors', async () => {
      const failing: Fault = async () => {
        throw Object.assign(new Error('no such table'), { name: 'ResourceNotFoundException' });
      };
      const faulty = await faultyStore(failing);
      try {
        await expect(faulty.store.get('p', 's')).rejects.toThrow('no such table');
        expect(faulty.store.stats().totalRequests).toBe(1);
      } finally {
        await faulty.close();
      }
    });
  });

  describe('table helpers', () => {
    it('stateTableExists tells whether the table is there', async () => {
      expect(await stateTableExists(db.client, tableName)).toBe(true);
      expect(await stateTableExists(db.client, 'no-such-table')).toBe(false);
    });

    it('createStateTable is idempotent, and tolerates an emulator without TTL', async () => {
      await expect(createStateTable(db.client, tableName)).resolves.toBeUndefined();
      await store.put({ pk: 'p', sk: 's' });
      await createStateTable(db.client, tableName);
      expect(await store.get('p', 's')).toEqual({ pk: 'p', sk: 's' });
    });
  });
});

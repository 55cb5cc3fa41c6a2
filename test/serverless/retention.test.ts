/**
 * Nothing the engine writes grows forever (issue 8): every item carries a TTL, and over 10,000
 * batches the live item count stays flat once the retention is reached (expired items are purged
 * as DynamoDB's TTL would). And a batch built from 10,000 map-phase entries closes on DynamoDB
 * (dynalite): its claim holds one cut per shard, whatever the number of entries.
 */
import type { StoreItem } from '../../lib';
import { definePipeline, ServerlessEngine } from '../../lib';
import { DynamoDbStateStore, ForwardingStore, createStateTable } from '../../lib/state';
import { InMemoryStateStore } from '../../lib/state/in-memory-store';
import type { Condition } from '../../lib/state/types';
import { startDynalite } from '../helpers/dynalite';

const BASE = 1_700_000_000_000;

/** Notes every item written without a TTL. */
class TtlCheckingStore extends ForwardingStore {
  readonly missing: string[] = [];
  private check(items: StoreItem[]) {
    for (const i of items) if (i.expiresAt === undefined) this.missing.push(`${i.pk} / ${i.sk}`);
  }
  override put(item: StoreItem, c?: Condition) {
    this.check([item]);
    return super.put(item, c);
  }
  override putAll(items: StoreItem[]) {
    this.check(items);
    return super.putAll(items);
  }
}

let seq = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;
const rec = (shardId: string, arrivalMs: number, line: string) => {
  seq += 1_000_000_000_000n;
  return { shardId, sequenceNumber: seq.toString(), arrivalMs, data: Buffer.from(line, 'utf8') };
};

test('10,000 batches: every item has a TTL and the live item count stays bounded', async () => {
  const clock = { now: BASE };
  const memory = new InMemoryStateStore({ now: () => clock.now });
  const store = new TtlCheckingStore(memory);
  const pipeline = definePipeline(
    { name: 'retention', batchInterval: 1, allowedLateness: 0.5, retention: 60 },
    (ssc) => {
      const pairs = ssc.kinesisTextStream().map((w) => [w, 1] as [string, number]);
      pairs.updateStateByKey((vs: number[], s?: number) => (s ?? 0) + vs.length).foreachRDD(() => undefined);
      pairs
        .reduceByKeyAndWindow(
          (a, b) => a + b,
          (a, b) => a - b,
          10,
          1,
        )
        .foreachRDD(() => undefined);
      pairs
        .window(5, 1)
        .count()
        .foreachRDD(() => undefined);
    },
  );
  const engine = new ServerlessEngine(pipeline, {
    store,
    now: () => clock.now,
    listShards: async () => ['s0', 's1'],
    log: () => undefined,
  });
  const live: number[] = [];
  for (let b = 0; b < 10_000; b++) {
    clock.now = BASE + b * 1000 + 600;
    await engine.mapPhase([rec('s0', BASE + b * 1000 + 100, `w${b % 500}`)]);
    await engine.mapPhase([rec('s1', BASE + b * 1000 + 200, `v${b % 37}`)]);
    await engine.closeReady();
    if (b % 1000 === 999) {
      memory.purgeExpired();
      live.push(memory.itemCount());
    }
  }
  expect(store.missing.slice(0, 3)).toEqual([]);
  const progress = await engine.progress();
  expect(progress?.closedUpTo).toBeGreaterThanOrEqual(BASE + 9_999 * 1000);
  // Flat after the first retention period (60 s = 60 batches), far below what 10,000 batches wrote.
  expect(Math.max(...live)).toBeLessThan(1500);
  expect(Math.max(...live.slice(1)) - Math.min(...live.slice(1))).toBeLessThan(100);
  console.log(`live items every 1,000 batches (retention 60 s): ${live.join(', ')}`);
}, 120_000);

test('a batch of 10,000 map-phase entries closes on DynamoDB (dynalite)', async () => {
  const clock = { now: BASE };
  const memory = new InMemoryStateStore({ now: () => clock.now });
  const counts = new Map<number, number>();
  const pipeline = definePipeline({ name: 'big-batch', batchInterval: 1, allowedLateness: 1 }, (ssc) =>
    ssc
      .kinesisTextStream()
      .count()
      .foreachRDD((rdd, t) => void counts.set(t, rdd.first() as number)),
  );
  const options = { now: () => clock.now, listShards: async () => ['s0', 's1'], log: () => undefined };
  // 10,000 invocations of one record each, all in one batch (the real map phase, into memory)...
  const mapper = new ServerlessEngine(pipeline, { ...options, store: memory });
  clock.now = BASE + 900;
  for (let i = 0; i < 10_000; i++) await mapper.mapPhase([rec(`s${i % 2}`, BASE + 100 + (i % 800), 'x')]);
  // ...copied into DynamoDB as they are, then closed there.
  const db = await startDynalite();
  try {
    await createStateTable(db.client, 'big');
    const dynamo = new DynamoDbStateStore({ client: db.client, tableName: 'big', now: () => clock.now });
    for (const pk of ['p#big-batch#log#s0', 'p#big-batch#log#s1', 'p#big-batch#heads'])
      await dynamo.putAll(await memory.query(pk));
    clock.now = BASE + 5000;
    const closer = new ServerlessEngine(pipeline, { ...options, store: dynamo });
    expect(await closer.closeReady()).toContain(BASE + 1000);
    expect(counts.get(BASE + 1000)).toBe(10_000);
    // The claim holds one cut per shard: a few hundred bytes, not one range per entry.
    const claim = await dynamo.get('p#big-batch#close', String(BASE + 1000).padStart(15, '0'));
    expect(claim?.data?.byteLength).toBeLessThan(1000);
  } finally {
    await db.stop();
  }
}, 180_000);

import fc from 'fast-check';
import { definePipeline } from '../../lib';
import type { KinesisInputRecord } from '../../lib';
import { InMemoryStateStore } from '../../lib/state/in-memory-store';
import { InMemoryEngineMetrics } from '../../lib/runtime/metrics';
import { FaultyStore, InjectedCrash, ServerlessEngine, record, rng } from './harness';

/** Counters over all runs: the test asserts that the paths it is about were taken. */
const metrics = new InMemoryEngineMetrics();
let crashes = 0;

/**
 * Exactly-once when batches close by lateness: with a small allowed lateness, a
 * clock that jumps past it, map phases running concurrently with closers, records arriving late,
 * duplicate deliveries, crashes after any store write and retries, records may land in later
 * batches than the in-memory engine would put them (late, and counted so), but every record is
 * counted exactly once: per-batch counts summed over all batches, and the running totals of
 * updateStateByKey, equal the input's word counts.
 */
const BASE = 1_700_000_000_000;
const WORDS = ['a', 'b', 'c', 'd'];

interface Plan {
  shards: number;
  lines: { shard: number; offsetMs: number; words: number[] }[];
  seed: number;
}

const planArb = fc.record({
  shards: fc.constantFrom(1, 2, 3),
  lines: fc.array(
    fc.record({
      shard: fc.nat(2),
      offsetMs: fc.integer({ min: 0, max: 8_000 }),
      words: fc.array(fc.nat(WORDS.length - 1), { minLength: 1, maxLength: 3 }),
    }),
    { minLength: 1, maxLength: 30 },
  ),
  seed: fc.integer(),
});

async function run(plan: Plan): Promise<{
  expected: Record<string, number>;
  counted: Record<string, number>;
  totals: Record<string, number>;
}> {
  const random = rng(plan.seed);
  // Records per shard in sequence order; a few arrive out of arrival order (late on their shard).
  const byShard = new Map<string, KinesisInputRecord[]>();
  const expected: Record<string, number> = {};
  let seq = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;
  const sorted = plan.lines.slice().sort((x, y) => x.offsetMs - y.offsetMs);
  for (const l of sorted) {
    const shard = `shardId-${l.shard % plan.shards}`;
    seq += 1_000_000n;
    const arrival = BASE + l.offsetMs - (random() < 0.15 ? 1500 : 0);
    const words = l.words.map((w) => WORDS[w]);
    for (const w of words) expected[w] = (expected[w] ?? 0) + 1;
    const list = byShard.get(shard) ?? [];
    list.push(record(shard, seq, arrival, words.join(' ')));
    byShard.set(shard, list);
  }
  const perBatch = new Map<number, [string, number][]>();
  let totals: [string, number][] = [];
  let lastTotalsAt = 0;
  const pipeline = definePipeline({ name: 'eo', batchInterval: 1, allowedLateness: 1 }, (ssc) => {
    const pairs = ssc
      .kinesisTextStream()
      .flatMap((l) => l.split(' '))
      .map((w) => [w, 1] as [string, number]);
    pairs.reduceByKey((a, b) => a + b).foreachRDD((rdd, t) => void perBatch.set(t, rdd.collect()));
    pairs
      .updateStateByKey((vs: number[], s: number | undefined) => (s ?? 0) + vs.length)
      .foreachRDD((rdd, t) => {
        if (t >= lastTotalsAt) {
          lastTotalsAt = t;
          totals = rdd.collect();
        }
      });
  });
  let clock = BASE;
  const store = new FaultyStore(new InMemoryStateStore({ now: () => clock }));
  const shardIds = Array.from({ length: plan.shards }, (_, i) => `shardId-${i}`);
  const opts = {
    store,
    now: () => clock,
    listShards: async () => shardIds,
    leaseMs: 3000,
    confirmWaitMs: 200,
    log: () => undefined,
    metrics,
  };
  const engines = [0, 1, 2].map(() => new ServerlessEngine(pipeline, opts));
  const pos = new Map(shardIds.map((s) => [s, 0]));
  const attempt = async (f: () => Promise<unknown>) => {
    try {
      await f();
      return true;
    } catch (e) {
      if (e instanceof InjectedCrash || /being closed|merged part|keeps/.test(String(e))) {
        crashes++;
        return false;
      }
      throw e;
    }
  };
  for (let step = 0; step < 500; step++) {
    const open = shardIds.filter((s) => (pos.get(s) as number) < (byShard.get(s)?.length ?? 0));
    if (open.length === 0) break;
    const shard = open[Math.floor(random() * open.length)];
    const recs = byShard.get(shard) as KinesisInputRecord[];
    const from = pos.get(shard) as number;
    const event = recs.slice(from, from + 1 + Math.floor(random() * 4));
    clock =
      Math.max(clock, ...event.map((r) => r.arrivalMs)) +
      Math.floor(random() * (random() < 0.3 ? 4000 : 300));
    if (random() < 0.15) store.armCrash(1 + Math.floor(random() * 6));
    // A map phase and a closer at the same time (a Lambda invocation on another shard, the schedule).
    const [mapped] = await Promise.all([
      attempt(() => engines[0].mapPhase(event)),
      attempt(() => engines[1].closeReady()),
    ]);
    store.crashAt = undefined;
    if (mapped) {
      if (random() < 0.2) await attempt(() => engines[2].mapPhase(event)); // delivered twice
      pos.set(shard, from + event.length);
    }
  }
  // The stream goes idle: closers run until every batch with records is closed; claims left by
  // crashed closers expire.
  for (let i = 0; i < 5; i++) {
    clock += 5000;
    await attempt(() => engines[i % 2].closeReady());
  }
  const counted: Record<string, number> = {};
  for (const items of perBatch.values()) for (const [w, n] of items) counted[w] = (counted[w] ?? 0) + n;
  return { expected, counted, totals: Object.fromEntries(totals) };
}

test('every record counted exactly once under lateness closes, concurrency, duplicates and crashes', async () => {
  await fc.assert(
    fc.asyncProperty(planArb, async (plan) => {
      const { expected, counted, totals } = await run(plan);
      expect(counted).toEqual(expected);
      expect(totals).toEqual(expected);
    }),
    { numRuns: Number(process.env.EO_RUNS ?? 60) },
  );
  // The runs went through late records, crashes and retries, not only the easy path.
  expect(metrics.totals.LateRecords ?? 0).toBeGreaterThan(0);
  expect(crashes).toBeGreaterThan(0);
  if (process.env.EO_DEBUG) console.log({ ...metrics.totals, crashes });
}, 120_000);

import { InMemoryStateStore } from '../../lib/state/in-memory-store';
import { batchTimeOf } from '../../lib/plan/time';
import type { KinesisInputRecord } from '../../lib';
import {
  FaultyStore,
  InjectedCrash,
  Outputs,
  ServerlessEngine,
  Template,
  diffOutputs,
  pipelineOf,
  record,
  reference,
} from '../serverless/harness';

/** A copy of test/serverless/differential.ts's runDifferential that takes the template itself. */
export const WORDS = ['a', 'b', 'c', 'dd', 'eee'];
const BASE = 1_700_000_000_000;

export interface ReviewPlan {
  b: number;
  shards: number;
  lines: { shard: number; offsetMs: number; words: number[] }[];
  seed: number;
  faults: boolean;
  /** Extra batches to run after the last record. */
  tail: number;
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function recordsOf(plan: ReviewPlan): Map<string, KinesisInputRecord[]> {
  const byShard = new Map<string, KinesisInputRecord[]>();
  for (let i = 0; i < plan.shards; i++) byShard.set(`shardId-${String(i).padStart(12, '0')}`, []);
  const sorted = plan.lines.map((l, i) => ({ ...l, i })).sort((x, y) => x.offsetMs - y.offsetMs || x.i - y.i);
  let seq = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;
  for (const l of sorted) {
    const shard = `shardId-${String(l.shard % plan.shards).padStart(12, '0')}`;
    seq += 1_000_000_000_000_000n + BigInt(l.i);
    (byShard.get(shard) as KinesisInputRecord[]).push(
      record(shard, seq, BASE + l.offsetMs, l.words.map((w) => WORDS[w]).join(' ')),
    );
  }
  return byShard;
}

export async function runReviewDifferential(t: Template, plan: ReviewPlan): Promise<string[]> {
  const interval = plan.b * 1000;
  const byShard = recordsOf(plan);
  const all = Array.from(byShard.values()).flat();
  const batches = all.map((r) => batchTimeOf(r.arrivalMs, interval));
  const zero = Math.min(...batches) - interval;
  const until = Math.max(...batches) + plan.tail * interval;
  const expected = await reference(t, plan.b, all, zero, until);

  let clock = BASE;
  const store = new FaultyStore(new InMemoryStateStore({ now: () => clock }));
  const actual: Outputs = new Map();
  const shardIds = Array.from(byShard.keys());
  const opts = {
    store,
    now: () => clock,
    listShards: async () => shardIds,
    leaseMs: 60_000,
    log: () => undefined,
  };
  const closers = [
    new ServerlessEngine(pipelineOf(t, plan.b, actual), opts),
    new ServerlessEngine(pipelineOf(t, plan.b, actual), opts),
  ];
  const mapper = new ServerlessEngine(pipelineOf(t, plan.b, actual), opts);
  const random = rng(plan.seed);
  const pos = new Map(shardIds.map((s) => [s, 0]));
  const invoke = async (records: KinesisInputRecord[]) => {
    for (;;) {
      if (plan.faults && random() < 0.15) store.armCrash(1 + Math.floor(random() * 4));
      try {
        await mapper.mapPhase(records);
        store.crashAt = undefined;
        return;
      } catch (e) {
        if (!(e instanceof InjectedCrash)) throw e;
        if (records.length > 1 && random() < 0.5) {
          const half = Math.ceil(records.length / 2);
          await invoke(records.slice(0, half));
          records = records.slice(half);
        }
      }
    }
  };
  const close = async () => {
    const which = random();
    if (plan.faults && random() < 0.15) store.armCrash(1 + Math.floor(random() * 6));
    const results = await Promise.allSettled(
      which < 0.3 ? closers.map((c) => c.closeReady()) : [closers[which < 0.65 ? 0 : 1].closeReady()],
    );
    for (const r of results)
      if (r.status === 'rejected' && !(r.reason instanceof InjectedCrash)) throw r.reason;
    store.crashAt = undefined;
  };
  for (;;) {
    const open = shardIds.filter(
      (s) => (pos.get(s) as number) < (byShard.get(s) as KinesisInputRecord[]).length,
    );
    if (open.length === 0) break;
    const shard = open[Math.floor(random() * open.length)];
    const recs = byShard.get(shard) as KinesisInputRecord[];
    const from = pos.get(shard) as number;
    const event = recs.slice(from, from + 1 + Math.floor(random() * 5));
    clock = Math.max(clock, ...event.map((r) => r.arrivalMs + 200));
    await invoke(event);
    if (plan.faults && random() < 0.2) await invoke(event);
    pos.set(shard, from + event.length);
    if (random() < 0.5) await close();
  }
  clock = until + 1000 * 1000 + 1;
  for (let i = 0; i < 5; i++) await close();
  clock += 60_001;
  await closers[0].closeReady();
  const progress = await closers[0].progress();
  const diffs = diffOutputs(expected, actual, until);
  if (progress && progress.next <= until)
    diffs.push(`closed only up to ${progress.next - interval}, expected ${until}`);
  return diffs;
}

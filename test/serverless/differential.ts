import fc from 'fast-check';
import { InMemoryStateStore } from '../../lib/state/in-memory-store';
import type { ServerlessEngineOptions, StateStore } from '../../lib';
import { batchTimeOf } from '../../lib/plan/time';
import type { KinesisInputRecord } from '../../lib';
import {
  deliverAsLambda,
  FaultyStore,
  InjectedCrash,
  Outputs,
  ServerlessEngine,
  diffOutputs,
  pipelineOf,
  record,
  reference,
  rng,
  templates,
  type Template,
} from './harness';

/**
 * The differential run: the serverless engine's outputs per batch time against the
 * in-memory engine's on the same records, records delivered as Lambda would (in order per shard,
 * random batch sizes), with injected faults: whole events delivered twice, bisected retries, a crash
 * after any store write (map phase and closer), and racing closers.
 */

export const WORDS = ['a', 'b', 'c', 'dd', 'eee'];
const BASE = 1_700_000_000_000; // arrival times are real epoch ms

export interface Plan {
  template: number;
  b: number;
  w: number;
  s: number;
  timeout: number;
  shards: number;
  lines: { shard: number; offsetMs: number; words: number[] }[];
  seed: number;
  faults: boolean;
}

export const planArb = (shardCounts: number[], faults: boolean, maxLines = 40) =>
  fc
    .record({
      template: fc.integer({ min: 0, max: 7 }),
      b: fc.constantFrom(1, 2),
      w: fc.integer({ min: 1, max: 4 }),
      s: fc.integer({ min: 1, max: 4 }),
      timeout: fc.integer({ min: 1, max: 4 }),
      shards: fc.constantFrom(...shardCounts),
      lines: fc.array(
        fc.record({
          shard: fc.nat(3),
          offsetMs: fc.integer({ min: 0, max: 20_000 }),
          words: fc.array(fc.nat(WORDS.length - 1), { maxLength: 4 }),
        }),
        { minLength: 1, maxLength: maxLines },
      ),
      seed: fc.integer(),
      faults: fc.constant(faults),
    })
    .filter((p) => p.s <= p.w);

/** Records per shard, in sequence order (sequence numbers grow with arrival time, as Kinesis's). */
export function recordsOf(plan: Delivery): Map<string, KinesisInputRecord[]> {
  const byShard = new Map<string, KinesisInputRecord[]>();
  for (let i = 0; i < plan.shards; i++) byShard.set(`shardId-${String(i).padStart(12, '0')}`, []);
  const sorted = plan.lines.map((l, i) => ({ ...l, i })).sort((x, y) => x.offsetMs - y.offsetMs || x.i - y.i);
  let seq = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n; // a 56-digit sequence number
  for (const l of sorted) {
    const shard = `shardId-${String(l.shard % plan.shards).padStart(12, '0')}`;
    seq += 1_000_000_000_000_000n + BigInt(l.i);
    (byShard.get(shard) as KinesisInputRecord[]).push(
      record(shard, seq, BASE + l.offsetMs, l.words.map((w) => WORDS[w]).join(' ')),
    );
  }
  return byShard;
}

/** A store factory: the clock decides expiry. */
export type StoreFactory = (now: () => number) => StateStore;

/** The differential run of one of `templates` (its parameters are in the plan). */
export async function runDifferential(
  plan: Plan,
  makeStore: StoreFactory = (now) => new InMemoryStateStore({ now }),
  engineOptions: Parameters<typeof runTemplateDifferential>[3] = {},
): Promise<string[]> {
  const t = templates(plan.b, plan.w, plan.s, plan.timeout)[plan.template];
  return runTemplateDifferential(
    t,
    { ...plan, tail: plan.w + plan.s + plan.timeout + 1 },
    makeStore,
    engineOptions,
  );
}

/** How records are made and delivered: batch interval, shards, lines, the delivery's seed, faults. */
export interface Delivery {
  b: number;
  shards: number;
  lines: { shard: number; offsetMs: number; words: number[] }[];
  seed: number;
  faults: boolean;
  /** Batches run after the last record's (windows and timeouts drain). */
  tail: number;
}

/** The differential run of any template: serverless outputs per batch against the in-memory engine's. */
export async function runTemplateDifferential(
  t: Template,
  plan: Delivery,
  makeStore: StoreFactory = (now) => new InMemoryStateStore({ now }),
  engineOptions: Partial<ServerlessEngineOptions> & { coldCloser?: boolean } = {},
): Promise<string[]> {
  const interval = plan.b * 1000;
  const byShard = recordsOf(plan);
  const all = Array.from(byShard.values()).flat();
  const batches = all.map((r) => batchTimeOf(r.arrivalMs, interval));
  const zero = Math.min(...batches) - interval;
  const until = Math.max(...batches) + plan.tail * interval;

  const expected = await reference(t, plan.b, all, zero, until);

  let clock = BASE;
  const store = new FaultyStore(makeStore(() => clock));
  const actual: Outputs = new Map();
  const shardIds = Array.from(byShard.keys());
  const { coldCloser, ...tuning } = engineOptions;
  const opts = {
    store,
    now: () => clock,
    listShards: async () => shardIds,
    leaseMs: 60_000,
    log: () => undefined,
    ...tuning,
  };
  const closers = [
    new ServerlessEngine(pipelineOf(t, plan.b, actual), opts),
    new ServerlessEngine(pipelineOf(t, plan.b, actual), opts),
  ];
  const mapper = new ServerlessEngine(pipelineOf(t, plan.b, actual), opts);
  const random = rng(plan.seed);
  const pos = new Map(shardIds.map((s) => [s, 0]));

  const invoke = (records: KinesisInputRecord[]) =>
    deliverAsLambda(records, {
      attempt: async (rs) => {
        if (plan.faults && random() < 0.15) store.armCrash(1 + Math.floor(random() * 4));
        await mapper.mapPhase(rs);
        store.crashAt = undefined;
        return undefined; // the templates' functions never fail a record: nothing to replay from
      },
      retryable: (e) => e instanceof InjectedCrash,
      random,
    });
  const close = async () => {
    const which = random();
    if (plan.faults && random() < 0.15) store.armCrash(1 + Math.floor(random() * 6));
    // With coldCloser, one of the two closers is a new engine every time (nothing in memory).
    if (coldCloser) closers[1] = new ServerlessEngine(pipelineOf(t, plan.b, actual), opts);
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
    if (plan.faults && random() < 0.2) await invoke(event); // the same event delivered twice
    pos.set(shard, from + event.length);
    if (random() < 0.5) await close();
  }
  // Idle stream: the scheduled closer runs after the lateness; expired claims are taken over.
  clock = until + 1000 * 1000 + 1;
  for (let i = 0; i < 5; i++) await close();
  clock += 60_001; // a claim left by a crashed closer expires: the next closer takes the batch over
  await closers[0].closeReady();
  const progress = await closers[0].progress();
  const diffs = diffOutputs(expected, actual, until);
  if (progress && progress.next <= until)
    diffs.push(`closed only up to ${progress.next - interval}, expected ${until}`);
  return diffs;
}

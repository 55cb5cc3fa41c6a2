/**
 * The fault model of issue 8, enumerated rather than sampled: a run of the
 * serverless engine on a fixed delivery plan is first run without faults to count its store writes;
 * then, for every write index k and every fault kind, the same plan runs again with that fault at
 * write k:
 *
 * - `crash-before`: the invocation dies before the write reaches the store;
 * - `crash-after`: the write applies, then the invocation dies;
 * - `ambiguous`: the write applies and the store returns an error (DynamoDB's InternalServerError
 *   after a write that succeeded): the invocation sees the error and goes on with its error path;
 * - `delay j`: the write is in flight when the invocation dies (a Lambda timeout) and reaches the
 *   store only after j further writes of whatever runs next (its retry, other shards, closers), or
 *   at the very end (`end`), with its condition evaluated when it lands.
 *
 * A dead invocation's container is gone with it (its warm state too; every later call through it
 * fails); Lambda then retries the event whole, or bisected, and a dead closer's claim is taken over
 * once its lease runs out (sometimes a live closer finds it busy first). Asserted per batch time:
 * the outputs equal the in-memory engine's on the same records; every run of an output for a batch
 * time had exactly the same content; the RecordsIn metric counted each record once (but for the
 * batch whose done marker was the faulted write: metrics are sent after done, at most once).
 */
import type { KinesisInputRecord, StateStore, StoreItem } from '../../lib';
import { definePipeline, ServerlessEngine } from '../../lib';
import { InMemoryEngineMetrics } from '../../lib/runtime/metrics';
import { InMemoryStateStore } from '../../lib/state/in-memory-store';
import type { Condition, QueryOptions } from '../../lib/state/types';
import { batchTimeOf } from '../../lib/plan/time';
import { recordsOf, type Delivery } from './differential';
import {
  deliverAsLambda,
  diffOutputs,
  reference,
  rng,
  templates,
  type Outputs,
  type Template,
} from './harness';

/** Where and how a run is faulted. */
export type FaultKind = 'crash-before' | 'crash-after' | 'ambiguous' | { delay: number | 'end' };

/** One fault: kind at the `at`-th store write of the run (counted from 0 over every container). */
export interface Fault {
  at: number;
  kind: FaultKind;
}

/** The fault kinds tried at every write. */
export const FAULT_KINDS: FaultKind[] = [
  'crash-before',
  'crash-after',
  'ambiguous',
  { delay: 1 },
  { delay: 3 },
  { delay: 'end' },
];

/** The invocation died (crash or timeout): nothing after it runs in that container. */
export class InvocationDied extends Error {
  constructor(why: string) {
    super(`injected: invocation died (${why})`);
    this.name = 'InvocationDied';
  }
}

/** DynamoDB answered with an error for a write that applied. */
export class AmbiguousWriteError extends Error {
  constructor() {
    super('injected: InternalServerError returned for a write that applied');
    this.name = 'InternalServerError';
  }
}

type Write = () => Promise<unknown>;

/** The store shared by every container: counts writes, injects the fault, lands delayed writes. */
export class FaultInjector {
  writes = 0;
  /** Writes in flight from dead invocations, with how many writes must happen before they land. */
  private readonly inFlight: { land: Write; after: number | 'end' }[] = [];
  /** Kinds of writes, by index (`done` markers are told apart for the metrics check). */
  readonly kinds: string[] = [];
  faultedKind: string | undefined;

  constructor(
    readonly inner: StateStore,
    private readonly fault: Fault | undefined,
  ) {}

  async write(view: ContainerStore, what: string, apply: Write): Promise<unknown> {
    const n = this.writes++;
    this.kinds.push(what);
    const fault = this.fault?.at === n ? this.fault.kind : undefined;
    if (fault !== undefined) this.faultedKind = what;
    if (fault === 'crash-before') {
      view.dead = true;
      throw new InvocationDied('before a write');
    }
    if (typeof fault === 'object') {
      view.dead = true;
      this.inFlight.push({ land: apply, after: fault.delay });
      throw new InvocationDied('timed out with a write in flight');
    }
    const out = await apply();
    await this.landDue();
    if (fault === 'crash-after') {
      view.dead = true;
      throw new InvocationDied('after a write');
    }
    if (fault === 'ambiguous') throw new AmbiguousWriteError();
    return out;
  }

  /** Lands the in-flight writes whose turn has come (after a write completed). */
  private async landDue(): Promise<void> {
    for (const w of [...this.inFlight]) {
      if (w.after === 'end') continue;
      if (w.after-- <= 0) {
        this.inFlight.splice(this.inFlight.indexOf(w), 1);
        await w.land();
      }
    }
  }

  /** Lands every write still in flight (`end`, and any whose count was not reached). */
  async landAll(): Promise<void> {
    while (this.inFlight.length) await (this.inFlight.shift() as { land: Write }).land();
  }
}

/** One container's view of the store: dead once its invocation died. */
export class ContainerStore implements StateStore {
  dead = false;
  constructor(private readonly injector: FaultInjector) {}

  private check(): void {
    if (this.dead) throw new InvocationDied('the container is gone');
  }
  async get(pk: string, sk: string) {
    this.check();
    return this.injector.inner.get(pk, sk);
  }
  async query(pk: string, options?: QueryOptions) {
    this.check();
    return this.injector.inner.query(pk, options);
  }
  async put(item: StoreItem, condition?: Condition) {
    this.check();
    const what = item.sk.endsWith('#done') ? 'done' : item.pk.split('#')[2];
    return this.injector.write(this, what, () =>
      this.injector.inner.put(item, condition),
    ) as Promise<boolean>;
  }
  async putAll(items: StoreItem[]) {
    this.check();
    await this.injector.write(this, items[0]?.pk.split('#')[2] ?? 'empty', () =>
      this.injector.inner.putAll(items),
    );
  }
  async deleteAll(keys: { pk: string; sk: string }[]) {
    this.check();
    await this.injector.write(this, 'delete', () => this.injector.inner.deleteAll(keys));
  }
  stats() {
    return this.injector.inner.stats();
  }
  resetStats() {
    this.injector.inner.resetStats();
  }
}

/** Every run of every output: by output index, batch time, then run. */
export type OutputRuns = Map<number, Map<number, unknown[][]>>;

/** What a faulted run gave. */
export interface ScheduleResult {
  /** Differences from the in-memory engine, from output runs that disagree, from the metrics. */
  problems: string[];
  /** Store writes of the run. */
  writes: number;
}

/** A store factory (the clock decides expiry); `name` keeps runs apart in a shared table. */
export type FaultStoreFactory = (now: () => number) => Promise<StateStore> | StateStore;

/** A short lease, so that taking a dead closer's batch over passes few idle batches. */
const LEASE = 1500;

/**
 * How batches close in a run. `watermark`: only when every shard has passed them (no record is
 * late), so outputs must equal the in-memory engine's batch for batch. `lateness`: also after a
 * short lateness while map phases lag behind, so records arrive late and land in later batches;
 * then every run of a batch's outputs must still be the same, and the totals (`TOTALS` template)
 * must count every word exactly once.
 */
export type CloseMode = 'watermark' | 'lateness';

/** The template of the lateness mode: a count per batch and running totals, checkable in sum. */
export const TOTALS: Template = {
  name: 'count + updateStateByKey running totals, closed by lateness',
  build: (ssc, out) => {
    const words = ssc
      .kinesisTextStream()
      .flatMap((l) => l.split(' '))
      .filter((w) => w.length > 0);
    out(0, words.count());
    out(
      1,
      words
        .map((w) => [w, 1] as [string, number])
        .updateStateByKey((vs: number[], s: number | undefined) => (s ?? 0) + vs.length),
    );
  },
};

/** Runs template `t` on `plan` with `fault` (none: count the writes); returns what went wrong. */
export async function runSchedule(
  t: Template,
  plan: Delivery,
  fault: Fault | undefined,
  makeStore: FaultStoreFactory = (now) => new InMemoryStateStore({ now }),
  name = 'faults',
  mode: CloseMode = 'watermark',
): Promise<ScheduleResult> {
  const interval = plan.b * 1000;
  const byShard = recordsOf(plan);
  const all = Array.from(byShard.values()).flat();
  const batches = all.map((r) => batchTimeOf(r.arrivalMs, interval));
  const zero = Math.min(...batches) - interval;
  const until = Math.max(...batches) + plan.tail * interval;
  const expected = await reference(t, plan.b, all, zero, until);

  let clock = Math.min(...all.map((r) => r.arrivalMs));
  const injector = new FaultInjector(await makeStore(() => clock), fault);
  const runs: OutputRuns = new Map();
  const metrics = new InMemoryEngineMetrics();
  const lateness = mode === 'lateness' ? 1 : 1000;
  const pipeline = definePipeline({ name, batchInterval: plan.b, allowedLateness: lateness }, (ssc) =>
    t.build(ssc, (i, stream) =>
      stream.foreachRDD((rdd, time) => {
        let m = runs.get(i);
        if (!m) runs.set(i, (m = new Map()));
        const list = m.get(time) ?? [];
        list.push(structuredClone(rdd.collect()));
        m.set(time, list);
      }),
    ),
  );
  const shardIds = Array.from(byShard.keys());
  const container = (owner: string) => {
    const store = new ContainerStore(injector);
    const engine = new ServerlessEngine(pipeline, {
      store,
      now: () => clock,
      listShards: async () => shardIds,
      leaseMs: LEASE,
      owner,
      metrics,
      log: () => undefined,
    });
    return { store, engine };
  };
  let mapper = container('mapper');
  const closers = [container('closer-a'), container('closer-b')];
  let generation = 0;
  const random = rng(plan.seed);
  const injected = (e: unknown) => e instanceof InvocationDied || e instanceof AmbiguousWriteError;

  // Lambda's event source: a failed invocation is retried whole, or bisected (bisect on error).
  const invoke = (records: KinesisInputRecord[]): Promise<void> =>
    deliverAsLambda(records, {
      attempt: async (rs) => (await mapper.engine.mapPhase(rs)).failedSequenceNumber,
      retryable: injected,
      onError: () => {
        if (mapper.store.dead) mapper = container(`mapper-${++generation}`);
      },
      random,
    });
  const close = async () => {
    const which = random();
    const chosen = which < 0.3 ? [0, 1] : [which < 0.65 ? 0 : 1];
    const results = await Promise.allSettled(chosen.map((i) => closers[i].engine.closeReady()));
    let died = false;
    for (const [j, r] of results.entries()) {
      if (r.status === 'fulfilled') continue;
      if (!injected(r.reason)) throw r.reason;
      const i = chosen[j];
      if (closers[i].store.dead) {
        closers[i] = container(`closer-${i}-${++generation}`);
        died = true;
      }
    }
    if (died && random() < 0.5) clock += LEASE + 1; // the dead closer's lease runs out
  };

  const pos = new Map(shardIds.map((s) => [s, 0]));
  for (;;) {
    const open = shardIds.filter(
      (s) => (pos.get(s) as number) < (byShard.get(s) as KinesisInputRecord[]).length,
    );
    if (open.length === 0) break;
    const shard = open[Math.floor(random() * open.length)];
    const recs = byShard.get(shard) as KinesisInputRecord[];
    const from = pos.get(shard) as number;
    const event = recs.slice(from, from + 1 + Math.floor(random() * 4));
    clock = Math.max(clock, ...event.map((r) => r.arrivalMs + 200));
    if (mode === 'lateness') clock += Math.floor(random() * 1500); // map phases lag: some records late
    await invoke(event);
    if (random() < 0.15) await invoke(event); // the same event delivered twice
    pos.set(shard, from + event.length);
    if (random() < 0.5) await close();
  }
  // Idle stream: the scheduled closer runs (the lateness of `until` has passed); in-flight writes
  // land; expired claims are taken over.
  clock = until + lateness * 1000 + 1;
  for (let i = 0; i < 3; i++) await close();
  await injector.landAll();
  for (let i = 0; i < 2; i++) {
    clock += LEASE + 1;
    await close();
  }
  const final = container('final');
  await final.engine.closeReady();
  const problems = mode === 'watermark' ? checkRuns(expected, runs, until) : checkTotals(runs, all);
  const progress = await final.engine.progress();
  if (mode === 'watermark' && (!progress || progress.next <= until))
    problems.push(`closed only up to ${progress?.closedUpTo}, expected ${until}`);
  const doneFaulted = injector.faultedKind === 'done';
  const recordsIn = metrics.totals.RecordsIn ?? 0;
  if (recordsIn > all.length || (!doneFaulted && recordsIn !== all.length))
    problems.push(`RecordsIn counted ${recordsIn} of ${all.length} records`);
  return { problems, writes: injector.writes };
}

/** Every run of an output for a batch time must be the same; the last one must equal the reference. */
function checkRuns(expected: Outputs, runs: OutputRuns, until: number): string[] {
  const { problems, last } = sameRuns(runs);
  return [...problems, ...diffOutputs(expected, last, until)];
}

/** Runs of one output and batch time that differ; the last run of each. */
function sameRuns(runs: OutputRuns): { problems: string[]; last: Outputs } {
  const problems: string[] = [];
  const last: Outputs = new Map();
  for (const [i, byTime] of runs) {
    const m = new Map<number, unknown[]>();
    for (const [t, list] of byTime) {
      const first = JSON.stringify(list[0]);
      if (list.some((r) => JSON.stringify(r) !== first))
        problems.push(
          `output ${i} @${t}: ${list.length} runs with different content: ${list.map((r) => JSON.stringify(r)).join(' / ')}`,
        );
      m.set(t, list[list.length - 1]);
    }
    last.set(i, m);
  }
  return { problems, last };
}

/**
 * Lateness mode: every run of an output for a batch time is the same; the counts of all batches add
 * up to the words sent; the last running totals count every word once.
 */
function checkTotals(runs: OutputRuns, records: KinesisInputRecord[]): string[] {
  const { problems } = sameRuns(runs);
  const words = new Map<string, number>();
  for (const r of records)
    for (const w of Buffer.from(r.data).toString('utf8').split(' '))
      if (w.length > 0) words.set(w, (words.get(w) ?? 0) + 1);
  const total = Array.from(words.values()).reduce((a, b) => a + b, 0);
  let counted = 0;
  for (const list of runs.get(0)?.values() ?? []) for (const x of list[0]) counted += x as number;
  if (counted !== total) problems.push(`the batches counted ${counted} of ${total} words`);
  const states = runs.get(1) ?? new Map<number, unknown[][]>();
  const lastTime = Math.max(...states.keys());
  const last = Object.fromEntries((states.get(lastTime)?.[0] ?? []) as [string, number][]);
  const expectedTotals = Object.fromEntries(words);
  if (JSON.stringify(sortKeys(last)) !== JSON.stringify(sortKeys(expectedTotals)))
    problems.push(
      `running totals ${JSON.stringify(sortKeys(last))}, expected ${JSON.stringify(sortKeys(expectedTotals))}`,
    );
  return problems;
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The fault schedules of a plan: every write index times every fault kind. */
export function schedulesOf(writes: number): Fault[] {
  const out: Fault[] = [];
  for (let at = 0; at < writes; at++) for (const kind of FAULT_KINDS) out.push({ at, kind });
  return out;
}

/** A readable name for a fault. */
export function describeFault(f: Fault): string {
  return `${typeof f.kind === 'object' ? `delay ${f.kind.delay}` : f.kind} at write ${f.at}`;
}

/** A small plan: a few lines over a few batches, on `shards` shards. */
export function smallPlan(
  seed: number,
  shards: number,
): { template: number; plan: Delivery; params: number[] } {
  const r = rng(seed);
  const n = 3 + Math.floor(r() * 5);
  const lines = Array.from({ length: n }, () => ({
    shard: Math.floor(r() * shards),
    offsetMs: Math.floor(r() * 4000),
    words: Array.from({ length: Math.floor(r() * 3) }, () => Math.floor(r() * 5)),
  }));
  const w = 1 + Math.floor(r() * 2);
  const s = 1;
  const timeout = 1 + Math.floor(r() * 2);
  return {
    template: Math.floor(r() * 8),
    plan: { b: 1, shards, lines, seed: Math.floor(r() * 2 ** 31), faults: true, tail: w + s + timeout + 1 },
    params: [w, s, timeout],
  };
}

/** Runs plans for `shards` until `count` schedules ran; returns the problems and the counts. */
export async function runFaultModel(
  shards: number,
  count: number,
  makeStore?: FaultStoreFactory,
  name?: (i: number) => string,
  minTemplates = 1,
  mode: CloseMode = 'watermark',
): Promise<{ problems: string[]; schedules: number; plans: number; templates: string[] }> {
  const problems: string[] = [];
  let schedules = 0;
  let plans = 0;
  let runs = 0;
  const seen = new Set<string>();
  for (let seed = 1; schedules < count || seen.size < minTemplates; seed++) {
    const { plan, params } = smallPlan(seed * 7919 + shards, shards);
    // Templates in turn, starting at a different one per shard count: the three shard counts of
    // the normal suite cover all eight.
    const t =
      mode === 'lateness'
        ? TOTALS
        : templates(1, params[0], params[1], params[2])[(3 * Math.log2(shards) + plans) % 8];
    seen.add(t.name);
    const clean = await runSchedule(t, plan, undefined, makeStore, name?.(runs++), mode);
    if (clean.problems.length)
      problems.push(`${t.name}, seed ${seed}, no fault: ${clean.problems.join('; ')}`);
    plans++;
    for (const fault of schedulesOf(clean.writes)) {
      if (schedules >= count && seen.size >= minTemplates && plans > minTemplates) break;
      const r = await runSchedule(t, plan, fault, makeStore, name?.(runs++), mode);
      schedules++;
      if (r.problems.length)
        problems.push(`${t.name}, seed ${seed}, ${describeFault(fault)}: ${r.problems.join('; ')}`);
    }
  }
  return { problems, schedules, plans, templates: Array.from(seen) };
}

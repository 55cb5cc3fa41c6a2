import { definePipeline, runPipelineInMemory, ServerlessEngine } from '../../lib';
import type {
  DStream,
  KinesisInputRecord,
  Pipeline,
  StateStore,
  StoreItem,
  StreamingContext,
} from '../../lib';
import { InMemoryStateStore } from '../../lib/state/in-memory-store';
import { ForwardingStore } from '../../lib/state/forwarding-store';

export const B = 1000;
export const BASE = 1_700_000_000_000; // a multiple of 1000: batch T1 = BASE + 1000 holds arrivals [BASE, BASE+1000)
export const T = (k: number) => BASE + k * B;

/** Outputs by output index, then batch time (a re-run overwrites). */
export type Outs = Map<number, Map<number, unknown[]>>;

export function pipeline(
  outs: Outs,
  build: (ssc: StreamingContext, out: (i: number, s: DStream<any>) => void) => void,
  allowedLateness = 2,
): Pipeline {
  return definePipeline({ name: 'review', batchInterval: B / 1000, allowedLateness }, (ssc) =>
    build(ssc, (i, s) =>
      s.foreachRDD((rdd, time) => {
        let m = outs.get(i);
        if (!m) outs.set(i, (m = new Map()));
        m.set(time, structuredClone(rdd.collect()));
      }),
    ),
  );
}

let seq = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;
/** A record with a fresh, increasing sequence number. */
export function rec(shardId: string, arrivalMs: number, line: string): KinesisInputRecord {
  seq += 1_000_000_000_000n;
  return { shardId, sequenceNumber: seq.toString(), arrivalMs, data: Buffer.from(line, 'utf8') };
}

export class Crash extends Error {}

/** A store whose writes can be intercepted: `onWrite` runs after each write and may throw (a crash) or await. */
export class HookStore extends ForwardingStore {
  onWrite: ((kind: 'put' | 'putAll', items: StoreItem[], ok: boolean) => Promise<void> | void) | undefined;
  onQuery: ((pk: string) => Promise<void> | void) | undefined;
  onGet: ((pk: string, sk: string) => Promise<void> | void) | undefined;
  override async get(pk: string, sk: string) {
    const r = await this.inner.get(pk, sk);
    if (this.onGet) await this.onGet(pk, sk);
    return r;
  }
  override async query(pk: string, o?: Parameters<StateStore['query']>[1]) {
    const r = await this.inner.query(pk, o);
    if (this.onQuery) await this.onQuery(pk);
    return r;
  }
  override async put(item: StoreItem, c?: Parameters<StateStore['put']>[1]) {
    const ok = await this.inner.put(item, c);
    if (this.onWrite) await this.onWrite('put', [item], ok);
    return ok;
  }
  override async putAll(items: StoreItem[]) {
    await this.inner.putAll(items);
    if (this.onWrite) await this.onWrite('putAll', items, true);
  }
}

export function setup(
  build: (ssc: StreamingContext, out: (i: number, s: DStream<any>) => void) => void,
  opts: { lateness?: number; listShards?: string[]; leaseMs?: number } = {},
) {
  const clock = { now: BASE };
  const store = new HookStore(new InMemoryStateStore({ now: () => clock.now }));
  const outs: Outs = new Map();
  const p = pipeline(outs, build, opts.lateness ?? 2);
  const engine = (owner: string) =>
    new ServerlessEngine(p, {
      store,
      now: () => clock.now,
      owner,
      leaseMs: opts.leaseMs,
      listShards: opts.listShards ? async () => opts.listShards as string[] : undefined,
      log: () => undefined,
    });
  return { clock, store, outs, p, engine };
}

/** The in-memory engine's outputs on the same records. */
export async function inMemory(
  build: (ssc: StreamingContext, out: (i: number, s: DStream<any>) => void) => void,
  records: KinesisInputRecord[],
  zero: number,
  until: number,
): Promise<Outs> {
  const outs: Outs = new Map();
  await runPipelineInMemory(pipeline(outs, build), records, { zeroTime: zero, untilTime: until });
  return outs;
}

/** Sum of the numbers emitted by a count() output over all batches. */
export function total(outs: Outs, i = 0): number {
  let n = 0;
  for (const items of outs.get(i)?.values() ?? []) for (const x of items) n += x as number;
  return n;
}

/** A map phase's commit of a shard log entry. */
export const isLogEntry = (items: StoreItem[]) => items.some((i) => i.pk.includes('#log#'));
/** A closer's claim of a batch (with its cut). */
export const isClaim = (items: StoreItem[]) =>
  items.some((i) => i.pk.endsWith('#close') && !i.sk.endsWith('#done'));
/** A closer's done marker. */
export const isDone = (items: StoreItem[]) =>
  items.some((i) => i.pk.endsWith('#close') && i.sk.endsWith('#done'));

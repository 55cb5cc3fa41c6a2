/**
 * What `dstream inspect` shows when counts seem wrong: the progress, each shard's committed
 * position and watermark, the latest closes, the records committed but not yet in a closed batch,
 * and the stored state of every keyed stream. Reads only the latest items (reverse, limited
 * queries) and one page of each state, never whole partitions of history. Writes nothing.
 */
import { decode } from '../codec';
import type { Fix } from './batch-content';
import type { Done } from './claims';
import { readProgress } from './progress';
import type { EngineContext } from './context';
import { keys, padTime } from './keys';
import { ZERO_POSITION, sequenceOf } from './positions';
import type { Plan } from './run-batch';
import { listHeads, readEntries } from './shard-log';
import { storedBytes, type StreamVersion } from './state-storage';
import { KeyedHistory } from './state-versions';
import { normKey } from '../../util/key-map';
import type { PipelineInspection } from './types';
import type { DStream } from '../../dstream/dstream';

/** Options of `inspect`: how many closes, open batches and state entries to show. */
export interface InspectOptions {
  closes?: number;
  openBatches?: number;
  entries?: number;
}

/** Inspects a pipeline's stored progress (see `PipelineInspection`). */
export async function inspect(
  ctx: EngineContext,
  plan: (zero: number) => Plan,
  storageKeys: (plan: Plan) => Promise<Map<DStream<unknown>, string>>,
  batchInterval: number,
  options: InspectOptions = {},
): Promise<PipelineInspection> {
  const progress = await readProgress(ctx);
  const heads = await listHeads(ctx);
  const closeItems = await ctx.store.query(keys.close(ctx.pipeline), {
    reverse: true,
    limit: 2 * (options.closes ?? 10) + 2,
  });
  const byTime = new Map<
    number,
    { claim?: (typeof closeItems)[number]; done?: (typeof closeItems)[number] }
  >();
  for (const i of closeItems) {
    const t = Number(i.sk.slice(0, 15));
    const e = byTime.get(t) ?? {};
    if (i.sk.endsWith('#done')) e.done = i;
    else e.claim = i;
    byTime.set(t, e);
  }
  const times = Array.from(byTime.keys()).sort((a, b) => b - a);
  const closes = times.slice(0, options.closes ?? 10).map((t) => {
    const { claim, done } = byTime.get(t) as {
      claim?: (typeof closeItems)[number];
      done?: (typeof closeItems)[number];
    };
    const leaseUntil = claim?.attrs?.leaseUntil === undefined ? undefined : Number(claim.attrs.leaseUntil);
    return {
      batchTime: t,
      status: done ? 'done' : leaseUntil === 0 ? 'released' : 'claimed',
      owner: String((done ?? claim)?.attrs?.owner),
      leaseUntil,
    };
  });
  const latestClaim = times.map((t) => byTime.get(t)?.claim).find((c) => c !== undefined);
  const cut = latestClaim ? decode<Fix>(latestClaim.data as Uint8Array) : undefined;
  const open = new Map<number, { entries: number; records: number }>();
  for (const h of heads) {
    const from = cut?.shards[h.shardKey]?.[1] ?? ZERO_POSITION;
    for (const e of await readEntries(ctx, h.shardKey, from)) {
      for (const g of e.groups) {
        const o = open.get(g.origin) ?? { entries: 0, records: 0 };
        o.entries++;
        o.records += g.records;
        open.set(g.origin, o);
      }
    }
  }
  const latestDone = times.map((t) => byTime.get(t)?.done).find((d) => d !== undefined);
  const history: PipelineInspection['history'] = [];
  if (latestDone && progress) {
    const states = decode<Pick<Done, 'states'>>(latestDone.data as Uint8Array).states;
    const p = plan(progress.zero);
    const keyOf = await storageKeys(p);
    for (const h of p.histories.values()) {
      const key = keyOf.get(h.stream);
      const v = h instanceof KeyedHistory && key !== undefined ? states[key] : undefined;
      if (!v) continue;
      const batchTime = Number(latestDone.sk.slice(0, 15));
      const n = options.entries ?? 20;
      history.push({
        stream: p.ids.get(h.stream)?.id ?? h.stream.name,
        batchTime,
        size: v.keys,
        bytes: storedBytes(v),
        sample: n > 0 ? await sample(ctx, key as string, v, batchTime, n) : [],
      });
    }
  }
  const closedUpTo =
    progress && progress.next - ctx.intervalMs > progress.zero ? progress.next - ctx.intervalMs : undefined;
  return {
    pipeline: ctx.pipeline,
    batchInterval,
    progress: progress && { ...progress, ...(closedUpTo === undefined ? {} : { closedUpTo }) },
    shards: heads.map((h) => ({
      shardId: h.shardId,
      ...(h.streamArn ? { streamArn: h.streamArn } : {}),
      checkpoint: sequenceOf(h.last),
      watermark: h.watermark,
      updatedAt: h.updatedAt,
    })),
    closes,
    openBatches: Array.from(open, ([batchTime, o]) => ({ batchTime, ...o }))
      .sort((a, b) => a.batchTime - b.batchTime)
      .slice(0, options.openBatches ?? 10),
    history,
  };
}

/**
 * Up to `n` `[key, value]` entries of a stored version: the first snapshot page's keys, as of the
 * version (the deltas since the snapshot applied to them). Reads one page and the deltas.
 */
async function sample(
  ctx: EngineContext,
  stream: string,
  v: StreamVersion,
  time: number,
  n: number,
): Promise<unknown[]> {
  const page = await ctx.store.get(keys.page(ctx.pipeline, stream, v.epoch, 0), keys.pageSk);
  const entries = new Map<unknown, unknown[]>();
  for (const e of page ? decode<unknown[][]>(page.data as Uint8Array) : []) entries.set(normKey(e[0]), e);
  if (v.deltas > 0) {
    for (const d of await ctx.store.query(keys.delta(ctx.pipeline, stream, v.epoch), {
      skTo: padTime(time),
    })) {
      const { r, u } = decode<{ r: unknown[]; u: unknown[][] }>(d.data as Uint8Array);
      for (const k of r) entries.delete(normKey(k));
      for (const e of u) if (entries.has(normKey(e[0]))) entries.set(normKey(e[0]), e);
    }
  }
  return Array.from(entries.values())
    .slice(0, n)
    .map((e) => [e[0], e[1]]);
}

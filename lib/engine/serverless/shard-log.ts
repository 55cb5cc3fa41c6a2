/**
 * The shard log: what the map phase commits, and the one source of truth for which records are
 * applied. Each shard has a log of entries; an entry holds the map-stage output of a
 * contiguous run of the shard's records, grouped by origin batch, and is keyed by the position just
 * before its first record (the previous entry's last position). Entries are written with a
 * put-if-absent: whoever commits first at a position owns it, and an entry never changes once
 * written. So a late write from a timed-out invocation, a retry with fewer records (bisected), or a
 * write whose success was reported as an error can never replace or overlap what is committed: the
 * loser re-reads the log and drops the records the winner covered.
 *
 * Writes: `log` entries (conditional put-if-absent), `heads` (a hint: the latest position and
 * watermark per shard, put only forward; the closer rewrites an idle shard's hint unchanged before
 * it expires). Both carry a TTL of the pipeline's retention.
 */
import { decode, encode } from '../codec';
import type { StoreItem } from '../../state/types';
import type { EngineContext } from './context';
import { keys } from './keys';
import type { StageSignature } from './map-stage';
import type { Position } from './positions';

/** The map-stage outputs of one origin batch's records in an entry. */
export interface EntryGroup {
  /** The batch the records arrived in. */
  origin: number;
  records: number;
  /** Elements of each frontier stream, by stream id. */
  elements: Record<string, unknown[]>;
  /** Map-side combined [key, combiner] pairs, by shuffle stream id. */
  combined: Record<string, [unknown, unknown][]>;
}

/** A committed run of one shard's records. */
export interface Entry {
  shardKey: string;
  /** The position before its first record (the previous entry's `last`): its sort key. */
  key: Position;
  first: Position;
  last: Position;
  /** Records applied (decoded or not). */
  records: number;
  /** Records no source could decode. */
  undecodable: number;
  decodeErrors: number;
  /** Highest arrival time applied on the shard so far (ms). */
  watermark: number;
  minOrigin: number;
  maxOrigin: number;
  groups: EntryGroup[];
  /** The signature of the map stage that wrote it (what its data keys hold), and its hash. */
  signature?: StageSignature;
  stage?: string;
}

/** The latest committed position of a shard, its watermark and when it last applied records. */
export interface Head {
  shardKey: string;
  shardId: string;
  streamArn?: string;
  last: Position;
  watermark: number;
  /** Clock time of the last commit (ms). */
  updatedAt: number;
  /** The origin batch of the shard's first records. */
  firstOrigin: number;
  /** When the stored hint expires (epoch seconds), as read. */
  expiresAt?: number;
}

/** Commits `entry` unless an entry already exists at its key. True when this call committed it. */
export async function commitEntry(ctx: EngineContext, entry: Entry): Promise<boolean> {
  const item: StoreItem = {
    pk: keys.log(ctx.pipeline, entry.shardKey),
    sk: entry.key,
    data: encode({
      g: entry.groups,
      u: entry.undecodable,
      d: entry.decodeErrors,
      s: entry.signature,
      h: entry.stage,
    }),
    attrs: {
      first: entry.first,
      last: entry.last,
      records: entry.records,
      watermark: entry.watermark,
      minOrigin: entry.minOrigin,
      maxOrigin: entry.maxOrigin,
    },
    expiresAt: ctx.ttl(),
  };
  return ctx.store.put(item, { notExists: true });
}

/** Reads a stored entry. */
export function entryOf(shardKey: string, item: StoreItem): Entry {
  const a = item.attrs ?? {};
  const body = decode<{ g: EntryGroup[]; u: number; d: number; s?: StageSignature; h?: string }>(
    item.data as Uint8Array,
  );
  return {
    shardKey,
    key: item.sk,
    first: String(a.first),
    last: String(a.last),
    records: Number(a.records),
    undecodable: body.u,
    decodeErrors: body.d,
    watermark: Number(a.watermark),
    minOrigin: Number(a.minOrigin),
    maxOrigin: Number(a.maxOrigin),
    groups: body.g,
    ...(body.s ? { signature: body.s, stage: body.h } : {}),
  };
}

/** The shard's latest entry (the true head of its log), read when the head hint lagged. */
export async function latestEntry(ctx: EngineContext, shardKey: string): Promise<Entry | undefined> {
  const [item] = await ctx.store.query(keys.log(ctx.pipeline, shardKey), { reverse: true, limit: 1 });
  return item && entryOf(shardKey, item);
}

/** The shard's entries with keys from `from` (inclusive) to `to` (inclusive, default: the end). */
export async function readEntries(
  ctx: EngineContext,
  shardKey: string,
  from: Position,
  to?: Position,
): Promise<Entry[]> {
  const items = await ctx.store.query(keys.log(ctx.pipeline, shardKey), { skFrom: from, skTo: to });
  return items.map((i) => entryOf(shardKey, i));
}

/** One entry by key, or undefined (expired). */
export async function getEntry(
  ctx: EngineContext,
  shardKey: string,
  key: Position,
): Promise<Entry | undefined> {
  const item = await ctx.store.get(keys.log(ctx.pipeline, shardKey), key);
  return item && entryOf(shardKey, item);
}

/** The head hint of one shard. */
export async function readHead(ctx: EngineContext, shardKey: string): Promise<Head | undefined> {
  const item = await ctx.store.get(keys.heads(ctx.pipeline), shardKey);
  return item && headOf(item);
}

/** Every shard's head hint. */
export async function listHeads(ctx: EngineContext): Promise<Head[]> {
  return (await ctx.store.query(keys.heads(ctx.pipeline))).map(headOf);
}

/** Moves a shard's head hint forward to `head` (never backwards: a late write is refused). */
export async function writeHead(ctx: EngineContext, head: Head): Promise<void> {
  await ctx.store.put(headItem(ctx, head), {
    or: [{ notExists: true }, { attr: 'last', op: '<', value: head.last }],
  });
}

/**
 * Rewrites the hints of idle shards that would expire within half the retention, unchanged but
 * for their TTL, so that a shard quiet for longer than the retention keeps its place in the log
 * (its next entry continues the log the closer's cut points into). Only while the hint is still
 * the same (a map phase moving it on wins). `closed`: the shards known closed (a parent after
 * resharding), whose hints are let expire.
 */
export async function refreshIdleHeads(
  ctx: EngineContext,
  heads: readonly Head[],
  closed: () => Promise<ReadonlySet<string>>,
): Promise<void> {
  const due = heads.filter(
    (h) => h.expiresAt !== undefined && h.expiresAt * 1000 - ctx.now() < ctx.retentionMs / 2,
  );
  if (due.length === 0) return;
  const closedShards = await closed();
  for (const h of due) {
    if (closedShards.has(h.shardKey)) continue;
    await ctx.store.put(headItem(ctx, h), { attr: 'last', op: '=', value: h.last });
  }
}

function headItem(ctx: EngineContext, head: Head): StoreItem {
  return {
    pk: keys.heads(ctx.pipeline),
    sk: head.shardKey,
    attrs: {
      shardId: head.shardId,
      ...(head.streamArn ? { streamArn: head.streamArn } : {}),
      last: head.last,
      watermark: head.watermark,
      updatedAt: head.updatedAt,
      firstOrigin: head.firstOrigin,
    },
    expiresAt: ctx.ttl(),
  };
}

function headOf(item: StoreItem): Head {
  const a = item.attrs ?? {};
  return {
    ...(item.expiresAt !== undefined ? { expiresAt: item.expiresAt } : {}),
    shardKey: item.sk,
    shardId: String(a.shardId),
    ...(a.streamArn ? { streamArn: String(a.streamArn) } : {}),
    last: String(a.last),
    watermark: Number(a.watermark),
    updatedAt: Number(a.updatedAt),
    firstOrigin: Number(a.firstOrigin),
  };
}

/**
 * When a batch may close: every live shard's watermark has passed it, or its lateness
 * has passed and the shards behind it are idle (a shard working through a backlog holds its
 * batches, for up to half the retention; its records are not late). Reads the head hints only;
 * writes nothing. A hint that lags only delays a close: the batch's content comes from the shard
 * logs, not from the hints.
 */
import type { EngineContext } from './context';
import { shardKeyOf } from './positions';
import type { Head } from './shard-log';
import type { ShardRef } from './types';

/** How long from its start a busy shard behind a batch may hold it: half the retention. */
function maxHoldMs(ctx: EngineContext): number {
  return ctx.retentionMs / 2;
}

/** Whether batch `t` may close now, given the head hints and the open shards (when known). */
export async function isReady(
  ctx: EngineContext,
  t: number,
  heads: readonly Head[],
  listShards?: () => Promise<ShardRef[]>,
): Promise<boolean> {
  const now = ctx.now();
  const shards = new Map<string, { watermark: number; updatedAt?: number }>();
  for (const h of heads) shards.set(h.shardKey, { watermark: h.watermark, updatedAt: h.updatedAt });
  if (listShards) {
    const open = await openShardKeys(heads, listShards);
    for (const s of open) if (!shards.has(s)) shards.set(s, { watermark: -Infinity });
    // A shard no longer open (a parent after resharding) holds no batch once it is idle.
    for (const [id, s] of shards) {
      if (!open.has(id) && (s.updatedAt === undefined || now - s.updatedAt >= ctx.latenessMs))
        shards.delete(id);
    }
  }
  const behind = Array.from(shards.values()).filter((s) => s.watermark < t);
  if (shards.size > 0 && behind.length === 0) return true; // every shard's watermark has passed t
  if (now < t + ctx.latenessMs) return false;
  // Past the lateness, t closes unless a shard still behind it is busy (it applied records within
  // the last lateness period: a backlog being worked through, whose records are not late).
  if (behind.every((s) => s.updatedAt === undefined || now - s.updatedAt >= ctx.latenessMs)) return true;
  // A backlog holds t for at most half the retention from t's start: the entries other shards
  // committed meanwhile (from then on) wait in the logs for their own batches, and must be read
  // before they expire. The lagging shard's records of t and earlier then count late.
  if (now - (t - ctx.intervalMs) >= maxHoldMs(ctx)) {
    ctx.logEvery(
      'backlog-hold',
      60_000,
      'closing a batch a shard backlog held for half the retention; its records will count late',
      {
        batch: t,
        heldMs: now - t,
      },
    );
    return true;
  }
  return false;
}

/** The keys of the open shards (a bare shard id names the shard of that id the heads have). */
async function openShardKeys(
  heads: readonly Head[],
  listShards: () => Promise<ShardRef[]>,
): Promise<Set<string>> {
  const byId = new Map(heads.map((h) => [h.shardId, h.shardKey]));
  return new Set(
    (await listShards()).map((s) => (typeof s === 'string' ? (byId.get(s) ?? s) : shardKeyOf(s))),
  );
}

/**
 * The shards of `heads` known to be closed: of a stream `listShards` lists, and not open. A shard of
 * a stream it does not list (a second stream feeding the pipeline) is not known closed. Bare shard
 * ids in the list mean one stream: every head's.
 */
export async function closedShardKeys(
  heads: readonly Head[],
  listShards: () => Promise<ShardRef[]>,
): Promise<Set<string>> {
  const refs = await listShards();
  const open = await openShardKeys(heads, async () => refs);
  const bare = refs.some((r) => typeof r === 'string');
  const streams = new Set(refs.map((r) => (typeof r === 'string' ? undefined : r.streamArn)));
  return new Set(
    heads.filter((h) => !open.has(h.shardKey) && (bare || streams.has(h.streamArn))).map((h) => h.shardKey),
  );
}

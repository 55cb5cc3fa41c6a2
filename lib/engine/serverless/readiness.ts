/**
 * When a batch may close: every live shard's watermark has passed it, or its lateness
 * has passed and the shards behind it are idle (a shard working through a backlog holds its
 * batches; its records are not late). Reads the head hints only; writes nothing. A hint that lags
 * only delays a close: the batch's content comes from the shard logs, not from the hints.
 */
import type { EngineContext } from './context';
import { shardKeyOf } from './positions';
import type { Head } from './shard-log';
import type { ShardRef } from './types';

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
    // A bare shard id names the shard of that id on whichever stream the heads have it (one stream).
    const byId = new Map(heads.map((h) => [h.shardId, h.shardKey]));
    const open = new Set(
      (await listShards()).map((s) => (typeof s === 'string' ? (byId.get(s) ?? s) : shardKeyOf(s))),
    );
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
  return behind.every((s) => s.updatedAt === undefined || now - s.updatedAt >= ctx.latenessMs);
}

/**
 * What a batch contains: the closer fixes, before any output runs, a cut of every
 * shard log, and the batch is exactly the entries between the previous batch's cut and its own
 * (their groups of this batch or earlier: earlier ones are late), plus the entries cut earlier
 * that hold groups of this batch (carried). The cut is stored with the claim (claims.ts); every
 * run of the batch, after any takeover, reads the same immutable entries, so it computes the same
 * result. An entry committed after a cut belongs to a later batch: its records are never counted
 * twice, and never lost while the log keeps them.
 *
 * Reads only (shard logs); keeps decoded entries that later batches still need in memory.
 */
import type { EngineContext } from './context';
import { ZERO_POSITION, describePosition, type Position } from './positions';
import { getEntry, readEntries, type Entry, type EntryGroup, type Head } from './shard-log';

/** The cut of batch T: per shard the last entry included ([key, last position]), and entries carried. */
export interface Fix {
  /** `idleSince`: when (clock ms) the shard was first found with no head hint (it leaves later). */
  shards: Record<string, [key: Position, last: Position, idleSince?: number]>;
  /** Entries at or before the cut with groups of later batches: [shard, entry key, max origin]. */
  carried: [shardKey: string, key: Position, maxOrigin: number][];
  /** Shards whose log started over since the previous cut: their new entries begin at the start. */
  restarted?: string[];
}

/** A group of an entry included in a batch, with where it came from. */
export interface IncludedGroup extends EntryGroup {
  shardKey: string;
  entryKey: Position;
  /** The map stage that wrote the entry (frontier-data.ts reads its data keys by it). */
  signature?: Entry['signature'];
  stage?: string;
}

/** The content of one batch. */
export interface BatchContent {
  /** Included groups, ordered by shard, entry and origin (the same order on every run). */
  groups: IncludedGroup[];
  /** Per shard: entries newly included, records, late records. */
  shards: Map<string, { entries: number; records: number; late: number }>;
  records: number;
  late: number;
  decodeErrors: number;
}

/** Decoded entries a closer keeps between batches (the ones carried), keyed by shard and entry key. */
export class EntryCache {
  private readonly entries = new Map<string, Entry>();
  /** The entries each shard's log held after a cut's read: reused when the same closer runs the batch. */
  private readonly lastRead = new Map<string, { from: Position; entries: Entry[] }>();

  get(shardKey: string, key: Position): Entry | undefined {
    return this.entries.get(`${shardKey}\u0000${key}`);
  }

  put(e: Entry): void {
    this.entries.set(`${e.shardKey}\u0000${e.key}`, e);
  }

  /** Remembers what a read of `shardKey`'s log from `from` returned. */
  noteRead(shardKey: string, from: Position, entries: Entry[]): void {
    this.lastRead.set(shardKey, { from, entries });
    for (const e of entries) this.put(e);
  }

  /** The entries of `shardKey` with keys in [from, to], if a read from `from` returned all of them. */
  range(shardKey: string, from: Position, to: Position): Entry[] | undefined {
    const read = this.lastRead.get(shardKey);
    if (!read || read.from !== from) return undefined;
    const last = read.entries[read.entries.length - 1];
    if (!last || last.key < to) return undefined;
    return read.entries.filter((e) => e.key <= to);
  }

  /** Keeps only the entries `fix` carries (the ones later batches read again). */
  retain(fix: Fix): void {
    const keep = new Set(fix.carried.map(([s, k]) => `${s}\u0000${k}`));
    for (const id of this.entries.keys()) if (!keep.has(id)) this.entries.delete(id);
    this.lastRead.clear();
  }

  clear(): void {
    this.entries.clear();
    this.lastRead.clear();
  }
}

/**
 * The cut of batch `t`, from the previous batch's (undefined for the pipeline's first batch): every
 * entry committed now in the logs of the shards known (from the previous cut and the head hints).
 */
export async function computeFix(
  ctx: EngineContext,
  t: number,
  prev: Fix | undefined,
  heads: readonly Head[],
  cache: EntryCache,
): Promise<Fix> {
  const live = new Map(heads.map((h) => [h.shardKey, h]));
  const shardKeys = new Set([...Object.keys(prev?.shards ?? {}), ...live.keys()]);
  const fix: Fix = { shards: {}, carried: (prev?.carried ?? []).filter(([, , o]) => o > t) };
  const restarted: string[] = [];
  await Promise.all(
    Array.from(shardKeys).map(async (s) => {
      const before = prev?.shards[s];
      let from = before?.[1] ?? ZERO_POSITION;
      let entries = await readEntries(ctx, s, from);
      const head = live.get(s);
      if (before && head && head.last > from && entries[0]?.key !== from) {
        // The log does not go on from the cut, yet the shard wrote since: if its hint had expired
        // and its log emptied (the closer stopped longer than the retention), it started over.
        const start = await getEntry(ctx, s, ZERO_POSITION);
        if (start && start.first > from) {
          ctx.metric('LogGaps', 1);
          ctx.log(
            'ERROR: a shard log started over (its entries expired while the closer was stopped longer than the retention); records committed after the cut and before it started over, if any, are lost',
            { shard: s, cutAt: describePosition(from), startsAgainAt: describePosition(start.first) },
          );
          entries = [start, ...entries];
          from = ZERO_POSITION;
          restarted.push(s);
        }
      }
      checkChain(ctx, s, from, entries);
      cache.noteRead(s, from, entries);
      const last = entries[entries.length - 1];
      if (last) fix.shards[s] = [last.key, last.last];
      else if (before && live.has(s)) fix.shards[s] = [before[0], before[1]];
      else if (before) {
        // No hint (a closed parent after resharding, or the closer stopped past the retention):
        // the shard stays in the cut until whatever it wrote has expired (its entries outlive its
        // hint by less than the retention), so that an entry still stored is never read again.
        const idleSince = before[2] ?? ctx.now();
        if (ctx.now() - idleSince < 2 * ctx.retentionMs) fix.shards[s] = [before[0], before[1], idleSince];
      }
      for (const e of entries) if (e.maxOrigin > t) fix.carried.push([s, e.key, e.maxOrigin]);
    }),
  );
  if (restarted.length) fix.restarted = restarted.sort();
  fix.carried.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return fix;
}

/** The content of batch `t` given its cut and the previous one. */
export async function loadContent(
  ctx: EngineContext,
  t: number,
  fix: Fix,
  prev: Fix | undefined,
  cache: EntryCache,
): Promise<BatchContent> {
  const content: BatchContent = { groups: [], shards: new Map(), records: 0, late: 0, decodeErrors: 0 };
  const fresh = new Map<string, Entry[]>();
  await Promise.all(
    Object.entries(fix.shards).map(async ([s, [key]]) => {
      const before = prev?.shards[s];
      const restarted = before !== undefined && fix.restarted?.includes(s) === true;
      if (before && before[0] === key && !restarted) return; // nothing new on this shard
      // A log that started over is read from its start, without the entries at or before the cut.
      const from = restarted ? ZERO_POSITION : (before?.[1] ?? ZERO_POSITION);
      let entries = cache.range(s, from, key);
      if (!entries) {
        entries = await readEntries(ctx, s, from, key);
        if (restarted) entries = entries.filter((e) => e.first > before[1]);
        checkChain(ctx, s, from, entries);
        for (const e of entries) cache.put(e);
      }
      fresh.set(s, entries);
    }),
  );
  const carried = await Promise.all(
    (prev?.carried ?? [])
      .filter(([, , o]) => o >= t)
      .map(async ([s, key]) => {
        const e = cache.get(s, key) ?? (await getEntry(ctx, s, key));
        if (!e) {
          ctx.metric('LogGaps', 1);
          ctx.log('ERROR: an entry carried to this batch expired before it closed; its records are lost', {
            batch: t,
            shard: s,
            entry: describePosition(key),
          });
          return undefined;
        }
        cache.put(e);
        return e;
      }),
  );
  const include = (e: Entry, g: EntryGroup) => {
    content.groups.push({
      ...g,
      shardKey: e.shardKey,
      entryKey: e.key,
      signature: e.signature,
      stage: e.stage,
    });
    const stats = content.shards.get(e.shardKey) ?? { entries: 0, records: 0, late: 0 };
    stats.records += g.records;
    content.records += g.records;
    if (g.origin < t) {
      stats.late += g.records;
      content.late += g.records;
    }
    content.shards.set(e.shardKey, stats);
  };
  for (const e of carried) if (e) for (const g of e.groups) if (g.origin === t) include(e, g);
  for (const [s, entries] of fresh) {
    for (const e of entries) {
      for (const g of e.groups) if (g.origin <= t) include(e, g);
      const stats = content.shards.get(s) ?? { entries: 0, records: 0, late: 0 };
      stats.entries++;
      stats.records += e.undecodable;
      content.shards.set(s, stats);
      content.records += e.undecodable;
      content.decodeErrors += e.decodeErrors;
    }
  }
  content.groups.sort(
    (a, b) =>
      (a.shardKey < b.shardKey ? -1 : a.shardKey > b.shardKey ? 1 : 0) ||
      (a.entryKey < b.entryKey ? -1 : a.entryKey > b.entryKey ? 1 : 0) ||
      a.origin - b.origin,
  );
  return content;
}

/**
 * Entries of one shard read from `from` must chain: each starts where the one before ended. A gap
 * means entries expired before their batch closed (the closer was stopped longer than the
 * retention): loud (log and `LogGaps`), never silent; what is still there is used.
 */
function checkChain(ctx: EngineContext, shardKey: string, from: Position, entries: readonly Entry[]): void {
  let expected = from;
  for (const e of entries) {
    if (e.key !== expected) {
      ctx.metric('LogGaps', 1);
      ctx.log(
        'ERROR: shard log entries are missing (expired before their batch closed); their records are lost',
        {
          shard: shardKey,
          after: describePosition(expected),
          resumesAt: describePosition(e.key),
        },
      );
    }
    expected = e.last;
  }
}

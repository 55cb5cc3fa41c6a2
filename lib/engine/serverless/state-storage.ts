/**
 * Where a keyed state stream's versions are stored, and how they are read and written: snapshot
 * pages (one item each, its own partition key) and deltas (one item per changed version, in a
 * partition per snapshot epoch). A version is a snapshot plus the deltas since. TTL: the
 * pipeline's retention plus how long windows read the stream's past versions (`historyNeedMs`).
 */
import { encode, decode } from '../codec';
import type { DStream } from '../../dstream/dstream';
import { normKey } from '../../util/key-map';
import type { EngineContext } from './context';
import { keys, padTime } from './keys';
import type { StoredEntry } from './state-adapters';

/** Where one version of a keyed state stream is stored. */
export interface StreamVersion {
  /** Batch time of the snapshot the version builds on. */
  epoch: number;
  pages: number;
  snapBytes: number;
  /** Clock time the snapshot was written (ms): it is rewritten before its TTL. */
  snapAt: number;
  /** Stored deltas since the snapshot, and their bytes. */
  deltas: number;
  deltaBytes: number;
  /** Entries in this version. */
  keys: number;
  /** The ordinal the next new key gets. */
  nextOrd: number;
}

/** A stored delta: keys removed, entries set. */
export interface Delta {
  r: unknown[];
  u: StoredEntry[];
}

/** Compression of closer-written state (written once, read on cold starts). */
export const STATE_LEVEL = 6;

/**
 * How long past its batch a version of `stream` may still be read: a window over it reads its
 * versions of the last `rememberMs`. Its deltas, snapshot pages and done markers are kept that much
 * longer than the retention (a snapshot is the base of versions for up to half the retention, each
 * read for up to this long), so a window longer than half the retention never finds them expired.
 */
export function historyNeedMs(stream: DStream<unknown>): number {
  return stream.rememberMs + stream.slideDuration;
}

/**
 * Writes a snapshot of `entries` (ordinal order) of the stream stored under `key` at `epoch`, in
 * pages of about `pageBytes` of compressed entries, each its own item (spread over partition keys).
 * `neededMs`: how long past the retention its versions may be read (`historyNeedMs`).
 */
export async function writeSnapshot(
  ctx: EngineContext,
  key: string,
  epoch: number,
  entries: StoredEntry[],
  pageBytes: number,
  neededMs: number,
): Promise<{ pages: number; bytes: number }> {
  const whole = encode(entries, STATE_LEVEL);
  let pages = [whole];
  if (whole.byteLength > pageBytes) {
    const n = Math.ceil(whole.byteLength / pageBytes);
    const per = Math.ceil(entries.length / n);
    pages = [];
    for (let i = 0; i < entries.length; i += per) pages.push(encode(entries.slice(i, i + per), STATE_LEVEL));
  }
  await ctx.store.putAll(
    pages.map((data, i) => ({
      pk: keys.page(ctx.pipeline, key, epoch, i),
      sk: keys.pageSk,
      data,
      expiresAt: ctx.ttl(neededMs),
    })),
  );
  return { pages: pages.length, bytes: pages.reduce((n, p) => n + p.byteLength, 0) };
}

/**
 * The entries (in no particular order) of the version at `time` of the stream stored under `key`:
 * its snapshot with the deltas since applied. Undefined when an item of it is missing (expired).
 */
export async function readVersion(
  ctx: EngineContext,
  key: string,
  time: number,
  v: StreamVersion,
  width: number,
): Promise<StoredEntry[] | undefined> {
  const { store, pipeline } = ctx;
  const [pages, deltas] = await Promise.all([
    Promise.all(
      Array.from({ length: v.pages }, (_, i) => store.get(keys.page(pipeline, key, v.epoch, i), keys.pageSk)),
    ),
    v.deltas > 0
      ? store.query(keys.delta(pipeline, key, v.epoch), { skTo: padTime(time) })
      : Promise.resolve([]),
  ]);
  if (pages.some((p) => !p) || deltas.length !== v.deltas) return undefined;
  const byKey = new Map<unknown, StoredEntry>();
  for (const p of pages)
    for (const e of decode<StoredEntry[]>(p!.data as Uint8Array)) byKey.set(normKey(e[0]), e);
  for (const d of deltas) {
    const { r, u } = decode<Delta>(d.data as Uint8Array);
    for (const k of r) byKey.delete(normKey(k));
    for (const e of u) {
      const n = normKey(e[0]);
      // An entry stored without its ordinal keeps the one it had.
      if (e.length < width) {
        const had = byKey.get(n);
        if (!had) return undefined;
        e.push(had[had.length - 1]);
      }
      byKey.set(n, e);
    }
  }
  return Array.from(byKey.values());
}

/** Where the snapshot and deltas of a version are, for inspection: its stored bytes. */
export function storedBytes(v: StreamVersion): number {
  return v.snapBytes + v.deltaBytes;
}

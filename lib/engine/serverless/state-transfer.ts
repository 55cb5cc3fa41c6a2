/**
 * Keyed state in and out of a pipeline's store (`dstream state export|import|reset|check`). Export reads the latest closed version of each keyed state stream in the registry
 * and writes one JSON line per key, in the order keys entered (which is the order the engine
 * iterates them). Import writes the lines of a stream as a new snapshot under a fresh storage key
 * and registers it (registry compare-and-set) as the stream's state before the first batch closed
 * under the new registry revision: a running closer picks it up at its next batch, and the batch
 * in progress, if any, is replaced by it. Reset removes streams from the registry: the closer
 * registers them again with a fresh key, starting empty at its next batch (the old items expire
 * with the pipeline's retention). Check reconciles the code with the registry without writing.
 *
 * Lines are JSON (`storedJson`: undefined, NaN and ±Infinity kept as marked strings):
 * `{"stream":"totals","key":"a","value":3}`, or for mapWithState
 * `{"stream":"sessions/0","key":"a","state":{...},"time":1700000001000}` (the key's last update).
 * Writes: snapshot pages and the registry (import), the registry (reset).
 */
import { parseStoredJson, storedJson } from '../codec';
import { normKey } from '../../util/key-map';
import { readDone } from './claims';
import { readProgress } from './progress';
import type { EngineContext } from './context';
import { StateTransferError } from './errors';
import type { StoredEntry } from './state-adapters';
import { historyNeedMs, readVersion, writeSnapshot, type StreamVersion } from './state-storage';
import {
  readRegistry,
  reconcile,
  storageKey,
  writeRegistry,
  type IdentityPlan,
  type Reconciled,
  type RegisteredStream,
  type Registry,
} from './stream-registry';

/** The epoch of an imported snapshot (batch times are after the pipeline's zero time, never 0). */
const IMPORT_EPOCH = 0;

/** One key of a keyed state stream, as exported and imported. */
export type StateLine =
  | { stream: string; key: unknown; value: unknown }
  | { stream: string; key: unknown; state: unknown; time: number };

/** What was exported or imported for one stream. */
export interface StreamTransfer {
  stream: string;
  /** `pairs` (updateStateByKey, reduceByKeyAndWindow) or `mapWithState`. */
  storage: 'pairs' | 'mapWithState';
  keys: number;
  /** The batch whose version was exported (undefined: none closed yet). */
  batchTime?: number;
}

/** The streams of `available` that `wanted` names: ids, or a composite's name for its one keyed part. */
function select<T>(
  available: [string, T][],
  wanted: readonly string[] | undefined,
  what: string,
): [string, T][] {
  if (!wanted || wanted.length === 0) return available;
  return wanted.map((w) => {
    const exact = available.find(([id]) => id === w);
    if (exact) return exact;
    const parts = available.filter(([id]) => id.startsWith(`${w}/`));
    if (parts.length === 1) return parts[0];
    throw new StateTransferError(
      `no ${what} '${w}'${parts.length > 1 ? ` (several: ${parts.map(([id]) => id).join(', ')})` : ''}. ` +
        `Known: ${available.map(([id]) => id).join(', ') || 'none'}.`,
    );
  });
}

/** The latest version of `e` as of the last closed batch (a stream with a slide has one every slide). */
async function latestVersion(
  ctx: EngineContext,
  e: RegisteredStream,
): Promise<{ version: StreamVersion | null; time?: number }> {
  const progress = await readProgress(ctx);
  if (!progress) return { version: e.initial ?? null };
  const steps = Math.ceil(e.fp.slideMs / ctx.intervalMs);
  for (
    let u = progress.next - ctx.intervalMs, i = 0;
    u > progress.zero && i < steps;
    u -= ctx.intervalMs, i++
  ) {
    const done = await readDone(ctx, u);
    if (!done) {
      throw new StateTransferError(
        `batch ${u} is not done or its record expired: export from a pipeline whose batches close (is its closer running?).`,
      );
    }
    if ((done.rev ?? 0) < e.rev) return { version: e.initial ?? null, time: u };
    const v = done.states[e.key];
    if (v !== undefined) return { version: v, time: u };
  }
  return { version: e.initial ?? null };
}

/** Writes every key of the chosen keyed state streams (all by default) as JSON lines to `write`. */
export async function exportState(
  ctx: EngineContext,
  write: (line: string) => void | Promise<void>,
  options: { streams?: readonly string[] } = {},
): Promise<StreamTransfer[]> {
  const registry = await readRegistry(ctx);
  const keyed = Object.entries(registry?.streams ?? {}).filter(([, e]) => e.fp.storage !== 'panes');
  const out: StreamTransfer[] = [];
  for (const [id, e] of select(keyed, options.streams, 'keyed state stream')) {
    const storage = e.fp.storage as StreamTransfer['storage'];
    const { version, time } = await latestVersion(ctx, e);
    const width = storage === 'pairs' ? 3 : 4;
    const entries = version ? await readVersion(ctx, e.key, time ?? version.epoch, version, width) : [];
    if (!entries) {
      throw new StateTransferError(
        `the stored version of ${id} is incomplete (items expired past the pipeline's retention): nothing to export.`,
      );
    }
    const ordOf = (x: StoredEntry) => x[x.length - 1] as number;
    entries.sort((a, b) => ordOf(a) - ordOf(b));
    for (const x of entries) {
      const line: StateLine =
        storage === 'pairs'
          ? { stream: id, key: x[0], value: x[1] }
          : { stream: id, key: x[0], state: x[1], time: x[2] as number };
      await write(storedJson(line));
    }
    out.push({
      stream: id,
      storage,
      keys: entries.length,
      ...(time !== undefined ? { batchTime: time } : {}),
    });
  }
  return out;
}

/** Parses JSON lines into entries per stream (ordinals in line order); refuses bad or repeated keys. */
async function parseLines(
  lines: AsyncIterable<string> | Iterable<string>,
): Promise<Map<string, StateLine[]>> {
  const byStream = new Map<string, StateLine[]>();
  const seen = new Map<string, Set<unknown>>();
  let n = 0;
  for await (const raw of lines) {
    n++;
    if (raw.trim() === '') continue;
    let line: StateLine;
    try {
      line = parseStoredJson<StateLine>(raw);
    } catch (e) {
      throw new StateTransferError(`line ${n}: not JSON (${(e as Error).message}).`);
    }
    if (typeof line !== 'object' || line === null || typeof line.stream !== 'string' || !('key' in line)) {
      throw new StateTransferError(
        `line ${n}: expected {"stream": ..., "key": ..., "value": ...} (or "state" and "time" for mapWithState), as \`dstream state export\` writes.`,
      );
    }
    const keys = seen.get(line.stream) ?? new Set();
    seen.set(line.stream, keys);
    const k = normKey(line.key);
    if (keys.has(k))
      throw new StateTransferError(`line ${n}: key ${storedJson(line.key)} of ${line.stream} appears twice.`);
    keys.add(k);
    const list = byStream.get(line.stream) ?? [];
    list.push(line);
    byStream.set(line.stream, list);
  }
  return byStream;
}

/** The stored entries of `lines` for a stream stored as `storage` (refusing lines of the other form). */
function entriesOf(stream: string, storage: string, lines: StateLine[]): StoredEntry[] {
  return lines.map((l, ord) => {
    if (storage === 'pairs' && 'value' in l) return [l.key, l.value, ord];
    if (storage === 'mapWithState' && 'state' in l && typeof l.time === 'number')
      return [l.key, l.state, l.time, ord];
    throw new StateTransferError(
      `stream ${stream} stores ${storage === 'pairs' ? '{"key", "value"}' : '{"key", "state", "time"}'} lines; got ${storedJson(l)}.`,
    );
  });
}

/**
 * Imports JSON lines into the keyed state streams of `plan` (the code that will run) they name, all
 * or `options.streams`: each becomes the stream's state before the next batch the closer runs.
 */
export async function importState(
  ctx: EngineContext,
  plan: Pick<IdentityPlan, 'stored'>,
  lines: AsyncIterable<string> | Iterable<string>,
  options: { streams?: readonly string[]; pageBytes: number },
): Promise<StreamTransfer[]> {
  const byStream = await parseLines(lines);
  const keyed = plan.stored
    .filter((s) => s.fp.storage !== 'panes')
    .map((s) => [s.id, s] as [string, typeof s]);
  const inFile = Array.from(byStream.keys());
  const chosen = options.streams?.length ? options.streams : inFile;
  const registry = await readRegistry(ctx);
  const progress = await readProgress(ctx);
  if (!registry || !progress) {
    throw new StateTransferError(
      `pipeline '${ctx.pipeline}' has not closed a batch yet: start it, let its first batches close, then import.`,
    );
  }
  const rev = registry.rev + 1;
  const streams = { ...registry.streams };
  const out: StreamTransfer[] = [];
  for (const [id, s] of select(keyed, chosen, "keyed state stream in the pipeline's code")) {
    const lines = byStream.get(id);
    if (!lines)
      throw new StateTransferError(
        `the input has no line of stream ${id} (it has: ${inFile.join(', ') || 'none'}).`,
      );
    if (progress.next - progress.zero <= s.fp.slideMs) {
      throw new StateTransferError(
        `stream ${id} has not closed its first batch yet: let it close (one slide, ${s.fp.slideMs / 1000} s), then import.`,
      );
    }
    const storage = s.fp.storage as StreamTransfer['storage'];
    const entries = entriesOf(id, storage, lines);
    const key = storageKey(id, rev);
    // Epoch 0 is no batch's time: the closer's own snapshots under this key never overwrite it
    // (a re-run of the first batch after the import reads it again).
    const { pages, bytes } = await writeSnapshot(
      ctx,
      key,
      IMPORT_EPOCH,
      entries,
      options.pageBytes,
      historyNeedMs(s.stream),
    );
    const initial: StreamVersion = {
      epoch: IMPORT_EPOCH,
      pages,
      snapBytes: bytes,
      snapAt: ctx.now(),
      deltas: 0,
      deltaBytes: 0,
      keys: entries.length,
      nextOrd: entries.length,
    };
    streams[id] = { key, sid: s.sid, fp: s.fp, rev, display: s.display, initial };
    out.push({ stream: id, storage, keys: entries.length });
  }
  if (!(await writeRegistry(ctx, { ...registry, streams }, rev, registry.rev))) {
    throw new StateTransferError(
      'the stream registry changed during the import (a closer registered streams, or another import ran): run the import again.',
    );
  }
  return out;
}

/** Removes streams (all, or `options.streams`) from the registry: they start empty at the next batch. */
export async function resetState(
  ctx: EngineContext,
  options: { streams?: readonly string[] } = {},
): Promise<string[]> {
  const registry = await readRegistry(ctx);
  if (!registry) return [];
  const chosen = select(Object.entries(registry.streams), options.streams, 'stored stream');
  const streams = { ...registry.streams };
  for (const [id] of chosen) delete streams[id];
  if (!(await writeRegistry(ctx, { ...registry, streams }, registry.rev + 1, registry.rev))) {
    throw new StateTransferError('the stream registry changed during the reset: run it again.');
  }
  return chosen.map(([id]) => id);
}

/** What the code would do against the stored streams (nothing written). */
export async function checkState(
  ctx: EngineContext,
  plan: Pick<IdentityPlan, 'stored' | 'layout'>,
): Promise<Reconciled & { registry?: Registry }> {
  const registry = await readRegistry(ctx);
  const r = reconcile(plan, registry, ctx.intervalMs, (registry?.rev ?? 0) + 1);
  return registry ? { ...r, registry } : r;
}

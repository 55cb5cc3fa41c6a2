/**
 * How each kind of keyed state stream is stored as entries and changes: pairs streams
 * (updateStateByKey, the running window of reduceByKeyAndWindow with an inverse) and mapWithState.
 * A pairs stream computes every key each batch (Spark's rule), so its changes come from comparing
 * the new batch with the previous one, key by key (values by their stored JSON); mapWithState
 * reports the keys it touched, so its changes cost what changed. Entries carry an ordinal (the
 * order keys entered), so a version rebuilt from storage iterates exactly as the one computed.
 */
import { storedJson } from '../codec';
import type { DStream } from '../../dstream/dstream';
import { RDD } from '../../dstream/rdd';
import {
  InternalMapWithStateDStream,
  MapWithStateTable,
  type MapWithStateEntry,
  type StateRecord,
} from '../../dstream/map-with-state';
import { ReducedWindowedDStream } from '../../dstream/reduce-by-key-and-window';
import { StateDStream } from '../../dstream/update-state-by-key';
import { normKey } from '../../util/key-map';

/**
 * One stored entry: `[key, value, ord]` (pairs) or `[key, state, time, ord]` (mapWithState). In a
 * delta, an entry of a key that keeps its ordinal leaves the ordinal out (it is the bulk of what
 * changes, and an ordinal is as costly to store as a count).
 */
export type StoredEntry = unknown[];

/** Sorts entries by key when every key is a string: sorted keys compress far better. */
export function sortByStringKey(entries: StoredEntry[]): StoredEntry[] {
  for (const e of entries) if (typeof e[0] !== 'string') return entries;
  return entries.sort((a, b) =>
    (a[0] as string) < (b[0] as string) ? -1 : (a[0] as string) > (b[0] as string) ? 1 : 0,
  );
}

/** The stored form of one kind of keyed state stream; `S` is its in-memory version. */
export interface KeyedAdapter<S> {
  /** Fields of a full stored entry (its last one is the ordinal). */
  readonly width: number;
  /** How its entries are stored: `[key, value, ord]` (pairs) or `[key, state, time, ord]` (mapWithState). */
  readonly storage: 'pairs' | 'mapWithState';
  /** The stream's batch for a version (undefined: no batch). */
  rddOf(state: S | undefined): RDD<unknown> | undefined;
  /**
   * The changes from `base` (the previous version, which this may change in place) to this batch's
   * `rdd`, and the new version.
   */
  changes(
    base: S | undefined,
    rdd: RDD<unknown> | undefined,
  ): { removed: unknown[]; updated: StoredEntry[]; state: S | undefined };
  /** Every entry of a version, in ordinal order. */
  entries(state: S): StoredEntry[];
  /** A version from stored entries (any order) at batch time `time`. */
  build(entries: StoredEntry[], time: number, nextOrd: number): S;
  size(state: S): number;
  nextOrd(state: S): number;
}

/** The adapter of a keyed history stream, or undefined when its batches are stored whole (panes). */
export function keyedAdapterOf(stream: DStream<unknown>): KeyedAdapter<unknown> | undefined {
  if (stream instanceof StateDStream || stream instanceof ReducedWindowedDStream) return new PairsAdapter();
  if (stream instanceof InternalMapWithStateDStream)
    return new MapWithStateAdapter(stream as InternalMapWithStateDStream<unknown, unknown, unknown, unknown>);
  return undefined;
}

interface PairEntry {
  key: unknown;
  value: unknown;
  ord: number;
  /** Stored JSON of an object value: an object changed in place still compares by content. */
  json?: string;
  gen: number;
}

/** A pairs stream's version: its batch and an index of it by key. */
interface PairsState {
  rdd: RDD<[unknown, unknown]>;
  index: Map<unknown, PairEntry>;
  nextOrd: number;
}

class PairsAdapter implements KeyedAdapter<PairsState> {
  readonly width = 3;
  readonly storage = 'pairs';
  private gen = 0;

  rddOf(state: PairsState | undefined): RDD<unknown> | undefined {
    return state?.rdd;
  }

  changes(base: PairsState | undefined, rdd: RDD<unknown> | undefined) {
    const removed: unknown[] = [];
    const updated: StoredEntry[] = [];
    if (!rdd) {
      for (const e of base?.index.values() ?? []) removed.push(e.key);
      return { removed, updated, state: undefined };
    }
    const index = base?.index ?? new Map<unknown, PairEntry>();
    let nextOrd = base?.nextOrd ?? 0;
    const gen = ++this.gen;
    for (const p of rdd.partitions) {
      for (const [key, value] of p as [unknown, unknown][]) {
        const n = normKey(key);
        const json = typeof value === 'object' && value !== null ? storedJson(value) : undefined;
        let e = index.get(n);
        if (!e) {
          e = { key, value, ord: nextOrd++, json, gen };
          index.set(n, e);
          updated.push([key, value, e.ord]);
          continue;
        }
        if (json !== undefined ? json !== e.json : !Object.is(value, e.value) || e.json !== undefined) {
          e.value = value;
          e.json = json;
          updated.push([key, value]);
        }
        e.key = key;
        e.gen = gen;
      }
    }
    for (const [n, e] of index) {
      if (e.gen !== gen) {
        removed.push(e.key);
        index.delete(n);
      }
    }
    return {
      removed,
      updated: sortByStringKey(updated),
      state: { rdd: rdd as RDD<[unknown, unknown]>, index, nextOrd },
    };
  }

  entries(state: PairsState): StoredEntry[] {
    return Array.from(state.index.values(), (e) => [e.key, e.value, e.ord]);
  }

  build(entries: StoredEntry[], _time: number, nextOrd: number): PairsState {
    entries.sort((a, b) => (a[2] as number) - (b[2] as number));
    const index = new Map<unknown, PairEntry>();
    const pairs: [unknown, unknown][] = [];
    for (const [key, value, ord] of entries) {
      const json = typeof value === 'object' && value !== null ? storedJson(value) : undefined;
      index.set(normKey(key), { key, value, ord: ord as number, json, gen: 0 });
      pairs.push([key, value]);
    }
    return { rdd: RDD.of(pairs), index, nextOrd };
  }

  size(state: PairsState): number {
    return state.index.size;
  }

  nextOrd(state: PairsState): number {
    return state.nextOrd;
  }
}

type Table = MapWithStateTable<unknown, unknown>;

class MapWithStateAdapter implements KeyedAdapter<Table> {
  readonly width = 4;
  readonly storage = 'mapWithState';
  constructor(private readonly stream: InternalMapWithStateDStream<unknown, unknown, unknown, unknown>) {}

  rddOf(table: Table | undefined): RDD<unknown> | undefined {
    return table ? RDD.of([this.stream.recordOf(table)]) : undefined;
  }

  changes(_base: Table | undefined, rdd: RDD<unknown> | undefined) {
    const record = rdd?.first() as StateRecord<unknown, unknown, unknown> | undefined;
    if (!record) return { removed: [], updated: [], state: undefined };
    return {
      removed: record.changes.removed,
      updated: sortByStringKey([
        ...record.changes.updated.map((e) => [e.key, e.state, e.time]),
        ...record.changes.inserted.map(stored),
      ]),
      state: record.owner,
    };
  }

  entries(table: Table): StoredEntry[] {
    return Array.from(table.table.view(table.table.head).entries(), stored);
  }

  build(entries: StoredEntry[], time: number, nextOrd: number): Table {
    const es = entries.map(([key, state, t, ord]) => ({ key, state, time: t as number, ord: ord as number }));
    return new MapWithStateTable(time, this.stream.keepVersions, es, nextOrd);
  }

  size(table: Table): number {
    return table.table.view(table.table.head).size;
  }

  nextOrd(table: Table): number {
    return table.table.nextOrd;
  }
}

function stored(e: MapWithStateEntry<unknown, unknown>): StoredEntry {
  return [e.key, e.state, e.time, e.ord];
}

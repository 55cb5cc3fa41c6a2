import { DStream } from './dstream';
import { composite } from './named';
import { RDD } from './rdd';
import { normKey } from '../util/key-map';
import { VersionedTable, type TableEntry, type TableView } from '../util/versioned-table';
import { secondsToMs } from '../plan/time';

/**
 * The state of one key inside a mapWithState function, as Spark's `State[S]`.
 */
export interface State<S> {
  /** True when the key has state. */
  exists(): boolean;
  /** The state; throws when there is none (check `exists()`). */
  get(): S;
  /** The state, or undefined. */
  getOption(): S | undefined;
  /** Sets the state (not allowed while timing out). */
  update(newState: S): void;
  /** Removes the key's state (not allowed while timing out). */
  remove(): void;
  /** True when the call is for a key whose state timed out (the value is then undefined). */
  isTimingOut(): boolean;
}

/** Spark's StateImpl. */
class StateImpl<S> implements State<S> {
  state: S | undefined;
  defined = false;
  timingOut = false;
  updated = false;
  removed = false;

  wrap(defined: boolean, state: S | undefined, timingOut = false): void {
    this.state = state;
    this.defined = defined;
    this.timingOut = timingOut;
    this.updated = false;
    this.removed = false;
  }
  exists(): boolean {
    return this.defined;
  }
  get(): S {
    if (!this.defined) throw new Error('State is not set: check state.exists() before state.get().');
    return this.state as S;
  }
  getOption(): S | undefined {
    return this.defined ? this.state : undefined;
  }
  update(newState: S): void {
    if (this.removed) throw new Error('Cannot update the state after it has been removed.');
    if (this.timingOut) throw new Error('Cannot update the state that is timing out.');
    this.state = newState;
    this.defined = true;
    this.updated = true;
  }
  remove(): void {
    if (this.timingOut) throw new Error('Cannot remove the state that is timing out.');
    if (this.removed) throw new Error('Cannot remove the state that has already been removed.');
    this.defined = false;
    this.updated = false;
    this.removed = true;
  }
  isTimingOut(): boolean {
    return this.timingOut;
  }
}

/** A mapWithState function: called once per record (value set) and once per timed-out key (value undefined). */
export type MappingFunction<K, V, S, U> = (key: K, value: V | undefined, state: State<S>) => U;

/**
 * The specification of a mapWithState operation, as Spark's StateSpec:
 * `StateSpec.function(fn).timeout(seconds).initialState(pairs)`.
 */
export class StateSpec<K, V, S, U> {
  private constructor(
    readonly fn: MappingFunction<K, V, S, U>,
    readonly timeoutMs: number | undefined,
    readonly initial: [K, S][] | undefined,
  ) {}

  /** A spec calling `fn(key, value, state)`; the values it returns (other than undefined) form the mapped stream. */
  static function<K, V, S, U>(fn: MappingFunction<K, V, S, U>): StateSpec<K, V, S, U> {
    if (typeof fn !== 'function')
      throw new TypeError('StateSpec.function() needs a function (key, value, state) => mapped.');
    return new StateSpec(fn, undefined, undefined);
  }

  /** Keys without new data for `seconds` time out: `fn` is called once for them with no value, then they are removed. */
  timeout(seconds: number): StateSpec<K, V, S, U> {
    return new StateSpec(this.fn, secondsToMs(seconds, 'StateSpec timeout'), this.initial);
  }

  /** State of keys before the first batch. */
  initialState(pairs: Iterable<[K, S]>): StateSpec<K, V, S, U> {
    return new StateSpec(this.fn, this.timeoutMs, Array.from(pairs));
  }
}

/** The stream mapWithState returns: the mapped values, plus `stateSnapshots()`. */
export interface MapWithStateDStream<K, S, U> extends DStream<U> {
  /** A stream of `[k, state]` of every key with state after each batch. */
  stateSnapshots(): DStream<[K, S]>;
}

/** One key's state in a mapWithState stream: its key, state, last update time and ordinal. */
export interface MapWithStateEntry<K, S> extends TableEntry<K> {
  readonly state: S;
  /** The batch time of the key's last update (or last data, with a timeout). */
  readonly time: number;
}

/**
 * Every key's state of a mapWithState stream, versioned by batch time: a batch changes only the keys
 * with new data and the keys timing out (found through an index by update time), while earlier
 * versions stay readable. The serverless engine builds one from stored entries.
 */
export class MapWithStateTable<K, S> {
  readonly table: VersionedTable<K, MapWithStateEntry<K, S>>;
  /** Normalized keys by last update time (current version only; maintained with a timeout). */
  private byTime = new Map<number, Set<unknown>>();

  constructor(version: number, keep: number, entries?: Iterable<MapWithStateEntry<K, S>>, nextOrd = 0) {
    this.table = new VersionedTable(version, keep, entries, nextOrd);
    this.reindex(this.table.view(version).entries());
    this.table.onRollback = (es) => this.reindex(es);
  }

  private reindex(entries: Iterable<MapWithStateEntry<K, S>>): void {
    this.byTime = new Map();
    for (const e of entries) this.index(normKey(e.key), e.time);
  }

  /** @internal adds `norm` to the keys last updated at `time`. */
  index(norm: unknown, time: number): void {
    let set = this.byTime.get(time);
    if (!set) this.byTime.set(time, (set = new Set()));
    set.add(norm);
  }

  /** @internal removes `norm` from the keys last updated at `time`. */
  unindex(norm: unknown, time: number): void {
    const set = this.byTime.get(time);
    if (!set) return;
    set.delete(norm);
    if (set.size === 0) this.byTime.delete(time);
  }

  /** @internal the normalized keys last updated before `threshold`, in ordinal order. */
  updatedBefore(threshold: number, get: (norm: unknown) => MapWithStateEntry<K, S> | undefined): unknown[] {
    const out: [unknown, number][] = [];
    for (const [t, set] of this.byTime) {
      if (t < threshold) for (const n of set) out.push([n, (get(n) as MapWithStateEntry<K, S>).ord]);
    }
    return out.sort((a, b) => a[1] - b[1]).map(([n]) => n);
  }
}

/** One batch of the internal state stream: the state after the batch, the mapped values, what changed. */
export interface StateRecord<K, S, U> {
  /** Every key's state after this batch. */
  readonly states: TableView<K, MapWithStateEntry<K, S>>;
  /** The table `states` is a version of. */
  readonly owner: MapWithStateTable<K, S>;
  readonly mapped: U[];
  /** What this batch changed: keys removed (or timed out), and entries set or updated. */
  readonly changes: { removed: K[]; updated: MapWithStateEntry<K, S>[]; inserted: MapWithStateEntry<K, S>[] };
}

/** Spark's InternalMapWithStateDStream: one StateRecord per batch, from the previous one and the batch's data. */
export class InternalMapWithStateDStream<K, V, S, U> extends DStream<StateRecord<K, S, U>> {
  constructor(
    readonly parent: DStream<[K, V]>,
    readonly spec: StateSpec<K, V, S, U>,
  ) {
    super(parent.ssc);
    parent.ssc.graph.markHistory(this);
  }

  get dependencies(): DStream<any>[] {
    return [this.parent];
  }

  /** Versions of the state a table keeps readable: as many batches as this stream is remembered. */
  get keepVersions(): number {
    return Math.ceil(this.rememberMs / this.slideDuration) + 1;
  }

  /** A batch record holding `table`'s current version (the serverless engine's stored state). */
  recordOf(table: MapWithStateTable<K, S>): StateRecord<K, S, U> {
    return {
      states: table.table.view(table.table.head),
      owner: table,
      mapped: [],
      changes: { removed: [], updated: [], inserted: [] },
    };
  }

  protected compute(time: number): RDD<StateRecord<K, S, U>> | undefined {
    const prev = this.getOrCompute(time - this.slideDuration)?.first();
    let owner: MapWithStateTable<K, S>;
    let from: number;
    if (prev) {
      owner = prev.owner;
      from = prev.states.version;
    } else {
      from = time - this.slideDuration;
      owner = new MapWithStateTable<K, S>(from, this.keepVersions);
    }
    const w = owner.table.write(from, time);
    if (!prev && this.spec.initial) {
      for (const [k, s] of this.spec.initial) {
        const n = normKey(k);
        w.set(n, { key: k, state: s, time, ord: w.ordFor(n) });
        owner.index(n, time);
      }
    }
    const fn = this.spec.fn;
    const timeoutThreshold = this.spec.timeoutMs === undefined ? undefined : time - this.spec.timeoutMs;
    const mapped: U[] = [];
    const st = new StateImpl<S>();
    this.parent.pushTo(time, ([k, v]) => {
      const n = normKey(k);
      const cur = w.get(n);
      st.wrap(cur !== undefined, cur?.state);
      const out = fn(k, v, st);
      if (st.removed) {
        if (cur) {
          w.delete(n);
          owner.unindex(n, cur.time);
        }
      } else if (st.updated || (st.defined && timeoutThreshold !== undefined)) {
        if (cur) owner.unindex(n, cur.time);
        w.set(n, { key: k, state: st.state as S, time, ord: w.ordFor(n) });
        owner.index(n, time);
      }
      if (out !== undefined) mapped.push(out);
    });
    if (timeoutThreshold !== undefined) {
      for (const n of owner.updatedBefore(timeoutThreshold, (x) => w.get(x))) {
        const e = w.get(n) as MapWithStateEntry<K, S>;
        st.wrap(true, e.state, true);
        const out = fn(e.key, undefined, st);
        if (out !== undefined) mapped.push(out);
        w.delete(n);
        owner.unindex(n, e.time);
      }
    }
    // What changed, for an engine that stores changes: keys removed, entries updated in place (same
    // ordinal), entries inserted (new keys, or keys removed and set again: a new ordinal).
    const changes: StateRecord<K, S, U>['changes'] = { removed: [], updated: [], inserted: [] };
    for (const n of w.changed) {
      const e = w.get(n);
      const before = w.before(n);
      if (!e) {
        if (before) changes.removed.push(before.key);
      } else if (before && before.ord === e.ord) changes.updated.push(e);
      else changes.inserted.push(e);
    }
    w.commit();
    return RDD.of([{ states: owner.table.view(time), owner, mapped, changes }]);
  }
}

declare module './dstream' {
  interface DStream<T> {
    /**
     * On a pair stream: keeps state per key and maps every record with `spec`'s function
     * `fn(key, value, state)`, called only for keys with new data and for keys timing out (value
     * undefined). Returns the stream of mapped values (undefined results are left out), whose
     * `stateSnapshots()` is the full state after each batch.
     * @example pairs.mapWithState(StateSpec.function((k: string, v: number | undefined, s: State<number>) => {
     *   const sum = (s.getOption() ?? 0) + (v ?? 0); if (!s.isTimingOut()) s.update(sum); return [k, sum]; }).timeout(60))
     */
    mapWithState<K, V, S, U>(
      this: DStream<[K, V]>,
      spec: StateSpec<K, V, S, U>,
    ): MapWithStateDStream<K, S, U>;
  }
}

DStream.prototype.mapWithState = function <K, V, S, U>(
  this: DStream<[K, V]>,
  spec: StateSpec<K, V, S, U>,
): MapWithStateDStream<K, S, U> {
  if (!(spec instanceof StateSpec)) {
    throw new TypeError(
      'mapWithState() needs a StateSpec: mapWithState(StateSpec.function(fn).timeout(seconds)).',
    );
  }
  let internal!: InternalMapWithStateDStream<K, V, S, U>;
  const mapped = composite(this.ssc, () => {
    internal = new InternalMapWithStateDStream(this, spec);
    return internal.flatMap((r) => r.mapped);
  }) as MapWithStateDStream<K, S, U>;
  mapped.stateSnapshots = () =>
    internal.flatMap((r) => Array.from(r.states, (e) => [e.key, e.state] as [K, S]));
  return mapped;
};

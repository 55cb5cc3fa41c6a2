/**
 * Keyed state, versioned by batch time and stored as what changed. A keyed history
 * stream (updateStateByKey, mapWithState, the running window of reduceByKeyAndWindow with an
 * inverse) is stored per version as a delta (keys set or removed since the previous version), on
 * top of a snapshot written in pages; a new snapshot is written when the stored deltas reach
 * `compactionRatio` times the snapshot's size (so a batch's writes follow its changes), after
 * `maxDeltas` deltas, or when the snapshot is half its retention old (so it never expires while in
 * use). Where a version is stored (`StreamVersion`) goes into the batch's done marker.
 *
 * A warm closer keeps the last version in memory and applies the next batch to it; a cold one
 * loads the snapshot and the deltas since. Versions are a pure function of the batches' fixed
 * content, so two closers that run the same batch write the same deltas and pages: a stale
 * closer's late write is harmless. Writes: delta items (one per changed version), snapshot pages
 * (one item each, spread over partition keys). TTL: the pipeline's retention plus how long a
 * window over the stream reads its versions (`historyNeedMs`).
 */
import { encode } from '../codec';
import type { DStream } from '../../dstream/dstream';
import type { RDD } from '../../dstream/rdd';
import type { EngineContext } from './context';
import { MissingHistoryError } from './errors';
import { keys, padTime } from './keys';
import type { KeyedAdapter, StoredEntry } from './state-adapters';
import type { Binding } from './stream-registry';
import {
  STATE_LEVEL,
  historyNeedMs,
  readVersion,
  writeSnapshot,
  type Delta,
  type StreamVersion,
} from './state-storage';

/** How snapshots are written. */
export interface CompactionPolicy {
  ratio: number;
  maxDeltas: number;
  pageBytes: number;
}

/** A version in memory: its batch time, state and where it is stored. */
interface Version<S> {
  time: number;
  state: S | undefined;
  stored: StreamVersion | null;
}

/** The stored versions of one keyed history stream, with the warm one in memory. */
export class KeyedHistory<S = unknown> {
  /** The last committed version, in memory, and where it is stored. */
  private warm: Version<S> | undefined;
  /** The version this batch computed, committed when the batch is done. */
  private pending: Version<S> | undefined;
  /** The version this batch builds on (warm, or loaded). */
  private base: Version<S> | undefined;
  /** Versions loaded for this batch's lookups. */
  private readonly loaded = new Map<number, RDD<unknown> | undefined>();
  /** Where the stream's data is (from the stream registry). */
  private binding: Binding | undefined;

  constructor(
    private readonly ctx: EngineContext,
    readonly stream: DStream<unknown>,
    readonly adapter: KeyedAdapter<S>,
    private readonly policy: CompactionPolicy,
  ) {}

  /** The storage key of the stream's versions (bound by the stream registry before a batch). */
  get key(): string {
    if (!this.binding) throw new Error(`internal: ${this.stream.name} is not bound to the stream registry`);
    return this.binding.key;
  }

  /** Binds the stream to its storage key; a new key drops what is in memory (another stream's data). */
  bind(binding: Binding): void {
    if (this.binding?.key !== binding.key) {
      this.warm = undefined;
      this.reset();
    }
    this.binding = binding;
  }

  /** Whether the version at `time` is in memory (then `prepare` needs no stored version). */
  isWarm(time: number): boolean {
    return this.warm?.time === time;
  }

  /**
   * Makes version `time` readable by this batch (`stored`: where it is stored, from its batch's done
   * marker; not needed when warm; `doneRev`: the registry revision that batch ran under). A batch
   * that ran before the stream was registered holds no version of it: the stream's state there is
   * its imported version, or none. `isBase`: the version this batch's changes are taken against.
   */
  async prepare(
    time: number,
    stored: StreamVersion | null | undefined,
    isBase: boolean,
    doneRev?: number,
  ): Promise<void> {
    if (this.warm?.time === time) {
      this.loaded.set(time, this.adapter.rddOf(this.warm.state));
      if (isBase) this.base = this.warm;
      return;
    }
    let version = stored;
    if (version === undefined && doneRev !== undefined && this.binding && doneRev < this.binding.rev)
      version = this.binding.initial ?? null;
    if (version === undefined) throw new MissingHistoryError(this.stream.name, time);
    const state = version === null ? undefined : await this.load(time, version);
    this.loaded.set(time, this.adapter.rddOf(state));
    if (isBase) this.base = { time, state, stored: version };
  }

  /** The batch at `time` for the graph's history lookups (prepared first). */
  lookup(time: number): RDD<unknown> | undefined {
    if (!this.loaded.has(time)) throw new MissingHistoryError(this.stream.name, time);
    return this.loaded.get(time);
  }

  /**
   * Stores batch `t`'s version (`rdd`) as changes against the base (the version at t - slide; none
   * at the stream's first batch) and returns where it is stored.
   */
  async persist(t: number, rdd: RDD<unknown> | undefined): Promise<StreamVersion | null> {
    const baseTime = t - this.stream.slideDuration;
    const base = this.base?.time === baseTime ? this.base : undefined;
    if (!base && this.stream.isTimeValid(baseTime)) {
      throw new Error(`internal: the version of ${this.stream.name} at ${baseTime} was not prepared`);
    }
    const prev = base?.stored ?? null;
    const { removed, updated, state } = this.adapter.changes(base?.state, rdd);
    const stored = await this.store(t, state, prev, removed, updated);
    this.pending = { time: t, state, stored };
    return stored;
  }

  /** Writes what version `t` needs (a delta or a snapshot, or nothing) and returns where it is. */
  private async store(
    t: number,
    state: S | undefined,
    prev: StreamVersion | null,
    removed: unknown[],
    updated: StoredEntry[],
  ): Promise<StreamVersion | null> {
    if (state === undefined) return null;
    const count = this.adapter.size(state);
    const nextOrd = this.adapter.nextOrd(state);
    if (prev !== null && removed.length === 0 && updated.length === 0 && !this.aged(prev))
      return { ...prev, keys: count, nextOrd };
    const delta = prev === null ? undefined : encode({ r: removed, u: updated } satisfies Delta, STATE_LEVEL);
    if (
      prev === null ||
      prev.deltaBytes + (delta as Uint8Array).byteLength >= this.policy.ratio * prev.snapBytes ||
      prev.deltas + 1 > this.policy.maxDeltas ||
      this.aged(prev)
    ) {
      const { pages, bytes } = await this.writeSnapshot(t, this.adapter.entries(state));
      return {
        epoch: t,
        pages,
        snapBytes: bytes,
        snapAt: this.ctx.now(),
        deltas: 0,
        deltaBytes: 0,
        keys: count,
        nextOrd,
      };
    }
    const bytes = (delta as Uint8Array).byteLength;
    await this.ctx.store.put({
      pk: keys.delta(this.ctx.pipeline, this.key, prev.epoch),
      sk: padTime(t),
      data: delta,
      expiresAt: this.ctx.ttl(historyNeedMs(this.stream)),
    });
    return { ...prev, deltas: prev.deltas + 1, deltaBytes: prev.deltaBytes + bytes, keys: count, nextOrd };
  }

  /** A snapshot half its retention old is rewritten, so that it never expires while in use. */
  private aged(v: StreamVersion): boolean {
    return this.ctx.now() - v.snapAt >= this.ctx.retentionMs / 2;
  }

  /** Batch `_t` is done: its version becomes the warm one. */
  commit(_t?: number): void {
    if (this.pending) this.warm = this.pending;
    this.reset();
  }

  /** The batch failed: what is in memory may be half-changed, so nothing stays warm. */
  abort(): void {
    this.warm = undefined;
    this.reset();
  }

  private reset(): void {
    this.pending = undefined;
    this.base = undefined;
    this.loaded.clear();
  }

  private writeSnapshot(t: number, entries: StoredEntry[]): Promise<{ pages: number; bytes: number }> {
    return writeSnapshot(this.ctx, this.key, t, entries, this.policy.pageBytes, historyNeedMs(this.stream));
  }

  /** Loads version `time` from its snapshot and the deltas since. */
  private async load(time: number, v: StreamVersion): Promise<S> {
    const entries = await readVersion(this.ctx, this.key, time, v, this.adapter.width);
    if (!entries) throw new MissingHistoryError(this.stream.name, time);
    return this.adapter.build(entries, time, v.nextOrd);
  }
}

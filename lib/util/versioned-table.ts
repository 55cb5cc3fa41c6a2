/**
 * A keyed table that changes batch by batch in place (O(changes) per batch, as Spark's
 * OpenHashMapBasedStateMap) while every recent version stays readable: each change records the
 * value it replaced in an undo log of its version, so version v is the current map with the undo
 * logs of the versions after v applied. Only the current version is fast to iterate; older ones
 * are read rarely (a window over a state stream). Keys are normalized as `KeyMap` does: primitives
 * as themselves, arrays and objects by canonical JSON.
 *
 * Entries carry an ordinal (`ord`): the order in which keys entered the table. Iteration is in
 * ordinal order, so a table rebuilt from stored entries iterates exactly as the one it was saved from.
 */
import { normKey } from './key-map';

/** What a table stores per key: at least the original key and its ordinal. */
export interface TableEntry<K> {
  readonly key: K;
  readonly ord: number;
}

interface UndoLog<E> {
  /** The version this log's changes made, and the version they started from. */
  version: number;
  base: number;
  /** Normalized key to the entry it had in `base` (undefined: absent). */
  old: Map<unknown, E | undefined>;
  /** Size and next ordinal of `base`. */
  size: number;
  nextOrd: number;
}

/** Thrown when a version is read that the table does not keep. */
export class VersionGoneError extends Error {
  constructor(version: number, kept: number[]) {
    super(
      `version ${version} of a state table is not kept (kept: ${kept.join(', ')}); ` +
        'raise the stream remember duration if a window reads it.',
    );
    this.name = 'VersionGoneError';
  }
}

/**
 * The versioned table. `write(from, to)` starts version `to` from version `from` (rolling back
 * anything newer than `from` first), and returns a writer whose `commit()` makes `to` current.
 */
export class VersionedTable<K, E extends TableEntry<K>> {
  private current = new Map<unknown, E>();
  /** Oldest first; each log's base is the previous log's version, the last one's version is current. */
  private undo: UndoLog<E>[] = [];
  private version: number;
  private ordCounter = 0;
  /** The log of a writer not committed (yet, or ever: its batch failed): undone by the next write. */
  private open: UndoLog<E> | undefined;

  /** Called after a rollback with the table's entries (to rebuild indexes derived from them). */
  onRollback: ((entries: Iterable<E>) => void) | undefined;

  /**
   * @param version the version the table starts at (empty, or holding `entries`)
   * @param keep how many versions before the current one stay readable
   */
  constructor(
    version: number,
    private readonly keep = 2,
    entries?: Iterable<E>,
    nextOrd = 0,
  ) {
    this.version = version;
    if (entries) {
      const sorted = Array.from(entries).sort((a, b) => a.ord - b.ord);
      for (const e of sorted) this.current.set(normKey(e.key), e);
      this.ordCounter = sorted.length ? sorted[sorted.length - 1].ord + 1 : 0;
    }
    this.ordCounter = Math.max(this.ordCounter, nextOrd);
  }

  /** The current version. */
  get head(): number {
    return this.version;
  }

  /** The ordinal the next new key gets (stored with snapshots, so a rebuilt table continues it). */
  get nextOrd(): number {
    return this.ordCounter;
  }

  /** The versions that can be read, oldest first. */
  get versions(): number[] {
    return [...this.undo.map((l) => l.base), this.version];
  }

  /** A read-only view of `version` (current or kept). */
  view(version: number): TableView<K, E> {
    this.logsAfter(version); // throws now rather than on first read
    return new TableView(this, version);
  }

  /** Starts version `to` from version `from` (current or kept); returns its writer. */
  write(from: number, to: number): TableWriter<K, E> {
    if (this.open) {
      this.revert([this.open]);
      this.ordCounter = this.open.nextOrd;
      this.open = undefined;
    }
    this.rollbackTo(from);
    const log: UndoLog<E> = {
      version: to,
      base: from,
      old: new Map(),
      size: this.current.size,
      nextOrd: this.ordCounter,
    };
    this.open = log;
    return new TableWriter(this, this.current, log, () => {
      this.open = undefined;
      this.undo.push(log);
      this.version = to;
      while (this.undo.length > this.keep) this.undo.shift();
    });
  }

  /** @internal the ordinal for a new key. */
  takeOrd(): number {
    return this.ordCounter++;
  }

  /** @internal the entry of `norm` at `version`. */
  entryAt(norm: unknown, version: number): E | undefined {
    for (const log of this.logsAfter(version)) if (log.old.has(norm)) return log.old.get(norm);
    return this.current.get(norm);
  }

  /** @internal the size of `version`. */
  sizeAt(version: number): number {
    const logs = this.logsAfter(version);
    return logs.length ? logs[0].size : this.current.size;
  }

  /** @internal the entries of `version` in ordinal order. */
  entriesAt(version: number): Iterable<E> {
    if (version === this.version && !this.open) return this.current.values();
    const atV = new Map<unknown, E | undefined>();
    const logs = this.logsAfter(version);
    // The oldest log after `version` holds its values: apply newest first so the oldest wins.
    for (let i = logs.length - 1; i >= 0; i--) for (const [n, e] of logs[i].old) atV.set(n, e);
    const out: E[] = [];
    for (const [n, e] of this.current) if (!atV.has(n)) out.push(e);
    for (const e of atV.values()) if (e !== undefined) out.push(e);
    return out.sort((a, b) => a.ord - b.ord);
  }

  /**
   * The undo logs of the changes made since `version`, oldest first: the committed versions after
   * it, and a write in progress (or abandoned by a failed batch) on the current version.
   */
  private logsAfter(version: number): UndoLog<E>[] {
    const open = this.open ? [this.open] : [];
    if (version === this.version) return open;
    const i = this.undo.findIndex((l) => l.base === version);
    if (i < 0) throw new VersionGoneError(version, this.versions);
    return [...this.undo.slice(i), ...open];
  }

  /** Rolls the current map back to `version`, dropping the versions after it. */
  private rollbackTo(version: number): void {
    if (version === this.version) return;
    const logs = this.logsAfter(version);
    this.revert(logs);
    this.ordCounter = logs[0].nextOrd;
    this.undo = this.undo.slice(0, this.undo.length - logs.length);
    this.version = version;
  }

  /** Applies undo logs (oldest first in `logs`) to the current map, newest first. */
  private revert(logs: UndoLog<E>[]): void {
    for (let i = logs.length - 1; i >= 0; i--) {
      for (const [n, e] of logs[i].old) {
        if (e === undefined) this.current.delete(n);
        else this.current.set(n, e);
      }
    }
    // Restored keys went to the end of the map: put it back in ordinal order.
    this.current = new Map(Array.from(this.current).sort((a, b) => a[1].ord - b[1].ord));
    this.onRollback?.(this.current.values());
  }
}

/** A read-only version of a `VersionedTable`. */
export class TableView<K, E extends TableEntry<K>> {
  constructor(
    private readonly table: VersionedTable<K, E>,
    readonly version: number,
  ) {}

  get size(): number {
    return this.table.sizeAt(this.version);
  }

  get(key: K): E | undefined {
    return this.table.entryAt(normKey(key), this.version);
  }

  /** Entries in ordinal order. */
  entries(): Iterable<E> {
    return this.table.entriesAt(this.version);
  }

  [Symbol.iterator](): Iterator<E> {
    return this.entries()[Symbol.iterator]();
  }
}

/** Changes one version of a table; `commit()` makes it the current version. */
export class TableWriter<K, E extends TableEntry<K>> {
  private done = false;

  constructor(
    private readonly table: VersionedTable<K, E>,
    private readonly map: Map<unknown, E>,
    private readonly log: UndoLog<E>,
    private readonly finish: () => void,
  ) {}

  /** The normalized keys changed so far (set, updated or deleted), in first-change order. */
  get changed(): Iterable<unknown> {
    return this.log.old.keys();
  }

  /** The entry of `norm` before this version (undefined: absent then). */
  before(norm: unknown): E | undefined {
    return this.log.old.has(norm) ? this.log.old.get(norm) : this.map.get(norm);
  }

  get(norm: unknown): E | undefined {
    return this.map.get(norm);
  }

  /** Sets `norm`'s entry; build it with `ordFor(norm)` so a key keeps its ordinal. */
  set(norm: unknown, entry: E): void {
    this.remember(norm);
    this.map.set(norm, entry);
  }

  delete(norm: unknown): void {
    if (!this.map.has(norm)) return;
    this.remember(norm);
    this.map.delete(norm);
  }

  /** The ordinal of `norm`: its current one, or a new one for a key not in the table. */
  ordFor(norm: unknown): number {
    const e = this.map.get(norm);
    return e ? e.ord : this.table.takeOrd();
  }

  /** Makes this version current. */
  commit(): void {
    if (this.done) throw new Error('a state table version was committed twice');
    this.done = true;
    this.finish();
  }

  private remember(norm: unknown): void {
    if (!this.log.old.has(norm)) this.log.old.set(norm, this.map.get(norm));
  }
}

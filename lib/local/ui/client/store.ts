/**
 * The browser's copy of the monitor: a snapshot when the event stream opens, then updates applied
 * to it (batches upserted by time, points appended or, for the same time, replaced). Pages read it and are told when it
 * changed.
 */
import type { BatchRow, Point, ShardRow, StateSeries, UiSnapshot, UiTotals, UiUpdate } from '../types';

/** What the pages read. */
export class Store {
  pipeline = '';
  batchInterval = 1;
  startedAt = 0;
  /** Server time of the last message, epoch ms. */
  now = 0;
  /** Number of messages applied (the page's live updates count). */
  version = 0;
  totals: UiTotals | undefined;
  shards: ShardRow[] = [];
  progress: UiSnapshot['progress'];
  inspectedAt: number | undefined;
  private readonly rows = new Map<number, BatchRow>();
  private readonly lagSeries = new Map<string, Point[]>();
  private readonly stateSeries = new Map<string, StateSeries>();
  private sorted: BatchRow[] | undefined;
  private readonly listeners = new Set<() => void>();

  /** Calls `fn` after each applied message. */
  onChange(fn: () => void): void {
    this.listeners.add(fn);
  }

  /** Replaces everything with a snapshot (on every (re)connection). */
  applySnapshot(s: UiSnapshot): void {
    this.pipeline = s.pipeline;
    this.batchInterval = s.batchInterval;
    this.startedAt = s.startedAt;
    this.rows.clear();
    for (const b of s.batches) this.rows.set(b.batchTime, b);
    this.lagSeries.clear();
    for (const l of s.lag) this.lagSeries.set(l.shardId, [...l.points]);
    this.stateSeries.clear();
    for (const st of s.state) this.stateSeries.set(st.stream, st);
    this.applyCommon(s);
  }

  /** Applies an update: batches upserted, dropped ones removed, points appended. */
  applyUpdate(u: UiUpdate): void {
    for (const b of u.batches) this.rows.set(b.batchTime, b);
    for (const t of u.dropped) this.rows.delete(t);
    for (const l of u.lag ?? []) {
      const series = this.lagSeries.get(l.shardId) ?? [];
      this.lagSeries.set(l.shardId, series);
      for (const p of l.points) {
        const last = series[series.length - 1];
        if (!last || p.t > last.t) series.push(p);
        else if (p.t === last.t) last.v = p.v; // the same point, with a larger age
      }
    }
    for (const st of u.state ?? []) this.stateSeries.set(st.stream, st);
    this.applyCommon(u);
  }

  /** Every retained batch, oldest first. */
  batches(): BatchRow[] {
    this.sorted ??= [...this.rows.values()].sort((a, b) => a.batchTime - b.batchTime);
    return this.sorted;
  }

  batch(batchTime: number): BatchRow | undefined {
    return this.rows.get(batchTime);
  }

  lag(): [string, Point[]][] {
    return [...this.lagSeries].sort(([a], [b]) => (a < b ? -1 : 1));
  }

  state(): StateSeries[] {
    return [...this.stateSeries.values()];
  }

  private applyCommon(m: {
    now: number;
    totals: UiTotals;
    shards?: ShardRow[];
    progress?: UiSnapshot['progress'];
    inspectedAt?: number;
  }): void {
    this.now = m.now;
    this.totals = m.totals;
    if (m.shards) this.shards = m.shards;
    if (m.inspectedAt !== undefined) {
      this.progress = m.progress;
      this.inspectedAt = m.inspectedAt;
    }
    this.sorted = undefined;
    this.version++;
    for (const fn of this.listeners) fn();
  }
}

/**
 * The local run's one source of truth about its batches: an engine listener (Spark's
 * StreamingListener) that keeps the active and recent batches, the run's counters, the shards'
 * positions and the stored state's size over time. The status line and the Streaming UI both read
 * it; nothing here does I/O (the store is read by the inspection poller, which hands results in).
 */
import type {
  BatchCompletedInfo,
  BatchFailedInfo,
  BatchStartedInfo,
  EngineListener,
  MapPhaseInfo,
} from '../../engine/listener';
import type { EngineMetricName, PipelineInspection } from '../../engine/serverless';
import type { BatchRow, Point, ShardRow, StateSeries, UiSnapshot, UiTotals } from './types';

/** Options of {@link StreamingMonitor}. */
export interface StreamingMonitorOptions {
  pipeline: string;
  /** The pipeline's batch interval, seconds. */
  batchInterval: number;
  /** The engine's metric totals, for the counts no event carries (UserFunctionErrors, FailedRecords). */
  metrics?: { readonly totals: Partial<Record<EngineMetricName, number>> };
  /** Completed batches kept (Spark's spark.streaming.ui.retainedBatches). @default 1000 */
  retainedBatches?: number;
  /** Points kept per time series (iterator age per shard, keys and bytes per stream). @default 1800 */
  retainedPoints?: number;
  /** The clock, epoch ms. @default Date.now */
  now?: () => number;
  /** Where a subscriber's error goes (it stays subscribed). @default one line on stderr */
  log?: (message: string) => void;
}

/** What changed in the monitor; subscribers are called synchronously, once per change. */
export type MonitorChange =
  | { kind: 'batch'; batchTime: number }
  /** A batch completed (also reported as a 'batch' change): what the status line prints. */
  | { kind: 'completed'; info: BatchCompletedInfo }
  /** A batch fell out of the retained ones. */
  | { kind: 'dropped'; batchTime: number }
  | { kind: 'totals' }
  /** A new iterator-age point, or a larger age for the last one (same `t`). */
  | { kind: 'lag'; shardId: string; point: Point }
  | { kind: 'inspection' };

/** An invocation of one shard's records, as the local event source saw it. */
export interface ShardReadInfo {
  /** Arrival time in the stream of the invocation's last record, epoch ms. */
  lastArrivalMs: number;
  /** Epoch ms of the invocation. */
  at: number;
}

/** Successive lag points of one shard closer than this are merged (the larger age kept). */
const LAG_POINT_MS = 250;

/**
 * Keeps what the Streaming UI and the status line show, from the engine's events.
 *
 * @example
 * const monitor = new StreamingMonitor({ pipeline: p.name, batchInterval: p.batchInterval });
 * engine.addListener(monitor);
 * monitor.subscribe((c) => c.kind === 'completed' && console.error(c.info.batchTime));
 */
export class StreamingMonitor implements EngineListener {
  readonly startedAt: number;
  private readonly rows = new Map<number, BatchRow>();
  private readonly counts = {
    recordsIn: 0,
    duplicates: 0,
    late: 0,
    decodeErrors: 0,
    failedMapPhases: 0,
    mapPhases: 0,
    batchesCompleted: 0,
    closeFailures: 0,
  };
  private readonly shardRows = new Map<string, ShardRow>();
  private readonly lagSeries = new Map<string, Point[]>();
  private readonly stateSeries = new Map<string, StateSeries>();
  private progress: UiSnapshot['progress'];
  private inspectedAt: number | undefined;
  private readonly subscribers = new Set<(change: MonitorChange) => void>();
  private readonly now: () => number;
  private readonly retainedBatches: number;
  private readonly retainedPoints: number;

  constructor(private readonly options: StreamingMonitorOptions) {
    if (!(options.batchInterval > 0))
      throw new RangeError(
        `StreamingMonitor: batchInterval must be a positive number of seconds, got ${options.batchInterval}.`,
      );
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.retainedBatches = options.retainedBatches ?? 1000;
    this.retainedPoints = options.retainedPoints ?? 1800;
  }

  /** Calls `fn` on every change until the returned function is called. A subscriber's error is logged, never thrown into the engine. */
  subscribe(fn: (change: MonitorChange) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  /** {@inheritDoc EngineListener.onMapPhaseCompleted} */
  onMapPhaseCompleted(info: MapPhaseInfo): void {
    const c = this.counts;
    c.mapPhases++;
    c.recordsIn += info.records;
    c.duplicates += info.duplicates;
    c.late += info.late;
    c.decodeErrors += info.decodeErrors;
    if (info.failed) c.failedMapPhases++;
    const shard = this.shard(info.shardId);
    shard.records += info.records;
    for (const { batchTime, records } of info.batches) {
      const row = this.row(batchTime);
      if (row.status === 'completed') continue; // a map phase that raced the close: its records moved on
      row.records += records;
      row.inputRate = this.rate(row.records);
      row.firstRecordAt ??= info.startedAt;
      const s = row.shards.find((x) => x.shardId === info.shardId);
      if (s) {
        s.records += records;
        s.mapPhases++;
      } else {
        row.shards.push({ shardId: info.shardId, records, mapPhases: 1 });
        row.shards.sort((a, b) => (a.shardId < b.shardId ? -1 : 1));
      }
      this.emit({ kind: 'batch', batchTime });
    }
    this.emit({ kind: 'totals' });
  }

  /** {@inheritDoc EngineListener.onBatchStarted} */
  onBatchStarted(info: BatchStartedInfo): void {
    const row = this.row(info.batchTime);
    if (row.status === 'completed') return;
    row.status = 'processing';
    row.owner = info.owner;
    row.startedAt = info.startedAt;
    row.schedulingDelayMs = info.schedulingDelayMs;
    this.emit({ kind: 'batch', batchTime: info.batchTime });
  }

  /** {@inheritDoc EngineListener.onBatchCompleted} */
  onBatchCompleted(info: BatchCompletedInfo): void {
    const row = this.row(info.batchTime);
    const phases = new Map(row.shards.map((s) => [s.shardId, s.mapPhases]));
    Object.assign(row, {
      status: 'completed',
      records: info.records,
      late: info.late,
      inputRate: this.rate(info.records),
      shards: info.shards.map((s) => ({
        shardId: s.shardId,
        records: s.records,
        partials: s.partials,
        late: s.late,
        mapPhases: phases.get(s.shardId) ?? 0,
      })),
      owner: info.owner,
      startedAt: info.startedAt,
      completedAt: info.completedAt,
      schedulingDelayMs: info.schedulingDelayMs,
      processingTimeMs: info.processingTimeMs,
      totalDelayMs: info.totalDelayMs,
      outputs: info.outputs.map((o) => ({ kind: o.kind, elements: o.elements ?? null })),
    } satisfies Partial<BatchRow>);
    this.counts.batchesCompleted++;
    this.emit({ kind: 'batch', batchTime: info.batchTime });
    this.emit({ kind: 'completed', info });
    this.emit({ kind: 'totals' });
    this.retain();
  }

  /** {@inheritDoc EngineListener.onBatchFailed} */
  onBatchFailed(info: BatchFailedInfo): void {
    const row = this.row(info.batchTime);
    if (row.status !== 'completed') row.status = 'failed';
    row.failures.push({ owner: info.owner, error: info.error, at: this.now() });
    if (row.failures.length > 20) row.failures.splice(0, row.failures.length - 20);
    this.counts.closeFailures++;
    this.emit({ kind: 'batch', batchTime: info.batchTime });
    this.emit({ kind: 'totals' });
  }

  /** One invocation of a shard's records by the local event source: its iterator age (Lambda's IteratorAge). */
  onShardRead(shardId: string, read: ShardReadInfo): void {
    const shard = this.shard(shardId);
    const age = Math.max(0, read.at - read.lastArrivalMs);
    shard.iteratorAgeMs = age;
    shard.lastReadAt = read.at;
    const series = this.lagSeries.get(shardId) ?? [];
    this.lagSeries.set(shardId, series);
    const last = series[series.length - 1];
    if (last && read.at - last.t < LAG_POINT_MS) {
      if (age <= last.v) return;
      last.v = age;
      this.emit({ kind: 'lag', shardId, point: { ...last } });
      return;
    }
    const point = { t: read.at, v: age };
    series.push(point);
    if (series.length > this.retainedPoints) series.shift();
    this.emit({ kind: 'lag', shardId, point: { ...point } });
  }

  /**
   * What `engine.inspect()` found in the store: shard positions, progress, and each history
   * stream's latest size (and `bytes`, where the engine reports it).
   */
  onInspection(inspection: PipelineInspection, at = this.now()): void {
    for (const s of inspection.shards) {
      const shard = this.shard(s.shardId);
      shard.checkpoint = s.checkpoint;
      shard.watermark = s.watermark;
    }
    for (const h of inspection.history as (PipelineInspection['history'][number] & { bytes?: number })[]) {
      const series = this.stateSeries.get(h.stream) ?? { stream: h.stream, keys: [], bytes: [] };
      this.stateSeries.set(h.stream, series);
      this.addPoint(series.keys, { t: h.batchTime, v: h.size });
      if (typeof h.bytes === 'number') this.addPoint(series.bytes, { t: h.batchTime, v: h.bytes });
    }
    this.progress = inspection.progress && {
      next: inspection.progress.next,
      zero: inspection.progress.zero,
      closedUpTo: inspection.progress.closedUpTo,
    };
    this.inspectedAt = at;
    this.emit({ kind: 'inspection' });
  }

  /** The pipeline's name. */
  get pipeline(): string {
    return this.options.pipeline;
  }

  /** The batch at `batchTime`, if retained (a copy). */
  batch(batchTime: number): BatchRow | undefined {
    const row = this.rows.get(batchTime);
    return row && copyRow(row);
  }

  /** The run's counters. */
  totals(): UiTotals {
    const c = this.counts;
    const m = this.options.metrics?.totals ?? {};
    return {
      recordsIn: c.recordsIn,
      duplicates: c.duplicates,
      late: c.late,
      decodeErrors: c.decodeErrors,
      userFunctionErrors: m.UserFunctionErrors ?? c.failedMapPhases,
      failedRecords: m.FailedRecords ?? 0,
      mapPhases: c.mapPhases,
      batchesCompleted: c.batchesCompleted,
      closeFailures: c.closeFailures,
    };
  }

  /** The shards seen (by the store or the event source), by id. */
  shards(): ShardRow[] {
    return [...this.shardRows.values()]
      .sort((a, b) => (a.shardId < b.shardId ? -1 : 1))
      .map((s) => ({ ...s }));
  }

  /** Each stateful stream's keys and bytes over time. */
  state(): StateSeries[] {
    return [...this.stateSeries.values()].map((s) => ({
      stream: s.stream,
      keys: [...s.keys],
      bytes: [...s.bytes],
    }));
  }

  /** The last inspection's progress and time. */
  inspection(): { progress: UiSnapshot['progress']; inspectedAt: number | undefined } {
    return { progress: this.progress, inspectedAt: this.inspectedAt };
  }

  /** Everything, for a browser that just connected. */
  snapshot(): UiSnapshot {
    return {
      pipeline: this.options.pipeline,
      batchInterval: this.options.batchInterval,
      startedAt: this.startedAt,
      now: this.now(),
      totals: this.totals(),
      batches: [...this.rows.values()].sort((a, b) => a.batchTime - b.batchTime).map(copyRow),
      shards: this.shards(),
      lag: [...this.lagSeries].map(([shardId, points]) => ({
        shardId,
        points: points.map((p) => ({ ...p })),
      })),
      state: this.state(),
      progress: this.progress,
      inspectedAt: this.inspectedAt,
    };
  }

  private row(batchTime: number): BatchRow {
    let row = this.rows.get(batchTime);
    if (!row) {
      row = { batchTime, status: 'receiving', records: 0, late: 0, inputRate: 0, shards: [], failures: [] };
      this.rows.set(batchTime, row);
    }
    return row;
  }

  private shard(shardId: string): ShardRow {
    let shard = this.shardRows.get(shardId);
    if (!shard) {
      shard = { shardId, records: 0 };
      this.shardRows.set(shardId, shard);
    }
    return shard;
  }

  private rate(records: number): number {
    return records / this.options.batchInterval;
  }

  private addPoint(series: Point[], point: Point): void {
    const last = series[series.length - 1];
    if (last && point.t <= last.t) {
      if (point.t === last.t) last.v = point.v;
      return;
    }
    series.push(point);
    if (series.length > this.retainedPoints) series.shift();
  }

  /** Drops the oldest completed batches beyond the retained number, and the oldest active ones beyond it too. */
  private retain(): void {
    const excess = this.rows.size - this.retainedBatches;
    if (excess <= 0) return;
    const times = [...this.rows.keys()].sort((a, b) => a - b);
    const completed = times.filter((t) => this.rows.get(t)?.status === 'completed');
    const drop = completed.slice(0, excess);
    if (drop.length < excess)
      drop.push(...times.filter((t) => !drop.includes(t)).slice(0, excess - drop.length));
    for (const t of drop) {
      this.rows.delete(t);
      this.emit({ kind: 'dropped', batchTime: t });
    }
  }

  private emit(change: MonitorChange): void {
    for (const fn of this.subscribers) {
      try {
        fn(change);
      } catch (e) {
        const log = this.options.log ?? ((m: string) => process.stderr.write(m + '\n'));
        log(`[dstream] a streaming monitor subscriber failed on a '${change.kind}' change: ${String(e)}`);
      }
    }
  }
}

function copyRow(row: BatchRow): BatchRow {
  return { ...row, shards: row.shards.map((s) => ({ ...s })), failures: [...row.failures] };
}

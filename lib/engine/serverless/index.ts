/**
 * The serverless engine: the same plan as the in-memory engine, split in two
 * phases. `mapPhase` runs per Lambda invocation on one shard's records and commits them to the
 * shard's log (map-phase.ts, shard-log.ts); `closeReady` closes batches in order, each from a cut
 * of the logs fixed before its outputs run (close.ts, claims.ts, batch-content.ts), with state
 * stored as changes (state-versions.ts) and window panes stored once (panes.ts). Stored streams
 * are named by stable ids and checked against the stream registry (stream-registry.ts); map-side data committed by another version of the code is placed by its signature
 * (frontier-data.ts); state moves in and out through state-transfer.ts. The rooms share one
 * `EngineContext`; this class builds the plan and wires them.
 */
import { StreamingContext } from '../../dstream/context';
import type { DStream } from '../../dstream/dstream';
import type { KinesisInputRecord } from '../../sources/kinesis';
import { checkRetention, type Pipeline } from '../pipeline';
import type { EngineListener } from '../listener';
import { Closer } from './close';
import { readProgress, type Progress } from './progress';
import { EngineContext } from './context';
import { inspect, type InspectOptions } from './inspect';
import { streamIdentities } from '../../plan/identity';
import { compileMapStage } from './map-stage';
import { runMapPhase } from './map-phase';
import { PaneHistory } from './panes';
import { listHeads } from './shard-log';
import type { Plan } from './run-batch';
import { keyedAdapterOf } from './state-adapters';
import { KeyedHistory } from './state-versions';
import { StreamRegistry, fingerprintOf, layoutOf, type StoredStream } from './stream-registry';
import { checkState, exportState, importState, resetState, type StreamTransfer } from './state-transfer';
import type { MapPhaseResult, PipelineInspection, ServerlessEngineOptions } from './types';

export {
  ClaimLostError,
  IncompatibleStateError,
  MapPhaseInputError,
  MapStageChangedError,
  MissingHistoryError,
  StateTransferError,
} from './errors';
export type { StateProblem } from './errors';
export type {
  EngineMetricName,
  EngineMetrics,
  MapPhaseResult,
  PipelineInspection,
  ServerlessEngineOptions,
  ShardRef,
} from './types';
export type { StreamVersion } from './state-storage';
export type { StateLine, StreamTransfer } from './state-transfer';
export type { Fingerprint, RegisteredStream } from './stream-registry';
export type { Progress } from './progress';

/**
 * Runs a pipeline as Lambda handlers do: `mapPhase` per shard's records, `closeReady` to close
 * what is ready. Create one per container (outside the handler), so that the closer stays warm.
 * @example const engine = new ServerlessEngine(pipeline, { store });
 * await engine.mapPhase(records); await engine.closeReady();
 */
export class ServerlessEngine {
  readonly store: ServerlessEngineOptions['store'];
  private readonly ctx: EngineContext;
  private readonly closer: Closer;
  private readonly registry: StreamRegistry;
  private plan: Plan | undefined;

  constructor(
    readonly pipeline: Pipeline,
    private readonly options: ServerlessEngineOptions,
  ) {
    this.store = options.store;
    checkRetention(
      pipeline.batchInterval,
      pipeline.options.allowedLateness,
      pipeline.options.retention ?? 3600,
    );
    const log =
      options.log ??
      ((message: string, fields?: Record<string, unknown>) =>
        console.error(JSON.stringify({ level: 'WARN', message, ...fields })));
    this.ctx = new EngineContext(
      options.store,
      pipeline.name,
      Math.round(pipeline.batchInterval * 1000),
      Math.round(pipeline.options.allowedLateness * 1000),
      Math.round((pipeline.options.retention ?? 3600) * 1000),
      options.owner ?? `closer-${Math.random().toString(36).slice(2, 10)}`,
      options.now ?? Date.now,
      log,
      options.metrics,
    );
    this.ctx.listeners.push(...(options.listeners ?? []));
    this.registry = new StreamRegistry(this.ctx);
    this.closer = new Closer(this.ctx, (zero) => this.planAt(zero), this.registry, {
      listShards: options.listShards,
      leaseMs: options.leaseMs ?? 5 * 60 * 1000,
      maxBatches: options.maxBatchesPerClose ?? 10000,
    });
  }

  /** Adds a listener of the engine's events (Spark's `ssc.addStreamingListener`). */
  addListener(listener: EngineListener): void {
    this.ctx.listeners.push(listener);
  }

  /** Publishes the metrics counted so far (end of an invocation). */
  flushMetrics(): void {
    this.ctx.flushMetrics();
  }

  /**
   * Map phase for one shard's records, in sequence order. Never throws for bad
   * records: undecodable ones are counted and skipped; a user function that throws stops the
   * shard at that record (`failedSequenceNumber`), with everything before it committed. At its
   * first invocation it checks the code against the stored streams and throws
   * IncompatibleStateError, before writing anything, when they do not match.
   */
  async mapPhase(records: KinesisInputRecord[]): Promise<MapPhaseResult> {
    const plan = this.plan ?? this.planAt(0);
    await this.registry.check(plan);
    return runMapPhase(this.ctx, plan.stage, records);
  }

  /**
   * Closes every batch that is ready, strictly in time order, one claimant per batch. Returns the
   * batch times this call closed. Safe to run concurrently and to re-run after a crash anywhere.
   */
  async closeReady(options: { leaseMs?: number } = {}): Promise<number[]> {
    return this.closer.closeReady(options.leaseMs);
  }

  /** The current progress (next batch to close, zero time), once the first batch has started. */
  async progress(): Promise<(Progress & { closedUpTo?: number }) | undefined> {
    const p = await readProgress(this.ctx);
    return (
      p && {
        ...p,
        ...(p.next - this.ctx.intervalMs > p.zero ? { closedUpTo: p.next - this.ctx.intervalMs } : {}),
      }
    );
  }

  /** Whether any map phase has committed records (before the first batch starts, `progress()` is undefined). */
  async hasRecords(): Promise<boolean> {
    return (await listHeads(this.ctx)).length > 0;
  }

  /** What a user looks at when counts seem wrong (`dstream inspect`). */
  async inspect(options: InspectOptions = {}): Promise<PipelineInspection> {
    return inspect(
      this.ctx,
      (zero) => this.planAt(zero),
      (plan) => this.registry.storageKeys(plan),
      this.pipeline.batchInterval,
      options,
    );
  }

  /**
   * Writes the keys of the keyed state streams (all, or `streams`: ids or names) as JSON lines, in
   * the order the engine iterates them, from the last closed batch (`dstream state export`).
   * @example await engine.exportState((line) => out.write(line + '\n'), { streams: ['totals'] });
   */
  async exportState(
    write: (line: string) => void | Promise<void>,
    options: { streams?: readonly string[] } = {},
  ): Promise<StreamTransfer[]> {
    return exportState(this.ctx, write, options);
  }

  /**
   * Imports JSON lines (as `exportState` writes them) into this code's keyed state streams: each
   * becomes the stream's state before the next batch a closer runs (`dstream state import`).
   */
  async importState(
    lines: AsyncIterable<string> | Iterable<string>,
    options: { streams?: readonly string[] } = {},
  ): Promise<StreamTransfer[]> {
    const plan = this.planAt((await readProgress(this.ctx))?.zero ?? 0);
    return importState(this.ctx, plan, lines, {
      ...options,
      pageBytes: this.options.pageBytes ?? 256 * 1024,
    });
  }

  /**
   * Forgets the stored data of streams (all, or `streams`): they start empty at the next batch
   * (`dstream state reset`). Returns the ids removed from the stream registry.
   */
  async resetState(options: { streams?: readonly string[] } = {}): Promise<string[]> {
    return resetState(this.ctx, options);
  }

  /**
   * Checks this code against the stored streams without writing (`dstream state check`): the
   * problems that would refuse it, and what it would change (streams added, adopted, dropped).
   */
  async checkState(): Promise<{ problems: { stream: string; message: string }[]; notes: string[] }> {
    const plan = this.planAt((await readProgress(this.ctx))?.zero ?? 0);
    const { problems, notes } = await checkState(this.ctx, plan);
    return { problems, notes };
  }

  /** The pipeline's plan at zero time `zero`, built once (rebuilt if zero time changes). */
  private planAt(zero: number): Plan {
    if (this.plan && this.plan.ssc.graph.zeroTime === zero) return this.plan;
    const ssc = new StreamingContext({
      batchInterval: this.pipeline.batchInterval,
      clock: 'manual',
      startTime: zero,
    });
    this.pipeline.define(ssc);
    ssc.start();
    const ids = streamIdentities(ssc.graph);
    const stage = compileMapStage(ssc, ids);
    if (stage.sources.length === 0) {
      throw new Error(
        `pipeline ${this.pipeline.name} reads no Kinesis stream: use ssc.kinesisTextStream() or ssc.kinesisStream(decode) in its definition.`,
      );
    }
    const histories = new Map<DStream<unknown>, KeyedHistory | PaneHistory>();
    const policy = {
      ratio: this.options.compactionRatio ?? 2,
      maxDeltas: this.options.maxDeltas ?? 512,
      pageBytes: this.options.pageBytes ?? 256 * 1024,
    };
    const stored: StoredStream[] = [];
    for (const h of ssc.graph.historyStreams) {
      const adapter = keyedAdapterOf(h);
      const history = adapter ? new KeyedHistory(this.ctx, h, adapter, policy) : new PaneHistory(this.ctx, h);
      histories.set(h, history);
      const id = ids.get(h) as NonNullable<ReturnType<typeof ids.get>>;
      stored.push({
        stream: h,
        id: id.id,
        sid: id.sid,
        display: id.display,
        ambiguous: id.ambiguous,
        fp: fingerprintOf(h, id, adapter ? adapter.storage : 'panes'),
      });
    }
    const plan: Plan = { ssc, stage, ids, histories, stored, layout: layoutOf(stored, this.ctx.intervalMs) };
    this.plan = plan;
    return plan;
  }
}

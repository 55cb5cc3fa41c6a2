import { StreamingContext } from '../dstream/context';
import { DStream, NarrowDStream } from '../dstream/dstream';
import { RDD } from '../dstream/rdd';
import { ShuffledDStream } from '../dstream/combine-by-key';
import { KeyMap } from '../util/key-map';
import { batchTimeOf } from '../plan/time';
import { KinesisInputDStream, KinesisInputRecord, RecordDecodeError } from '../sources/kinesis';
import type { StateStore, StoreItem } from '../state/types';
import type { Pipeline } from './pipeline';
import { decode, encode } from './codec';
import { keys, padSeq, padTime } from './keys';
import { notifyListeners, type BatchShardInfo, type EngineListener } from './listener';

/** Counters and timings the engine reports (wired to CloudWatch EMF by lib/runtime). */
export interface EngineMetrics {
  count(name: EngineMetricName, value: number): void;
  /** Publishes what was counted (called at the end of each invocation). */
  flush?(): void;
}

export type EngineMetricName =
  | 'RecordsIn'
  | 'LateRecords'
  | 'DecodeErrors'
  | 'FailedRecords'
  | 'UserFunctionErrors'
  | 'BatchesClosed'
  | 'BatchLatencyMs'
  | 'SchedulingDelayMs'
  | 'ProcessingTimeMs'
  | 'TotalDelayMs'
  | 'BatchesWaiting'
  | 'OldestOpenBatchAgeMs';

/** Options of the serverless engine. */
export interface ServerlessEngineOptions {
  /** Where partials, checkpoints, close claims and history live. */
  store: StateStore;
  /** The clock, ms. @default Date.now */
  now?: () => number;
  /** The stream's shard ids, so that a batch waits for shards that sent nothing yet (else: shards seen so far). */
  listShards?: () => Promise<string[]>;
  /** How long a close claim is valid before another closer may take it over, ms. @default 5 minutes */
  leaseMs?: number;
  /** Identifies this closer in claims (logs). @default a random id */
  owner?: string;
  metrics?: EngineMetrics;
  /** Structured log lines (decode errors, late records, takeovers). @default console.error as JSON */
  log?: (message: string, fields?: Record<string, unknown>) => void;
  /** How long a map phase waits for a close in progress on a batch it wrote to, ms (then it fails and Lambda retries it). @default 15000 */
  confirmWaitMs?: number;
  /** Batches closed per closeReady() call at most (an idle stream catching up). @default 10000 */
  maxBatchesPerClose?: number;
  /** Receive the engine's events (map phases, batch starts and completions). More with `addListener`. */
  listeners?: EngineListener[];
}

/** Result of one map-phase invocation for one shard. */
export interface MapPhaseResult {
  /** Records accepted (new, decoded or counted as undecodable). */
  processed: number;
  /** Records already applied (at or below the checkpoint): dropped. */
  duplicates: number;
  decodeErrors: number;
  late: number;
  /** The sequence number of the first record that failed (a user function threw): report it as a batchItemFailure. */
  failedSequenceNumber?: string;
  failure?: Error;
}

/** What `ServerlessEngine.inspect` returns. */
export interface PipelineInspection {
  pipeline: string;
  batchInterval: number;
  progress: { next: number; zero: number; closedUpTo?: number } | undefined;
  shards: { shardId: string; checkpoint: string; watermark: number }[];
  closes: { batchTime: number; status: string; owner: string; leaseUntil?: number }[];
  openBatches: { batchTime: number; partials: number; records: number }[];
  history: { stream: string; batchTime: number; size: number; sample: unknown[] }[];
}

/** A closer whose lease expired and whose batch another closer took over: it stops without writing. */
export class ClaimLostError extends Error {
  constructor(readonly batchTime: number) {
    super(
      `batch ${batchTime}: this closer's claim was taken over after its lease expired; stopping without writing.`,
    );
    this.name = 'ClaimLostError';
  }
}

/** Thrown when a batch cannot be computed from the store (missing history): never silently wrong. */
export class MissingHistoryError extends Error {
  constructor(stream: string, time: number) {
    super(
      `history of ${stream} at ${time} ms is missing from the state store (expired, or the pipeline's operations changed since it was written). ` +
        'Reset the pipeline state (delete its items) after changing its operations.',
    );
    this.name = 'MissingHistoryError';
  }
}

interface PartialPayload {
  shardId: string;
  /** The batch its records arrived in (differs from the partial's batch for late records). */
  origin: number;
  first: string;
  last: string;
  records: number;
  /** Elements of each map-stage frontier stream, by stream key. */
  elements: Record<string, unknown[]>;
  /** Map-side combined [key, combiner] pairs, by shuffle stream key. */
  combined: Record<string, [unknown, unknown][]>;
}

interface Progress {
  next: number;
  zero: number;
  closedUpTo?: number;
  /** Set while the first batch closes: from then on, `next` (and zero time) can no longer move earlier. */
  closing?: number;
}

/** What running a batch on the closer gave: the ranges merged, per-shard figures and output counts. */
interface BatchRun {
  merged: Record<string, MergedRange[]>;
  shards: BatchShardInfo[];
  outputs: { kind: string; elements: number | undefined }[];
}

/** A range of one shard's sequence numbers merged into a batch, with the batch its records arrived in. */
type MergedRange = [first: string, last: string, origin: number];

/** Map-stage outputs of one shard's records for one batch time. */
interface Group {
  /** The batch the group is written to. */
  batch: number;
  /** The batch its records arrived in (earlier than `batch` for late records). */
  origin: number;
  first: string;
  last: string;
  records: number;
  /** Records of the group already assigned late (counted once in LateRecords). */
  late: number;
  elements: unknown[][];
  combiners: (ReturnType<typeof ShuffledDStream.combiner> | undefined)[];
}

/** What applying records gave: groups by batch time and the counters. */
interface AppliedRecords {
  /** By `${batch}:${origin}`: late records keep their own partial, so a retry rewrites the same item. */
  groups: Map<string, Group>;
  lastApplied: string | undefined;
  maxArrival: number;
  minBatch: number | undefined;
  processed: number;
  duplicates: number;
  decodeErrors: number;
  late: number;
  decodeErrorList: RecordDecodeError[];
  /** Index of the record on which a user function threw. */
  failedIndex?: number;
  failure?: Error;
}

/** The compiled map stage of a pipeline: what the map phase computes per record. */
interface MapStage {
  sources: KinesisInputDStream<unknown>[];
  /** Frontier streams whose elements are stored, with their fused chain from the source. */
  frontiers: {
    stream: DStream<unknown>;
    source: KinesisInputDStream<unknown>;
    chain: NarrowDStream<unknown, unknown>[];
  }[];
  /** Frontiers combined map-side into their single shuffle consumer. */
  combined: Map<DStream<unknown>, ShuffledDStream<unknown, unknown, unknown>>;
}

/**
 * The serverless engine (DESIGN 3.2-3.3): the same plan as the in-memory engine, split in two
 * phases. `mapPhase` runs per Lambda invocation on one shard's records: drops records already
 * applied, decodes, runs the fused map stage per record, combines map-side, writes idempotent
 * partials, then advances the shard's checkpoint and watermark. `closeReady` closes batches one at
 * a time in order (one claimant per batch, lease takeover), merges partials, runs the reduce side
 * with history loaded from the store, runs the outputs, and persists the history later batches need.
 */
export class ServerlessEngine {
  readonly store: StateStore;
  private readonly now: () => number;
  private readonly leaseMs: number;
  private readonly owner: string;
  private readonly intervalMs: number;
  private readonly latenessMs: number;
  private ssc: StreamingContext | undefined;
  private stage: MapStage | undefined;
  private readonly log: (message: string, fields?: Record<string, unknown>) => void;
  private readonly listeners: EngineListener[];

  constructor(
    readonly pipeline: Pipeline,
    private readonly options: ServerlessEngineOptions,
  ) {
    this.store = options.store;
    this.now = options.now ?? Date.now;
    this.leaseMs = options.leaseMs ?? 5 * 60 * 1000;
    this.owner = options.owner ?? `closer-${Math.random().toString(36).slice(2, 10)}`;
    this.intervalMs = Math.round(pipeline.batchInterval * 1000);
    this.latenessMs = Math.round(pipeline.options.allowedLateness * 1000);
    this.log =
      options.log ??
      ((message, fields) => console.error(JSON.stringify({ level: 'WARN', message, ...fields })));
    this.listeners = [...(options.listeners ?? [])];
  }

  /** Adds a listener of the engine's events (Spark's `ssc.addStreamingListener`). */
  addListener(listener: EngineListener): void {
    this.listeners.push(listener);
  }

  /** Publishes the metrics counted so far (end of an invocation). */
  flushMetrics(): void {
    this.options.metrics?.flush?.();
  }

  private metric(name: EngineMetricName, value: number): void {
    if (value !== 0) this.options.metrics?.count(name, value);
  }

  /** The pipeline's context with zero time `zero`, built once (rebuilt if zero time changes). */
  private context(zero: number): StreamingContext {
    if (this.ssc && this.ssc.graph.zeroTime === zero) return this.ssc;
    const ssc = new StreamingContext({
      batchInterval: this.pipeline.batchInterval,
      clock: 'manual',
      startTime: zero,
    });
    this.pipeline.define(ssc);
    ssc.start();
    this.ssc = ssc;
    this.stage = compileMapStage(ssc);
    if (this.stage.sources.length === 0) {
      throw new Error(
        `pipeline ${this.pipeline.name} reads no Kinesis stream: use ssc.kinesisTextStream() or ssc.kinesisStream(decode) in its definition.`,
      );
    }
    return ssc;
  }

  /** A stable key for a stream: its creation index within the pipeline definition. */
  private static streamKey(s: DStream<unknown>): string {
    return String(s.id);
  }

  // ---------------------------------------------------------------- map phase

  /**
   * Map phase for one shard's records, in sequence order (DESIGN 3.2). Never throws for bad
   * records: undecodable ones are counted and skipped; a user function that throws stops the
   * shard at that record (`failedSequenceNumber`), with everything before it applied.
   */
  async mapPhase(records: KinesisInputRecord[]): Promise<MapPhaseResult> {
    const result: MapPhaseResult = { processed: 0, duplicates: 0, decodeErrors: 0, late: 0 };
    if (records.length === 0) return result;
    const startedAt = this.now();
    const shardId = records[0].shardId;
    for (const r of records) {
      if (r.shardId !== shardId)
        throw new Error('mapPhase takes the records of one shard; group records by shard first.');
    }
    const meta = keys.meta(this.pipeline.name);
    const [shardItem, progressItem] = await Promise.all([
      this.store.get(meta, keys.shardSk(shardId)),
      this.store.get(meta, keys.progressSk),
    ]);
    const checkpoint = shardItem ? BigInt(String(shardItem.attrs?.seq)).toString() : '';
    // The progress item exists (and starts early enough) before any partial of its batches is
    // written; records of batches before its `next` are late.
    let minOwnBatch: number | undefined;
    for (const r of records) {
      if (compareSeq(r.sequenceNumber, checkpoint) <= 0) continue;
      const t = batchTimeOf(r.arrivalMs, this.intervalMs);
      if (minOwnBatch === undefined || t < minOwnBatch) minOwnBatch = t;
    }
    if (minOwnBatch === undefined) {
      result.duplicates = records.length;
      return result;
    }
    const progress = await this.ensureProgress(
      minOwnBatch,
      progressItem ? readProgress(progressItem) : undefined,
    );
    this.context(progress.zero); // builds the plan (and its map stage) at the pipeline's zero time
    const stage = this.stage as MapStage;

    // Apply the records; if a user function throws on record k, apply again only the records
    // before k (functions are deterministic): a record is applied whole or not at all, and the
    // hot path needs no per-record buffering.
    const mergedBefore = await this.mergedInClosedBatches(shardId, records, checkpoint, progress);
    const watermark = Number(shardItem?.attrs?.watermark ?? 0);
    let applied = this.applyRecords(records, checkpoint, progress, watermark, mergedBefore);
    if (applied.failedIndex !== undefined) {
      const failed = records[applied.failedIndex];
      result.failedSequenceNumber = failed.sequenceNumber;
      result.failure = applied.failure;
      this.log('user function failed on record; reporting it as a batch item failure', {
        shardId: failed.shardId,
        sequenceNumber: failed.sequenceNumber,
        error: String(applied.failure?.message ?? applied.failure),
      });
      let prefix = records.slice(0, applied.failedIndex);
      applied = this.applyRecords(prefix, checkpoint, progress, watermark, mergedBefore);
      while (applied.failedIndex !== undefined) {
        // A function that failed earlier this time (not deterministic): stop there instead.
        result.failedSequenceNumber = prefix[applied.failedIndex].sequenceNumber;
        prefix = prefix.slice(0, applied.failedIndex);
        applied = this.applyRecords(prefix, checkpoint, progress, watermark, mergedBefore);
      }
    }
    const { groups, lastApplied, maxArrival } = applied;
    result.processed = applied.processed;
    result.duplicates = applied.duplicates;
    result.decodeErrors = applied.decodeErrors;
    result.late = applied.late;
    for (const e of applied.decodeErrorList) {
      this.log('undecodable record skipped', {
        shardId: e.shardId,
        sequenceNumber: e.sequenceNumber,
        error: e.message,
      });
    }

    // 3. Idempotent partials: one per (batch, shard, first sequence number), chunked by the store.
    const items: StoreItem[] = [];
    for (const g of groups.values()) {
      const t = g.batch;
      const payload: PartialPayload = {
        shardId,
        origin: g.origin,
        first: g.first,
        last: g.last,
        records: g.records,
        elements: {},
        combined: {},
      };
      stage.frontiers.forEach((f, i) => {
        const shuffle = stage.combined.get(f.stream);
        if (shuffle) {
          const c = g.combiners[i];
          payload.combined[ServerlessEngine.streamKey(shuffle)] = c ? Array.from(c.map.entries()) : [];
        } else {
          payload.elements[ServerlessEngine.streamKey(f.stream)] = g.elements[i];
        }
      });
      items.push({
        pk: keys.partial(this.pipeline.name, t),
        sk: keys.partialSk(shardId, g.first),
        data: encode(payload),
        attrs: { records: g.records, late: g.late, first: g.first, last: g.last, origin: g.origin },
        expiresAt: Math.ceil((t + 7 * 86400000) / 1000),
      });
    }
    if (items.length) await this.store.putAll(items);
    // A batch closed by its lateness while these partials were being written may have missed them:
    // make sure every partial was merged or lands in an open batch, before the checkpoint moves.
    result.late += await this.confirmPartials(shardId, items);

    // 4. Checkpoint and watermark, conditionally, never backwards.
    if (lastApplied !== undefined) {
      await this.store.put(
        {
          pk: meta,
          sk: keys.shardSk(shardId),
          attrs: { seq: padSeq(lastApplied), watermark: maxArrival, shardId, updatedAt: this.now() },
        },
        { or: [{ notExists: true }, { attr: 'seq', op: '<', value: padSeq(lastApplied) }] },
      );
    }

    this.metric('RecordsIn', result.processed);
    this.metric('LateRecords', result.late);
    this.metric('DecodeErrors', result.decodeErrors);
    if (result.failedSequenceNumber) {
      this.metric('UserFunctionErrors', 1);
      this.metric('FailedRecords', records.length - result.processed - result.duplicates);
    }
    const perBatch = new Map<number, number>();
    for (const g of groups.values()) perBatch.set(g.batch, (perBatch.get(g.batch) ?? 0) + g.records);
    notifyListeners(
      this.listeners,
      'onMapPhaseCompleted',
      {
        shardId,
        records: result.processed,
        duplicates: result.duplicates,
        late: result.late,
        decodeErrors: result.decodeErrors,
        failed: result.failedSequenceNumber !== undefined,
        batches: Array.from(perBatch, ([batchTime, n]) => ({ batchTime, records: n })).sort(
          (a, b) => a.batchTime - b.batchTime,
        ),
        startedAt,
        durationMs: this.now() - startedAt,
      },
      this.log,
    );
    return result;
  }

  /**
   * For records whose batch is no longer open (a retry after a crash, or late records): every range
   * of this shard that closed batches since the earliest such record's batch merged, so a record
   * already applied (in its own batch, or in a later one as a late record) is not applied again.
   */
  private async mergedInClosedBatches(
    shardId: string,
    records: KinesisInputRecord[],
    checkpoint: string,
    progress: Progress,
  ): Promise<MergedRange[]> {
    let earliest: number | undefined;
    for (const r of records) {
      if (compareSeq(r.sequenceNumber, checkpoint) <= 0) continue;
      const t = batchTimeOf(r.arrivalMs, this.intervalMs);
      if (t < progress.next && (earliest === undefined || t < earliest)) earliest = t;
    }
    if (earliest === undefined) return [];
    const items = await this.store.query(keys.close(this.pipeline.name), {
      skFrom: padTime(earliest),
      skTo: padTime(progress.next),
    });
    return items.flatMap((it) => mergedRanges(it, shardId));
  }

  /**
   * After writing partials: a batch whose close started meanwhile (its lateness passed while this
   * invocation ran) may not have merged them. Waits for such a close to finish, then moves every
   * partial it did not merge to the oldest open batch, as late records. Returns how many records
   * became late. Throws (the invocation is retried; the retry skips what was merged) if a close
   * stays in progress or merged only part of a partial.
   */
  private async confirmPartials(shardId: string, items: StoreItem[]): Promise<number> {
    const closePk = keys.close(this.pipeline.name);
    let moved = 0;
    let pending = items;
    for (let round = 0; pending.length > 0; round++) {
      if (round > 20)
        throw new Error(`partials of ${shardId} keep missing closed batches; retrying the invocation`);
      const next: StoreItem[] = [];
      for (const item of pending) {
        const t = Number(item.pk.slice(item.pk.lastIndexOf('#') + 1));
        let close = await this.store.get(closePk, padTime(t));
        if (!close) continue; // no closer has claimed t yet: the one that does reads this partial
        const waits = Math.ceil((this.options.confirmWaitMs ?? 15_000) / 100);
        for (let wait = 0; close?.attrs?.status === 'claimed' && wait < waits; wait++) {
          await new Promise((r) => setTimeout(r, 100));
          close = await this.store.get(closePk, padTime(t));
        }
        if (close?.attrs?.status !== 'done') {
          throw new Error(`batch ${t} is being closed while ${shardId} wrote to it; retrying the invocation`);
        }
        const first = String(item.attrs?.first);
        const last = String(item.attrs?.last);
        const origin = Number(item.attrs?.origin);
        const ranges = mergedRanges(close, shardId).filter(([, , o]) => o === origin);
        if (ranges.some(([f, l]) => compareSeq(f, first) <= 0 && compareSeq(last, l) <= 0)) continue; // merged
        if (ranges.some(([f, l]) => compareSeq(f, last) <= 0 && compareSeq(first, l) <= 0)) {
          throw new Error(
            `batch ${t} merged part of ${shardId} ${first}-${last}; retrying the invocation (the retry skips what was merged)`,
          );
        }
        const progress = await this.progress();
        const open = Math.max(t + this.intervalMs, progress?.next ?? 0);
        const records = Number(item.attrs?.records ?? 0);
        // Each record counts once as late, however many times its partial moves.
        moved += records - Number(item.attrs?.late ?? 0);
        const again: StoreItem = {
          ...item,
          pk: keys.partial(this.pipeline.name, open),
          attrs: { ...item.attrs, late: records },
        };
        await this.store.put(again);
        this.log('records of a batch closed meanwhile moved to the oldest open batch (late)', {
          shardId,
          from: t,
          to: open,
          records,
        });
        next.push(again);
      }
      pending = next;
    }
    return moved;
  }

  /** Runs the map stage over records (one shard, in order), grouping outputs by batch time. */
  private applyRecords(
    records: KinesisInputRecord[],
    checkpoint: string,
    progress: Progress,
    watermark: number,
    mergedBefore: MergedRange[],
  ): AppliedRecords {
    const stage = this.stage as MapStage;
    const nF = stage.frontiers.length;
    let current: Group | undefined;
    // The fused function of each frontier ends in the current record's group: its combiner
    // (map-side combine) or its element list.
    const fusedFns = stage.frontiers.map((f, i) => {
      const shuffle = stage.combined.get(f.stream);
      let fn: (x: unknown) => void = shuffle
        ? (x) => (current as Group).combiners[i]?.add(x as [unknown, unknown])
        : (x) => (current as Group).elements[i].push(x);
      for (let j = f.chain.length - 1; j >= 0; j--) fn = f.chain[j].fuse(fn);
      return fn;
    });
    const sourceOf = stage.frontiers.map((f) => stage.sources.indexOf(f.source));
    const decoded: unknown[][] = new Array(stage.sources.length);
    const out: AppliedRecords = {
      groups: new Map(),
      lastApplied: undefined,
      maxArrival: watermark,
      minBatch: undefined,
      processed: 0,
      duplicates: 0,
      decodeErrors: 0,
      late: 0,
      decodeErrorList: [],
    };
    let pastCheckpoint = false;
    for (let k = 0; k < records.length; k++) {
      const r = records[k];
      // Records of a shard come in sequence order: once one is past the checkpoint, all later ones are.
      if (!pastCheckpoint) {
        if (compareSeq(r.sequenceNumber, checkpoint) <= 0) {
          out.duplicates++;
          continue;
        }
        pastCheckpoint = true;
      }
      const origin = batchTimeOf(r.arrivalMs, this.intervalMs);
      let t = origin;
      let late = false;
      if (t < progress.next) {
        if (covers(mergedBefore, r.sequenceNumber, origin)) {
          // A retried record that a closed batch already merged: applied once, not again.
          out.duplicates++;
          out.lastApplied = r.sequenceNumber;
          continue;
        }
        t = progress.next; // late: the oldest batch still open
        late = true;
      }
      // Each source decodes the record for itself (as the in-memory engine does): a record that one
      // source cannot decode still feeds the others, and counts once per failing source.
      let decodedAny = false;
      for (let s = 0; s < stage.sources.length; s++) {
        try {
          decoded[s] = stage.sources[s].decode(r);
          decodedAny = true;
        } catch (e) {
          decoded[s] = [];
          out.decodeErrors++;
          out.decodeErrorList.push(
            e instanceof RecordDecodeError
              ? e
              : new RecordDecodeError(r.shardId, r.sequenceNumber, (e as Error).message),
          );
        }
      }
      if (!decodedAny) {
        out.lastApplied = r.sequenceNumber;
        out.processed++;
        continue;
      }
      const groupKey = `${t}:${origin}`;
      let g = out.groups.get(groupKey);
      if (!g) {
        g = {
          batch: t,
          origin,
          first: r.sequenceNumber,
          last: r.sequenceNumber,
          records: 0,
          late: 0,
          elements: stage.frontiers.map(() => []),
          combiners: stage.frontiers.map((f) => {
            const shuffle = stage.combined.get(f.stream);
            return shuffle ? ShuffledDStream.combiner(shuffle.aggregator) : undefined;
          }),
        };
        out.groups.set(groupKey, g);
      }
      current = g;
      try {
        for (let i = 0; i < nF; i++) {
          const items = decoded[sourceOf[i]];
          const fn = fusedFns[i];
          for (let j = 0; j < items.length; j++) fn(items[j]);
        }
      } catch (e) {
        out.failedIndex = k;
        out.failure = e as Error;
        return out;
      }
      g.last = r.sequenceNumber;
      g.records++;
      if (late) {
        out.late++;
        g.late++;
      }
      out.lastApplied = r.sequenceNumber;
      out.processed++;
      if (r.arrivalMs > out.maxArrival) out.maxArrival = r.arrivalMs;
      if (out.minBatch === undefined || t < out.minBatch) out.minBatch = t;
    }
    return out;
  }

  /**
   * Creates the progress item at the first batch seen, or moves it earlier while no batch has
   * started closing. Returns the progress the records must be assigned with: records of batches
   * before its `next` are late.
   */
  private async ensureProgress(minBatch: number, known: Progress | undefined): Promise<Progress> {
    const meta = keys.meta(this.pipeline.name);
    let progress = known;
    for (let attempt = 0; attempt < 10; attempt++) {
      if (
        progress &&
        (progress.closedUpTo !== undefined || progress.closing !== undefined || progress.next <= minBatch)
      ) {
        return progress;
      }
      const wanted: Progress = { next: minBatch, zero: minBatch - this.intervalMs };
      const ok = await this.store.put(
        { pk: meta, sk: keys.progressSk, attrs: { next: wanted.next, zero: wanted.zero } },
        progress
          ? {
              and: [
                { attrNotExists: 'closedUpTo' },
                { attrNotExists: 'closing' },
                { attr: 'next', op: '>', value: minBatch },
              ],
            }
          : { notExists: true },
      );
      if (ok) return wanted;
      const again = await this.store.get(meta, keys.progressSk);
      progress = again ? readProgress(again) : undefined;
    }
    throw new Error('the progress item keeps changing under this map phase; retrying the invocation');
  }

  // ---------------------------------------------------------------- batch close

  /** The current progress (next batch to close, zero time, last closed), if any record was seen. */
  async progress(): Promise<Progress | undefined> {
    const item = await this.store.get(keys.meta(this.pipeline.name), keys.progressSk);
    return item ? readProgress(item) : undefined;
  }

  /**
   * What a user looks at when counts seem wrong (`dstream inspect`): the progress, each shard's
   * checkpoint and watermark, the latest close claims, the partials waiting in open batches, and
   * the latest stored history (state, window panes) of every history stream.
   */
  async inspect(
    options: { closes?: number; openBatches?: number; entries?: number } = {},
  ): Promise<PipelineInspection> {
    const name = this.pipeline.name;
    const progress = await this.progress();
    const shards = (await this.store.query(keys.meta(name), { skPrefix: 'shard#' })).map((i) => ({
      shardId: String(i.attrs?.shardId),
      checkpoint: BigInt(String(i.attrs?.seq)).toString(),
      watermark: Number(i.attrs?.watermark),
    }));
    const closeItems = await this.store.query(keys.close(name));
    const closes = closeItems.slice(-(options.closes ?? 10)).map((i) => ({
      batchTime: Number(i.sk),
      status: String(i.attrs?.status),
      owner: String(i.attrs?.owner),
      leaseUntil: i.attrs?.leaseUntil === undefined ? undefined : Number(i.attrs.leaseUntil),
    }));
    const open: PipelineInspection['openBatches'] = [];
    if (progress) {
      for (let k = 0, t = progress.next; k < (options.openBatches ?? 10); k++, t += this.intervalMs) {
        const parts = await this.store.query(keys.partial(name, t));
        if (parts.length) {
          open.push({
            batchTime: t,
            partials: parts.length,
            records: parts.reduce((n, p) => n + Number(p.attrs?.records ?? 0), 0),
          });
        }
      }
    }
    const ssc = this.context(progress?.zero ?? 0);
    const history: PipelineInspection['history'] = [];
    for (const h of ssc.graph.historyStreams) {
      const items = await this.store.query(keys.history(name, ServerlessEngine.streamKey(h)));
      const last = items[items.length - 1];
      if (!last) continue;
      const parts = decode<unknown[][] | null>(last.data as Uint8Array);
      const all = parts ? parts.flat() : [];
      history.push({
        stream: h.name,
        batchTime: Number(last.sk),
        size: all.length,
        sample: all.slice(0, options.entries ?? 20),
      });
    }
    return {
      pipeline: name,
      batchInterval: this.pipeline.batchInterval,
      progress,
      shards,
      closes,
      openBatches: open,
      history,
    };
  }

  /** Whether batch `t` may close now: every shard's watermark has reached it, or its lateness has passed. */
  private async isReady(t: number): Promise<boolean> {
    const now = this.now();
    const items = await this.store.query(keys.meta(this.pipeline.name), { skPrefix: 'shard#' });
    const shards = new Map<string, { watermark: number; updatedAt?: number }>();
    for (const i of items) {
      shards.set(String(i.attrs?.shardId), {
        watermark: Number(i.attrs?.watermark ?? 0),
        updatedAt: i.attrs?.updatedAt === undefined ? undefined : Number(i.attrs.updatedAt),
      });
    }
    if (this.options.listShards) {
      const open = new Set(await this.options.listShards());
      for (const s of open) if (!shards.has(s)) shards.set(s, { watermark: -Infinity });
      // A shard no longer open (a parent after resharding) holds no batch once it is idle.
      for (const [id, s] of shards) {
        if (!open.has(id) && (s.updatedAt === undefined || now - s.updatedAt >= this.latenessMs))
          shards.delete(id);
      }
    }
    const behind = Array.from(shards.values()).filter((s) => s.watermark < t);
    if (shards.size > 0 && behind.length === 0) return true; // every shard's watermark has passed t
    if (now < t + this.latenessMs) return false;
    // Past the lateness, t closes unless a shard still behind it is busy (it applied records within
    // the last lateness period: a backlog being worked through, whose records are not late).
    return behind.every((s) => s.updatedAt === undefined || now - s.updatedAt >= this.latenessMs);
  }

  /**
   * Closes every batch that is ready, strictly in time order, one claimant per batch. Returns the
   * batch times this call closed. Safe to run concurrently (racing closers) and to re-run after a
   * crash at any point: the claim's lease lets a later closer take over, and every write is keyed by
   * batch time.
   */
  async closeReady(options: { leaseMs?: number } = {}): Promise<number[]> {
    const closed: number[] = [];
    const max = this.options.maxBatchesPerClose ?? 10000;
    const leaseMs = options.leaseMs ?? this.leaseMs;
    const meta = keys.meta(this.pipeline.name);
    const closePk = keys.close(this.pipeline.name);
    while (closed.length < max) {
      const progress = await this.progress();
      if (!progress) break;
      const t = progress.next;
      if (!(await this.isReady(t))) break;
      if (progress.closedUpTo === undefined && progress.closing !== t) {
        // The first close: from now on no map phase may move the start (and zero time) earlier.
        const marked = await this.store.put(
          { pk: meta, sk: keys.progressSk, attrs: { next: t, zero: progress.zero, closing: t } },
          { and: [{ attr: 'next', op: '=', value: t }, { attrNotExists: 'closedUpTo' }] },
        );
        if (!marked) continue; // the start moved: read the progress again
      }
      const now = this.now();
      const leaseUntil = now + leaseMs;
      const claimed = await this.store.put(
        { pk: closePk, sk: padTime(t), attrs: { status: 'claimed', owner: this.owner, leaseUntil } },
        {
          or: [
            { notExists: true },
            {
              and: [
                { attr: 'status', op: '=', value: 'claimed' },
                { attr: 'leaseUntil', op: '<', value: now },
              ],
            },
          ],
        },
      );
      if (!claimed) {
        const item = await this.store.get(closePk, padTime(t));
        if (item?.attrs?.status === 'done') {
          await this.advance(meta, progress, t);
          continue;
        }
        break; // another closer holds a live claim on t
      }
      const fence = { owner: this.owner, leaseUntil };
      notifyListeners(
        this.listeners,
        'onBatchStarted',
        { batchTime: t, owner: this.owner, startedAt: now, schedulingDelayMs: Math.max(0, now - t) },
        this.log,
      );
      let ran: BatchRun;
      try {
        ran = await this.runBatch(t, progress.zero, fence);
      } catch (e) {
        notifyListeners(
          this.listeners,
          'onBatchFailed',
          { batchTime: t, owner: this.owner, error: String(e) },
          this.log,
        );
        if (e instanceof ClaimLostError) {
          this.log(e.message, { batch: t });
          break;
        }
        // Release the claim at once (another closer, or the next call, retries t) rather than
        // holding it for the whole lease.
        await this.store
          .put(
            {
              pk: closePk,
              sk: padTime(t),
              attrs: { status: 'claimed', owner: this.owner, leaseUntil: 0, error: String(e).slice(0, 500) },
            },
            {
              and: [
                { attr: 'owner', op: '=', value: this.owner },
                { attr: 'leaseUntil', op: '=', value: leaseUntil },
              ],
            },
          )
          .catch(() => undefined);
        throw e;
      }
      const done = await this.store.put(
        {
          pk: closePk,
          sk: padTime(t),
          attrs: {
            status: 'done',
            owner: this.owner,
            doneAt: this.now(),
            merged: JSON.stringify(ran.merged),
          },
        },
        {
          and: [
            { attr: 'status', op: '=', value: 'claimed' },
            { attr: 'owner', op: '=', value: this.owner },
            { attr: 'leaseUntil', op: '=', value: leaseUntil },
          ],
        },
      );
      if (!done) {
        this.log('batch close superseded: another closer took the batch over after this lease expired', {
          batch: t,
        });
        break;
      }
      await this.advance(meta, progress, t);
      const completedAt = this.now();
      const schedulingDelayMs = Math.max(0, now - t);
      const processingTimeMs = Math.max(0, completedAt - now);
      this.metric('BatchesClosed', 1);
      this.metric('BatchLatencyMs', Math.max(0, completedAt - t));
      this.metric('SchedulingDelayMs', schedulingDelayMs);
      this.metric('ProcessingTimeMs', processingTimeMs);
      this.metric('TotalDelayMs', schedulingDelayMs + processingTimeMs);
      notifyListeners(
        this.listeners,
        'onBatchCompleted',
        {
          batchTime: t,
          owner: this.owner,
          records: ran.shards.reduce((n, s) => n + s.records, 0),
          late: ran.shards.reduce((n, s) => n + s.late, 0),
          shards: ran.shards,
          startedAt: now,
          completedAt,
          schedulingDelayMs,
          processingTimeMs,
          totalDelayMs: schedulingDelayMs + processingTimeMs,
          outputs: ran.outputs,
        },
        this.log,
      );
      closed.push(t);
    }
    return closed;
  }

  /** Moves progress past `t` (once; a concurrent closer may have done it already). */
  private async advance(meta: string, progress: Progress, t: number): Promise<void> {
    await this.store.put(
      {
        pk: meta,
        sk: keys.progressSk,
        attrs: { next: t + this.intervalMs, zero: progress.zero, closedUpTo: t },
      },
      { attr: 'next', op: '=', value: t },
    );
  }

  /** Throws if this closer no longer holds the claim on `t` (its lease expired and another took over). */
  private async checkFence(t: number, fence: { owner: string; leaseUntil: number }): Promise<void> {
    const item = await this.store.get(keys.close(this.pipeline.name), padTime(t));
    const a = item?.attrs ?? {};
    if (a.status !== 'claimed' || a.owner !== fence.owner || Number(a.leaseUntil) !== fence.leaseUntil) {
      throw new ClaimLostError(t);
    }
  }

  /** Computes batch `t` from its partials and the stored history, runs the outputs, persists history. */
  private async runBatch(
    t: number,
    zero: number,
    fence: { owner: string; leaseUntil: number },
  ): Promise<BatchRun> {
    const ssc = this.context(zero);
    const graph = ssc.graph;
    const stage = this.stage as MapStage;
    const name = this.pipeline.name;

    // Partials of t, ordered by shard, origin batch, then first sequence number; the ranges of one
    // shard and origin must not overlap (that would count records twice).
    const partialItems = await this.store.query(keys.partial(name, t));
    const partials = partialItems
      .map((i) => decode<PartialPayload>(i.data as Uint8Array))
      .sort(
        (a, b) =>
          (a.shardId < b.shardId ? -1 : a.shardId > b.shardId ? 1 : 0) ||
          a.origin - b.origin ||
          compareSeq(a.first, b.first),
      );
    for (let i = 1; i < partials.length; i++) {
      const [p, q] = [partials[i - 1], partials[i]];
      if (p.shardId === q.shardId && p.origin === q.origin && compareSeq(q.first, p.last) <= 0) {
        throw new Error(
          `overlapping partials in batch ${t} for ${p.shardId}: ${p.first}-${p.last} and ${q.first}-${q.last}; refusing to double count.`,
        );
      }
    }
    // What this close merged, per shard: a map phase that raced it, or a retry, checks it.
    const merged: Record<string, MergedRange[]> = {};
    for (const p of partials) (merged[p.shardId] ??= []).push([p.first, p.last, p.origin]);
    const shardInfo = new Map<string, BatchShardInfo>();
    for (const i of partialItems) {
      const shardId = i.sk.slice(0, i.sk.lastIndexOf('#'));
      const s = shardInfo.get(shardId) ?? { shardId, partials: 0, records: 0, late: 0 };
      s.partials++;
      s.records += Number(i.attrs?.records ?? 0);
      if (Number(i.attrs?.origin) !== t) s.late += Number(i.attrs?.records ?? 0);
      shardInfo.set(shardId, s);
    }
    for (const s of graph.streams) s.generated.clear();
    for (const src of stage.sources) src.generated.set(t, RDD.empty());
    for (const f of stage.frontiers) {
      const key = ServerlessEngine.streamKey(f.stream);
      const shuffle = stage.combined.get(f.stream);
      if (shuffle) {
        const merged = new KeyMap<unknown, unknown>();
        const merge = shuffle.aggregator.mergeCombiners;
        const sKey = ServerlessEngine.streamKey(shuffle);
        for (const p of partials) {
          for (const [k, c] of p.combined[sKey] ?? []) {
            const prev = merged.get(k);
            merged.set(k, prev === undefined && !merged.has(k) ? c : merge(prev, c));
          }
        }
        shuffle.generated.set(t, RDD.of(Array.from(merged.entries())));
      } else {
        const all: unknown[] = [];
        for (const p of partials) for (const x of p.elements[key] ?? []) all.push(x);
        f.stream.generated.set(t, RDD.of(all));
      }
    }

    // History: every past batch a history stream may be asked for, loaded up front.
    const history = new Map<DStream<unknown>, Map<number, RDD<unknown> | undefined>>();
    await Promise.all(
      Array.from(graph.historyStreams).map(async (h) => {
        const from = Math.max(zero + 1, t - h.rememberMs - h.slideDuration);
        const items = await this.store.query(keys.history(name, ServerlessEngine.streamKey(h)), {
          skFrom: padTime(from),
          skTo: padTime(t - 1),
        });
        const m = new Map<number, RDD<unknown> | undefined>();
        for (const it of items) {
          const parts = decode<unknown[][] | null>(it.data as Uint8Array);
          m.set(Number(it.sk), parts ? new RDD(parts) : undefined);
        }
        history.set(h, m);
      }),
    );
    graph.historyProvider = {
      lookup: (stream, time) => {
        if (time >= t) return { handled: false };
        const m = history.get(stream);
        if (!m)
          throw new Error(
            `internal: ${stream.name} was asked for past batch ${time} but is not a history stream.`,
          );
        if (!m.has(time)) throw new MissingHistoryError(stream.name, time);
        return { handled: true, rdd: m.get(time) };
      },
    };
    try {
      // Outputs and history are written only while this closer still holds its claim (a stale
      // closer whose lease expired stops here; the Lambda handlers take leases longer than the
      // invocation can run, so the window between this check and the writes cannot be overtaken).
      await this.checkFence(t, fence);
      await graph.runBatch(t);
      await this.checkFence(t, fence);
      const items: StoreItem[] = [];
      for (const h of graph.historyStreams) {
        if (!h.isTimeValid(t)) continue;
        const rdd = h.getOrCompute(t);
        items.push({
          pk: keys.history(name, ServerlessEngine.streamKey(h)),
          sk: padTime(t),
          data: encode(rdd ? rdd.partitions : null),
          expiresAt: Math.ceil((t + h.rememberMs + h.slideDuration + 86400000) / 1000),
        });
      }
      if (items.length) await this.store.putAll(items);
    } finally {
      graph.historyProvider = undefined;
      for (const s of graph.streams) s.generated.clear();
    }
    return {
      merged,
      shards: Array.from(shardInfo.values()).sort((a, b) => (a.shardId < b.shardId ? -1 : 1)),
      outputs: graph.outputs.map((o) => ({
        kind: o.kind ?? 'output',
        elements: o.lastRun?.time === t ? o.lastRun.elements : undefined,
      })),
    };
  }
}

/**
 * Compares two Kinesis sequence numbers (decimal strings without leading zeros) as numbers, without
 * BigInt: a longer string is larger; equal lengths compare by characters. '' is below everything.
 */
export function compareSeq(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

function readProgress(item: StoreItem): Progress {
  const a = item.attrs ?? {};
  return {
    next: Number(a.next),
    zero: Number(a.zero),
    closedUpTo: a.closedUpTo === undefined ? undefined : Number(a.closedUpTo),
    closing: a.closing === undefined ? undefined : Number(a.closing),
  };
}

/** The ranges of `shardId` that a done close item says it merged. */
function mergedRanges(close: StoreItem | undefined, shardId: string): MergedRange[] {
  if (!close || close.attrs?.status !== 'done' || typeof close.attrs?.merged !== 'string') return [];
  return (JSON.parse(close.attrs.merged) as Record<string, MergedRange[]>)[shardId] ?? [];
}

/** True when a range of the same origin contains `seq`. */
function covers(ranges: MergedRange[], seq: string, origin: number): boolean {
  return ranges.some(([f, l, o]) => o === origin && compareSeq(f, seq) <= 0 && compareSeq(seq, l) <= 0);
}

/**
 * The map stage: from each Kinesis source, the narrow streams reachable through narrow operators
 * (their user functions run per record in the map phase), and its frontier: the streams of that
 * stage read by anything outside it (a shuffle, a window, an output). A frontier read only by one
 * combining shuffle is combined map-side.
 */
export function compileMapStage(ssc: StreamingContext): MapStage {
  const graph = ssc.graph;
  const children = new Map<DStream<unknown>, DStream<unknown>[]>();
  for (const s of graph.streams) {
    for (const d of s.dependencies) {
      const list = children.get(d) ?? [];
      list.push(s);
      children.set(d, list);
    }
  }
  const outputsOf = new Map<DStream<unknown>, number>();
  for (const o of graph.outputs) outputsOf.set(o.stream, (outputsOf.get(o.stream) ?? 0) + 1);
  const sources = graph.streams.filter(
    (s): s is KinesisInputDStream<unknown> => s instanceof KinesisInputDStream,
  );
  const stage: MapStage = { sources, frontiers: [], combined: new Map() };
  for (const source of sources) {
    const visit = (s: DStream<unknown>, chain: NarrowDStream<unknown, unknown>[]) => {
      const kids = children.get(s) ?? [];
      const narrowKids = kids.filter((k): k is NarrowDStream<unknown, unknown> => k instanceof NarrowDStream);
      const isFrontier = kids.length > narrowKids.length || outputsOf.has(s) || graph.historyStreams.has(s);
      if (isFrontier) {
        stage.frontiers.push({ stream: s, source, chain });
        const only =
          kids.length === 1 && !outputsOf.has(s) && !graph.historyStreams.has(s) ? kids[0] : undefined;
        if (only instanceof ShuffledDStream)
          stage.combined.set(s, only as ShuffledDStream<unknown, unknown, unknown>);
      }
      for (const k of narrowKids) visit(k, [...chain, k]);
    };
    visit(source, []);
  }
  return stage;
}

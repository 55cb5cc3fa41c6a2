/**
 * What the Streaming UI shows, as plain JSON data: the server's monitor builds it from the engine's
 * listener events and `inspect()`, the browser renders it. Shared by both sides (no Node.js or DOM
 * types here), so the wire format is checked by the compiler on both ends.
 */

/** Where a batch is: records arriving, being closed, its close failed (to be retried), or done. */
export type BatchStatus = 'receiving' | 'processing' | 'failed' | 'completed';

/** One shard's share of a batch. */
export interface BatchShardRow {
  shardId: string;
  /** Records of the shard in the batch (from its map phases; from the close once completed). */
  records: number;
  /** Partials merged from this shard (known once the batch completed). */
  partials?: number;
  /** Records of this shard that came late (their batch had closed). */
  late?: number;
  /** Map-phase invocations that wrote to the batch from this shard. */
  mapPhases: number;
}

/** A failed attempt to close a batch. */
export interface BatchFailure {
  owner: string;
  error: string;
  /** Epoch ms when it was reported. */
  at: number;
}

/** One batch, as the Batches page lists it and its details page shows it. */
export interface BatchRow {
  /** The batch's time (its end), epoch ms. */
  batchTime: number;
  status: BatchStatus;
  /** Records in the batch (late ones included). */
  records: number;
  /** Records that arrived for an earlier, closed batch and were put in this one. */
  late: number;
  /** records / batch interval, records per second (Spark's input rate). */
  inputRate: number;
  shards: BatchShardRow[];
  /** Epoch ms of the first map phase that wrote to it. */
  firstRecordAt?: number;
  /** The closer that claimed it (its owner id). */
  owner?: string;
  /** Epoch ms: claim taken, batch marked done. */
  startedAt?: number;
  completedAt?: number;
  schedulingDelayMs?: number;
  processingTimeMs?: number;
  totalDelayMs?: number;
  /** Output operations in registration order and the elements each was given. */
  outputs?: { kind: string; elements: number | null }[];
  failures: BatchFailure[];
}

/** Counters over the whole run. */
export interface UiTotals {
  recordsIn: number;
  /** Records dropped as already applied (re-deliveries). */
  duplicates: number;
  late: number;
  decodeErrors: number;
  /** Map phases in which a user function threw (the UserFunctionErrors metric). */
  userFunctionErrors: number;
  /** Records reported back as batch item failures (the FailedRecords metric). */
  failedRecords: number;
  mapPhases: number;
  batchesCompleted: number;
  /** Failed close attempts (each is retried). */
  closeFailures: number;
}

/** One shard of the stream: the engine's position in it and how far behind the reader is. */
export interface ShardRow {
  shardId: string;
  /** Highest sequence number applied (decimal string), from the store. */
  checkpoint?: string;
  /** Highest arrival time seen, epoch ms, from the store. */
  watermark?: number;
  /**
   * Lambda's IteratorAge at the shard's last invocation: from its last record's arrival in the
   * stream to the invocation, ms. Grows when a backlog builds.
   */
  iteratorAgeMs?: number;
  /** Epoch ms of the shard's last invocation. */
  lastReadAt?: number;
  /** Records applied from this shard during this run. */
  records: number;
}

/** One sample of a time series. */
export interface Point {
  /** Epoch ms. */
  t: number;
  v: number;
}

/** A stateful stream's stored history over time (state keys, stored bytes), from `inspect()`. */
export interface StateSeries {
  stream: string;
  /** Entries (keys) of the latest stored history, per batch time. */
  keys: Point[];
  /** Stored bytes of the latest history, per batch time (empty when the engine does not report them). */
  bytes: Point[];
}

/** Everything the UI shows; sent whole when a browser connects. */
export interface UiSnapshot {
  pipeline: string;
  /** Seconds. */
  batchInterval: number;
  /** Epoch ms when the run started, and when this was taken. */
  startedAt: number;
  now: number;
  totals: UiTotals;
  /** Active and retained completed batches, oldest first. */
  batches: BatchRow[];
  shards: ShardRow[];
  /** Iterator age per shard over time. */
  lag: { shardId: string; points: Point[] }[];
  state: StateSeries[];
  /** The engine's progress at the last inspection. */
  progress?: { next: number; zero: number; closedUpTo?: number };
  /** Epoch ms of the last inspection of the store. */
  inspectedAt?: number;
}

/** What changed since the last message: batches (upserts), and the latest figures. */
export interface UiUpdate {
  now: number;
  batches: BatchRow[];
  /** Batch times no longer retained (dropped from the oldest end). */
  dropped: number[];
  totals: UiTotals;
  shards?: ShardRow[];
  /** New lag points per shard. */
  lag?: { shardId: string; points: Point[] }[];
  /** New state points per stream. */
  state?: StateSeries[];
  progress?: { next: number; zero: number; closedUpTo?: number };
  inspectedAt?: number;
}

/** Server-sent event names and their data. */
export interface UiEvents {
  snapshot: UiSnapshot;
  update: UiUpdate;
}

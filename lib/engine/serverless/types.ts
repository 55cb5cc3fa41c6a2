/** The serverless engine's public types: options, metrics, results, inspection. */
import type { StateStore } from '../../state/types';
import type { EngineListener } from '../listener';

/** Counters and timings the engine reports (wired to CloudWatch EMF by lib/runtime). */
export interface EngineMetrics {
  count(name: EngineMetricName, value: number): void;
  /** Publishes what was counted (called at the end of each invocation). */
  flush?(): void;
}

/**
 * The engine's metrics. Records are counted by the closer when their batch is done, so each record
 * counts once however often Lambda re-delivers it: `RecordsIn`, `LateRecords`, `DecodeErrors`.
 * `FailedRecords` and `UserFunctionErrors` count map-phase attempts (each retry again).
 * `LogGaps` counts committed map-phase entries that expired before their batch closed (records lost:
 * the closer was stopped for longer than the pipeline's retention). `BatchesWaiting` and
 * `OldestOpenBatchAgeMs` are sent (zero included) at the end of every `closeReady`: how far the
 * closer is behind the clock.
 */
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
  | 'LogGaps'
  | 'BatchesWaiting'
  | 'OldestOpenBatchAgeMs';

/** A shard as `listShards` names it: a shard id, or a shard id with its stream's ARN. */
export type ShardRef = string | { shardId: string; streamArn?: string };

/** Options of the serverless engine. */
export interface ServerlessEngineOptions {
  /** Where map-phase entries, close claims, state and panes live. */
  store: StateStore;
  /** The clock, ms. @default Date.now */
  now?: () => number;
  /**
   * The open shards of the stream(s), so that a batch waits for shards that sent nothing yet (else:
   * shards seen so far). With records that carry their stream's ARN, give `{ shardId, streamArn }`.
   */
  listShards?: () => Promise<ShardRef[]>;
  /** How long a close claim is valid before another closer may take it over, ms. @default 5 minutes */
  leaseMs?: number;
  /** Identifies this closer in claims (logs). @default a random id */
  owner?: string;
  metrics?: EngineMetrics;
  /** Structured log lines (decode errors, late records, takeovers). @default console.error as JSON */
  log?: (message: string, fields?: Record<string, unknown>) => void;
  /** Batches closed per closeReady() call at most (an idle stream catching up). @default 10000 */
  maxBatchesPerClose?: number;
  /** Receive the engine's events (map phases, batch starts and completions). More with `addListener`. */
  listeners?: EngineListener[];
  /**
   * A state snapshot is written when the changes stored since the last one reach this many times
   * its size (so writes follow changes: at most 1 + 1/ratio of what changed). @default 2
   */
  compactionRatio?: number;
  /** A state snapshot is also written after this many stored changes since the last one. @default 512 */
  maxDeltas?: number;
  /** Snapshot page size, bytes of compressed entries (each page is its own item, spread over keys). @default 256 KiB */
  pageBytes?: number;
}

/** Result of one map-phase invocation for one shard. */
export interface MapPhaseResult {
  /** Records applied (new, decoded or counted as undecodable). */
  processed: number;
  /** Records already applied (at or below the shard's committed position): dropped. */
  duplicates: number;
  decodeErrors: number;
  /** The sequence number of the first record that failed (a user function threw): report it as a batchItemFailure. */
  failedSequenceNumber?: string;
  failure?: Error;
}

/** What `ServerlessEngine.inspect` returns. */
export interface PipelineInspection {
  pipeline: string;
  batchInterval: number;
  /** Next batch to close, zero time, and the last batch closed (once one is). */
  progress: { next: number; zero: number; closedUpTo?: number } | undefined;
  shards: { shardId: string; streamArn?: string; checkpoint: string; watermark: number; updatedAt: number }[];
  closes: { batchTime: number; status: string; owner: string; leaseUntil?: number }[];
  openBatches: { batchTime: number; entries: number; records: number }[];
  history: { stream: string; batchTime: number; size: number; bytes: number; sample: unknown[] }[];
}

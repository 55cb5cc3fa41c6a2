/**
 * What the serverless engine tells the world as it runs, as Spark's StreamingListener does: one
 * source of truth for the local run's status line, its web UI and the CloudWatch metrics. Listeners
 * are called synchronously; a listener that throws is logged and ignored (it never fails a batch).
 */

/** A map phase applied one shard's records (one Lambda invocation's share of one shard). */
export interface MapPhaseInfo {
  shardId: string;
  /** Records accepted (new, decoded or counted as undecodable). */
  records: number;
  /** Records already applied and dropped (re-deliveries). */
  duplicates: number;
  /** Records assigned to a later batch because theirs had closed. */
  late: number;
  decodeErrors: number;
  /** True when a user function threw on a record (reported as a batch item failure). */
  failed: boolean;
  /** Records written per batch time. */
  batches: { batchTime: number; records: number }[];
  /** Epoch ms at the start of the map phase, and its duration. */
  startedAt: number;
  durationMs: number;
}

/** A closer claimed batch `batchTime` and starts computing it. */
export interface BatchStartedInfo {
  batchTime: number;
  /** The closer's id. */
  owner: string;
  /** Epoch ms when the claim was taken. */
  startedAt: number;
  /** From the batch's end (its time) to the start of its close, ms (Spark's scheduling delay). */
  schedulingDelayMs: number;
}

/** One shard's share of a closed batch. */
export interface BatchShardInfo {
  shardId: string;
  /** Map-phase log entries of this shard newly included in the batch. */
  partials: number;
  records: number;
  /** Records of this shard that arrived for an earlier batch, already closed (late). */
  late: number;
}

/** Batch `batchTime` closed: its outputs ran and it is marked done. */
export interface BatchCompletedInfo {
  batchTime: number;
  owner: string;
  /** Records merged into the batch (late ones included). */
  records: number;
  late: number;
  shards: BatchShardInfo[];
  /** Epoch ms: claim taken, batch marked done. */
  startedAt: number;
  completedAt: number;
  /** From the batch's end to the start of its close, ms. */
  schedulingDelayMs: number;
  /** From the start of the close to done, ms (Spark's processing time). */
  processingTimeMs: number;
  /** schedulingDelayMs + processingTimeMs. */
  totalDelayMs: number;
  /** Each output operation in registration order: its kind and how many elements it was given (undefined: not run at this time). */
  outputs: { kind: string; elements: number | undefined }[];
}

/** A close of `batchTime` failed (released for a retry). */
export interface BatchFailedInfo {
  batchTime: number;
  owner: string;
  error: string;
}

/** Receives the engine's events; every method is optional. */
export interface EngineListener {
  onMapPhaseCompleted?(info: MapPhaseInfo): void;
  onBatchStarted?(info: BatchStartedInfo): void;
  onBatchCompleted?(info: BatchCompletedInfo): void;
  onBatchFailed?(info: BatchFailedInfo): void;
}

/** Calls `event` on every listener that has it; a throwing listener is reported to `log`, never rethrown. */
export function notifyListeners<E extends keyof EngineListener>(
  listeners: readonly EngineListener[],
  event: E,
  info: Parameters<NonNullable<EngineListener[E]>>[0],
  log: (message: string, fields?: Record<string, unknown>) => void,
): void {
  for (const l of listeners) {
    const fn = l[event] as ((i: typeof info) => void) | undefined;
    if (!fn) continue;
    try {
      fn.call(l, info);
    } catch (e) {
      log('engine listener threw; ignored', { event, error: String(e) });
    }
  }
}

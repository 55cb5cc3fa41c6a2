/** Options, statistics and failure records of the local Kinesis poller. */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

/** A Lambda-style Kinesis handler. */
export type KinesisHandlerFn = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse | void>;

/**
 * Options of {@link KinesisPoller}, named and defaulted as the Lambda event source mapping's,
 * except where noted: locally, retries are bounded and bisect is on by default.
 */
export interface KinesisPollerOptions {
  /** A Kinesis client; use `kinesisClient()` (HTTP/1.1) against emulators. */
  client: KinesisClient;
  streamName: string;
  /** @default the stream's ARN from DescribeStreamSummary */
  streamArn?: string;
  /** Invoked with one shard's batch at a time. */
  handler: KinesisHandlerFn;
  /** Records per invocation at most, 1 to 10,000. @default 100 */
  batchSize?: number;
  /** Seconds to gather records before invoking, 0 to 300. @default 0 */
  maximumBatchingWindowInSeconds?: number;
  /** @default 'TRIM_HORIZON' */
  startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** Split a failing batch in two and retry each half (splits do not use up retries). @default true */
  bisectBatchOnFunctionError?: boolean;
  /** Retries of a failing batch, 0 to 10,000 (AWS's default, -1 = forever, is refused). @default 2 */
  maximumRetryAttempts?: number;
  /** Records older than this (by arrival time) go to onFailure instead of the handler. @default no limit */
  maximumRecordAgeInSeconds?: number;
  /** Honour `batchItemFailures` in the handler's response. @default true */
  reportBatchItemFailures?: boolean;
  /**
   * The on-failure destination: records whose retries ran out or that got too old. If it throws,
   * the poller stops with a {@link PollerError} rather than lose the records.
   * @default writes one line per discarded batch to stderr
   */
  onFailure?: (info: FailedBatch) => Promise<void>;
  /** The scheduled batch closer, run every `tickIntervalMs` (never two at once). */
  tick?: () => Promise<void>;
  /** @default 1000 */
  tickIntervalMs?: number;
  /**
   * Ticks at the wall-clock instants `k * tickIntervalMs + tickPhaseMs` (e.g. just after each batch's
   * lateness has passed) instead of `tickIntervalMs` after the previous one, so they do not drift.
   * @default none: `tickIntervalMs` after the previous tick ends
   */
  tickPhaseMs?: number;
  /** Pause between reads of a shard that had no new records. @default 200 */
  pollIntervalMs?: number;
  /** Called after every invocation, for status lines. */
  onBatch?: (stats: BatchStats) => void;
  /** Called with errors the poller survives (a failed read, a failing tick) and with fatal ones. */
  onError?: (err: Error) => void;
  /** Resume after these sequence numbers (shard id to sequence number), e.g. from `getCheckpoints()`. */
  checkpoints?: Readonly<Record<string, string>>;
}

/** One invocation, for status lines. */
export interface BatchStats {
  shardId: string;
  /** Records in the event. */
  records: number;
  /** From the last GetRecords of the shard (kinesalite always reports 0). */
  millisBehindLatest: number;
  /** Time spent in the handler. */
  durationMs: number;
  outcome: 'success' | 'partial' | 'failed';
  /** 0 for a first delivery, n for the n-th retry of these records. */
  retry: number;
  /** Why the batch failed (the handler's error, or what was wrong with its response). */
  error?: string;
}

/** Records the poller gave up on: what Lambda sends to an on-failure destination. */
export interface FailedBatch {
  shardId: string;
  streamArn: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  batchSize: number;
  /** The records themselves, as the handler would have received them. */
  records: KinesisStreamRecord[];
  /** Lambda's condition names. */
  reason: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
  /** Invocations of these records (0 when they were too old to be sent). */
  attempts: number;
  /** The last invocation's error, if any. */
  lastError?: string;
}

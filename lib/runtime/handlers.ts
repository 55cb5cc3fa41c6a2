import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { EngineListener } from '../engine/listener';
import type { Pipeline } from '../engine/pipeline';
import { ServerlessEngine, type EngineMetrics, type ShardRef } from '../engine/serverless';
import type { StateStore } from '../state/types';
import { recordsByShard } from '../sources/kinesis-event';
import { setS3ClientForOutputs } from '../sinks/text-files';
import type { S3Client } from '@aws-sdk/client-s3';
import { sleep as realSleep } from '../util/backoff';
import { defaultRuntimeLog, type RuntimeLog } from './logger';
import { PowertoolsEngineMetrics } from './metrics';

/** Options of kinesisHandler and closerHandler. */
export interface HandlerOptions {
  /** The state store. @default DynamoDB table named by env DSTREAM_TABLE */
  store?: StateStore;
  /** S3 client for `s3://` outputs. @default one from the environment (AWS_ENDPOINT_URL honoured) */
  s3?: S3Client;
  /** Clock, epoch ms. @default Date.now */
  now?: () => number;
  /** Waits `ms` (the closer between its rounds; tests pass a simulated clock's). @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
  /** Seconds to wait for idle shards before closing a batch. @default the pipeline's allowedLateness */
  allowedLateness?: number;
  /** Engine metrics sink. @default Powertools EMF in Lambda (AWS_LAMBDA_FUNCTION_NAME set), none elsewhere */
  metrics?: EngineMetrics | false;
  /**
   * Structured log lines (the engine's warnings, failures, one line per completed batch).
   * @default the Powertools logger in Lambda, JSON warnings and errors on stderr elsewhere
   */
  log?: RuntimeLog;
  /** More receivers of the engine's events. */
  listeners?: EngineListener[];
  /**
   * The stream's open shards (a batch waits for shards that sent nothing yet); give the stream's ARN
   * with each, as Lambda's events carry it. @default the shards seen so far, or those of env DSTREAM_STREAM_NAME
   */
  listShards?: () => Promise<ShardRef[]>;
  /**
   * Close ready batches at the end of each map-phase invocation (a handler container closing loads
   * the state cold; the construct leaves closing to the scheduled closer, which keeps it warm).
   * @default env DSTREAM_CLOSE_AFTER_MAP ('false' turns it off), else true
   */
  closeAfterMap?: boolean;
  /**
   * Scheduled closer: the period of its schedule, ms. An invocation keeps closing batches until
   * shortly before the next one is due (counted from its event's `time`), so runs do not overlap.
   * @default env DSTREAM_CLOSER_SCHEDULE_SECONDS (the CDK construct sets it), else none: the
   * invocation runs until shortly before its timeout
   */
  closerScheduleMs?: number;
}

/** The closer stops starting a round this long before its Lambda timeout (a close must finish in it). */
export const CLOSER_TIMEOUT_MARGIN_MS = 10_000;
/** The closer stops starting a round this long before its next scheduled run. */
export const CLOSER_HANDOFF_MARGIN_MS = 500;

/** Builds the engine from options and the Lambda environment. */
export function engineFor(pipeline: Pipeline, options: HandlerOptions = {}): ServerlessEngine {
  const effective =
    options.allowedLateness === undefined
      ? pipeline
      : { ...pipeline, options: { ...pipeline.options, allowedLateness: options.allowedLateness } };
  if (options.s3) setS3ClientForOutputs(options.s3);
  const metrics =
    options.metrics === false
      ? undefined
      : (options.metrics ??
        (process.env.AWS_LAMBDA_FUNCTION_NAME ? new PowertoolsEngineMetrics(pipeline.name) : undefined));
  const log = options.log ?? defaultRuntimeLog(pipeline.name);
  return new ServerlessEngine(effective, {
    store: options.store ?? defaultStore(),
    now: options.now,
    metrics,
    log: (message, fields) => log.warn(message, fields),
    listShards: options.listShards ?? defaultListShards(),
    listeners: [batchLogListener(log), ...(options.listeners ?? [])],
  });
}

/**
 * One structured line per completed batch (the dashboard's table of recent batches reads them
 * with CloudWatch Logs Insights), as Spark's Streaming tab lists batches.
 */
function batchLogListener(log: RuntimeLog): EngineListener {
  return {
    onBatchCompleted: (b) =>
      log.info('batch completed', {
        batchTime: b.batchTime,
        batch: new Date(b.batchTime).toISOString(),
        records: b.records,
        late: b.late,
        shards: b.shards.length,
        schedulingDelayMs: b.schedulingDelayMs,
        processingTimeMs: b.processingTimeMs,
        totalDelayMs: b.totalDelayMs,
        closer: b.owner,
      }),
    onBatchFailed: (b) => log.error('batch close failed; it will be retried', { ...b }),
  };
}

/**
 * The open shards of the stream named by env DSTREAM_STREAM_NAME (the CDK construct sets it), cached
 * for a minute: batches then wait for shards that have sent nothing yet. Without it, only the shards
 * seen so far count.
 */
function defaultListShards(): (() => Promise<ShardRef[]>) | undefined {
  const streamName = process.env.DSTREAM_STREAM_NAME;
  if (!streamName) return undefined;
  let cached: { at: number; shards: ShardRef[] } | undefined;
  return async () => {
    if (cached && Date.now() - cached.at < 60_000) return cached.shards;
    // Loaded lazily so that tests with an in-memory store never load the Kinesis client.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { kinesisClient } = require('./clients') as typeof import('./clients');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { listShards } = require('./list-shards') as typeof import('./list-shards');
    const client = kinesisClient();
    // Lambda's events carry the stream's ARN, and the engine keys shards by it (the construct sets it).
    const streamArn = process.env.DSTREAM_STREAM_ARN;
    try {
      const shards: ShardRef[] = (await listShards(client, streamName, { Type: 'AT_LATEST' })).flatMap((s) =>
        s.ShardId ? [streamArn ? { shardId: s.ShardId, streamArn } : s.ShardId] : [],
      );
      cached = { at: Date.now(), shards };
      return shards;
    } finally {
      client.destroy();
    }
  };
}

/** The invocation's remaining time, ms, when a Lambda context is given. */
function remainingMs(context: unknown): number | undefined {
  const c = context as { getRemainingTimeInMillis?: () => number } | undefined;
  return typeof c?.getRemainingTimeInMillis === 'function' ? c.getRemainingTimeInMillis() : undefined;
}

/** How long a close claim should last: the invocation's remaining time plus a margin (Lambda stops it by then). */
function leaseFor(context: unknown): number | undefined {
  const remaining = remainingMs(context);
  return remaining === undefined ? undefined : remaining + 10_000;
}

function defaultStore(): StateStore {
  const table = process.env.DSTREAM_TABLE;
  if (!table) {
    throw new Error(
      'No state store: set env DSTREAM_TABLE to the DynamoDB table (the CDK construct does), or pass { store } to kinesisHandler/closerHandler.',
    );
  }
  // Loaded lazily so that tests with an in-memory store never load the DynamoDB client.
  const { DynamoDbStateStore } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../state/dynamodb-store') as typeof import('../state/dynamodb-store');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { dynamoClient } = require('./clients') as typeof import('./clients');
  return new DynamoDbStateStore({ client: dynamoClient(), tableName: table });
}

/**
 * The Lambda handler for the pipeline's Kinesis event source (ReportBatchItemFailures on): runs the
 * map phase per shard on the records' user records (KPL aggregates de-aggregated),
 * then closes the batches that are ready (3.3). A record whose user function throws is reported in
 * `batchItemFailures` (by its Kinesis sequence number) with nothing after it applied; records that
 * cannot be decoded are counted (DecodeErrors) and skipped; a store failure reports the shard's
 * first record so Lambda retries it (duplicates are dropped by the checkpoint).
 * @example export const handler = kinesisHandler(pipeline);
 */
export function kinesisHandler(
  pipeline: Pipeline,
  options: HandlerOptions = {},
): (event: KinesisStreamEvent, context?: unknown) => Promise<KinesisStreamBatchResponse> {
  let engine: ServerlessEngine | undefined;
  const log = options.log ?? defaultRuntimeLog(pipeline.name);
  return async (event, context) => {
    engine ??= engineFor(pipeline, { ...options, log });
    const failures: { itemIdentifier: string }[] = [];
    try {
      for (const [shardId, records] of recordsByShard(event)) {
        try {
          const r = await engine.mapPhase(records);
          if (r.failedSequenceNumber) failures.push({ itemIdentifier: r.failedSequenceNumber });
        } catch (e) {
          log.error('map phase failed; the shard will be retried', { shardId, error: String(e) });
          failures.push({ itemIdentifier: records[0].sequenceNumber });
        }
      }
      if (options.closeAfterMap ?? process.env.DSTREAM_CLOSE_AFTER_MAP !== 'false') {
        try {
          await engine.closeReady({ leaseMs: leaseFor(context) });
        } catch (e) {
          // Closing is retried by the next invocation or the scheduled closer; the map phase succeeded.
          log.error('batch close failed; will retry', { error: String(e) });
        }
      }
    } finally {
      engine.flushMetrics();
    }
    return { batchItemFailures: failures };
  };
}

/**
 * The scheduled closer (an EventBridge rule, every minute or every batch interval if longer):
 * closes every ready batch, so an idle stream still emits its windows. Since a schedule fires at
 * most once a minute, one invocation keeps closing: after each round it sleeps until the next
 * instant a batch can become ready (a batch end plus its lateness), so an idle batch closes within
 * its lateness plus one interval. It stops starting rounds shortly before the next scheduled run
 * (runs do not overlap; the construct also limits the closer to one concurrent run) and before its
 * timeout. Without a Lambda context (tests, scripts) it makes one round. Throws if its last round
 * failed (the errors alarm sees it; earlier failed rounds are logged and retried by later ones).
 * @example export const closer = closerHandler(pipeline);
 */
export function closerHandler(
  pipeline: Pipeline,
  options: HandlerOptions = {},
): (event?: unknown, context?: unknown) => Promise<{ closed: number[] }> {
  let engine: ServerlessEngine | undefined;
  const log = options.log ?? defaultRuntimeLog(pipeline.name);
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const intervalMs = Math.round(pipeline.batchInterval * 1000);
  const latenessMs = Math.round((options.allowedLateness ?? pipeline.options.allowedLateness) * 1000);
  return async (event?: unknown, context?: unknown) => {
    engine ??= engineFor(pipeline, { ...options, log });
    const deadline = closerDeadline(event, context, now(), options.closerScheduleMs ?? envScheduleMs());
    const closed: number[] = [];
    for (;;) {
      let failure: unknown;
      try {
        closed.push(...(await engine.closeReady({ leaseMs: leaseFor(context) })));
      } catch (e) {
        failure = e;
        log.error('batch close failed; will retry', { error: String(e) });
      } finally {
        engine.flushMetrics();
      }
      const next = nextReadyTime(now(), intervalMs, latenessMs);
      if (deadline === undefined || next > deadline) {
        if (failure !== undefined) throw failure;
        return { closed };
      }
      await sleep(next - now());
    }
  };
}

/** DSTREAM_CLOSER_SCHEDULE_SECONDS in ms, if set. */
function envScheduleMs(): number | undefined {
  const seconds = Number(process.env.DSTREAM_CLOSER_SCHEDULE_SECONDS);
  return seconds > 0 ? seconds * 1000 : undefined;
}

/**
 * The last instant a closer invocation may start a round, epoch ms: shortly before its timeout and
 * before the next scheduled run (its event's `time` plus the schedule's period). Undefined without
 * a Lambda context: one round.
 */
export function closerDeadline(
  event: unknown,
  context: unknown,
  startedAt: number,
  scheduleMs: number | undefined,
): number | undefined {
  const remaining = remainingMs(context);
  if (remaining === undefined) return undefined;
  let deadline = startedAt + remaining - CLOSER_TIMEOUT_MARGIN_MS;
  if (scheduleMs !== undefined) {
    const time = Date.parse(String((event as { time?: unknown } | undefined)?.time));
    // A scheduled event's time is when it fired (second precision); a run delivered late still
    // stops at the next one's start.
    const scheduledAt =
      Number.isFinite(time) && time <= startedAt && startedAt - time < scheduleMs ? time : startedAt;
    deadline = Math.min(deadline, scheduledAt + scheduleMs - CLOSER_HANDOFF_MARGIN_MS);
  }
  return deadline;
}

/**
 * The next instant after `now` at which a batch can become ready by its lateness: a batch end
 * (a multiple of the interval) plus the lateness. (Batches whose every shard's watermark passed
 * them close from the map phase.)
 */
export function nextReadyTime(now: number, intervalMs: number, latenessMs: number): number {
  return (Math.floor((now - latenessMs) / intervalMs) + 1) * intervalMs + latenessMs;
}

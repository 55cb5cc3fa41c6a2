import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { Pipeline } from '../engine/pipeline';
import { ServerlessEngine, type EngineMetrics, type ShardRef } from '../engine/serverless';
import type { EngineListener } from '../engine/listener';
import type { StateStore } from '../state/types';
import { recordsByShard } from '../sources/kinesis-event';
import { setS3ClientForOutputs } from '../sinks/text-files';
import type { S3Client } from '@aws-sdk/client-s3';
import { PowertoolsEngineMetrics } from './metrics';

/** Options of kinesisHandler and closerHandler. */
export interface HandlerOptions {
  /** The state store. @default DynamoDB table named by env DSTREAM_TABLE */
  store?: StateStore;
  /** S3 client for `s3://` outputs. @default one from the environment (AWS_ENDPOINT_URL honoured) */
  s3?: S3Client;
  /** Clock, epoch ms. @default Date.now */
  now?: () => number;
  /** Seconds to wait for idle shards before closing a batch. @default the pipeline's allowedLateness */
  allowedLateness?: number;
  /** Engine metrics sink. @default Powertools EMF in Lambda (AWS_LAMBDA_FUNCTION_NAME set), none elsewhere */
  metrics?: EngineMetrics | false;
  /**
   * The stream's open shards (a batch waits for shards that sent nothing yet); give the stream's ARN
   * with each, as Lambda's events carry it. @default the shards seen so far, or those of env DSTREAM_STREAM_NAME
   */
  listShards?: () => Promise<ShardRef[]>;
  /** Close ready batches at the end of each map-phase invocation. @default true */
  closeAfterMap?: boolean;
  /** Receive the engine's events (map phases, batches started, completed, failed). @default none */
  listeners?: EngineListener[];
}

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
  return new ServerlessEngine(effective, {
    store: options.store ?? defaultStore(),
    now: options.now,
    metrics,
    listShards: options.listShards ?? defaultListShards(),
    listeners: options.listeners,
  });
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
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { kinesisClient } = require('./clients') as typeof import('./clients');
    const { ListShardsCommand } =
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('@aws-sdk/client-kinesis') as typeof import('@aws-sdk/client-kinesis');
    const client = kinesisClient();
    // Lambda's events carry the stream's ARN, and the engine keys shards by it (the construct sets it).
    const streamArn = process.env.DSTREAM_STREAM_ARN;
    try {
      const shards: ShardRef[] = [];
      let token: string | undefined;
      do {
        const out = await client.send(
          token
            ? new ListShardsCommand({ NextToken: token })
            : new ListShardsCommand({ StreamName: streamName, ShardFilter: { Type: 'AT_LATEST' } }),
        );
        for (const s of out.Shards ?? [])
          if (s.ShardId) shards.push(streamArn ? { shardId: s.ShardId, streamArn } : s.ShardId);
        token = out.NextToken;
      } while (token);
      cached = { at: Date.now(), shards };
      return shards;
    } finally {
      client.destroy();
    }
  };
}

/** How long a close claim should last: the invocation's remaining time plus a margin (Lambda stops it by then). */
function leaseFor(context: unknown): number | undefined {
  const c = context as { getRemainingTimeInMillis?: () => number } | undefined;
  return typeof c?.getRemainingTimeInMillis === 'function'
    ? c.getRemainingTimeInMillis() + 10_000
    : undefined;
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
 * map phase per shard (DESIGN 3.2), then closes the batches that are ready (3.3). A record whose
 * user function throws is reported in `batchItemFailures` with nothing after it applied; records
 * that cannot be decoded are counted (DecodeErrors) and skipped; a store failure reports the shard's
 * first record so Lambda retries it (duplicates are dropped by the checkpoint).
 * @example export const handler = kinesisHandler(pipeline);
 */
export function kinesisHandler(
  pipeline: Pipeline,
  options: HandlerOptions = {},
): (event: KinesisStreamEvent, context?: unknown) => Promise<KinesisStreamBatchResponse> {
  let engine: ServerlessEngine | undefined;
  return async (event, context) => {
    engine ??= engineFor(pipeline, options);
    const failures: { itemIdentifier: string }[] = [];
    try {
      for (const [shardId, records] of recordsByShard(event)) {
        try {
          const r = await engine.mapPhase(records);
          if (r.failedSequenceNumber) failures.push({ itemIdentifier: r.failedSequenceNumber });
        } catch (e) {
          console.error(
            JSON.stringify({
              level: 'ERROR',
              message: 'map phase failed; the shard will be retried',
              shardId,
              error: String(e),
            }),
          );
          failures.push({ itemIdentifier: records[0].sequenceNumber });
        }
      }
      if (options.closeAfterMap !== false) {
        try {
          await engine.closeReady({ leaseMs: leaseFor(context) });
        } catch (e) {
          // Closing is retried by the next invocation or the scheduled closer; the map phase succeeded.
          console.error(
            JSON.stringify({ level: 'ERROR', message: 'batch close failed; will retry', error: String(e) }),
          );
        }
      }
    } finally {
      engine.flushMetrics();
    }
    return { batchItemFailures: failures };
  };
}

/**
 * The scheduled closer (EventBridge, every batch interval or minute): closes every ready batch, so
 * an idle stream still emits its windows. Throws if closing fails (the schedule retries).
 * @example export const closer = closerHandler(pipeline);
 */
export function closerHandler(
  pipeline: Pipeline,
  options: HandlerOptions = {},
): (event?: unknown, context?: unknown) => Promise<{ closed: number[] }> {
  let engine: ServerlessEngine | undefined;
  return async (_event?: unknown, context?: unknown) => {
    engine ??= engineFor(pipeline, options);
    try {
      return { closed: await engine.closeReady({ leaseMs: leaseFor(context) }) };
    } finally {
      engine.flushMetrics();
    }
  };
}

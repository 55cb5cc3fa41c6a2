import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Pipeline } from '../engine/pipeline';
import type { ServerlessEngine } from '../engine/serverless';
import { batchTimeOf } from '../plan/time';
import { formatBatchTime } from '../sinks/pprint-format';
import { engineFor, kinesisHandler } from '../runtime/handlers';
import { InMemoryEngineMetrics } from '../runtime/metrics';
import { listShards } from '../runtime/list-shards';
import { DynamoDbStateStore, createStateTable } from '../state';
import { kinesisClient, dynamoClient, s3Client, resolveEndpoint } from './clients';
import {
  startEmulators,
  ensureStream,
  ensureBucket,
  type Emulators,
  type EmulatedService,
} from './emulators';
import { KinesisPoller } from './poller';
import type { BatchCompletedInfo } from '../engine/listener';
import { shardIdOf } from '../sources/kinesis-event';
import { StreamingMonitor } from './ui/monitor';
import { pollInspections, type InspectionPoller } from './ui/inspection-poller';
import { startUiServer, type UiServer } from './ui/server';
import type { UiTotals } from './ui/types';
import { registerRun, unregisterRun, type LocalEndpoints } from './run-registry';

export type { LocalEndpoints } from './run-registry';

/** Options of startLocalRun. */
export interface LocalRunOptions {
  pipeline: Pipeline;
  /** Shards of the stream it creates. @default 2 */
  shards?: number;
  /** Persist the emulators' data in this directory. @default in memory */
  dataDir?: string;
  /**
   * Use this endpoint (e.g. LocalStack) for Kinesis, DynamoDB and S3 instead of embedded emulators.
   * @default per service: AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL, else embedded
   */
  endpoint?: string;
  /** Records per handler invocation. @default 500 */
  batchSize?: number;
  /** The event source's batching window, seconds. @default 0 */
  maximumBatchingWindowInSeconds?: number;
  /**
   * Seconds an idle shard may hold a batch (smaller: faster output of an idle stream; records
   * read later than this are late). @default the pipeline's allowedLateness
   */
  allowedLateness?: number;
  /** One status line per closed batch. @default to stderr */
  status?: (line: string) => void;
  /**
   * Where the run's endpoints file for `dstream inspect` goes (one file per run:
   * `<pipeline>.<pid>.<n>.json`, removed when the run stops). @default .dstream/ in the current directory
   */
  stateDir?: string;
  /** Serve the Streaming UI (`run.ui.url`). @default false: no UI (`dstream run` turns it on) */
  ui?: LocalUiOptions | false;
}

/** Options of the Streaming UI of a local run. */
export interface LocalUiOptions {
  /** The first port tried; the next free one is used when it is taken; 0 for any. @default 4040 */
  port?: number;
  /** How often the UI reads shard positions and state sizes from the store, ms. @default 2000 */
  inspectIntervalMs?: number;
}

/** Resource names of a pipeline, locally and in the CDK stack's defaults. */
export function localNames(pipeline: string): { stream: string; table: string; bucket: string } {
  const base = `dstream-${pipeline.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`;
  return { stream: base, table: base, bucket: base };
}

/** A pipeline running on the local stack. */
export interface LocalRun {
  readonly endpoints: LocalEndpoints;
  readonly kinesis: KinesisClient;
  readonly dynamo: DynamoDBClient;
  readonly s3: S3Client;
  readonly engine: ServerlessEngine;
  readonly metrics: InMemoryEngineMetrics;
  /** The engine's events gathered: what the status line and the UI show. */
  readonly monitor: StreamingMonitor;
  /** The Streaming UI, when asked for. */
  readonly ui: UiServer | undefined;
  readonly poller: KinesisPoller;
  /** Waits until every record sent so far is processed and its batch is closed. */
  drain(timeoutMs?: number): Promise<void>;
  /** Stops the poller, the closer and the emulators it started. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Runs a pipeline the way AWS runs it, on this machine: embedded kinesalite, dynalite and s3rver
 * (or `endpoint`), the stream, table and bucket created, the local event-source poller invoking the
 * same `kinesisHandler` Lambda runs, and the scheduled closer ticking every batch interval.
 */
export async function startLocalRun(options: LocalRunOptions): Promise<LocalRun> {
  const { pipeline } = options;
  const names = localNames(pipeline.name);
  // Per service: an endpoint given (option, AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL) is used, the
  // others are embedded. A local run never falls back to real AWS for a service nobody pointed anywhere
  // (e.g. AWS_ENDPOINT_URL_KINESIS at kinesis-local alone: DynamoDB and S3 stay embedded).
  const external = {
    kinesis: options.endpoint ?? resolveEndpoint('KINESIS'),
    dynamodb: options.endpoint ?? resolveEndpoint('DYNAMODB'),
    s3: options.endpoint ?? resolveEndpoint('S3'),
  };
  const embedded = (Object.keys(external) as EmulatedService[]).filter((s) => external[s] === undefined);
  let emulators: Emulators | undefined;
  if (embedded.length > 0) emulators = await startEmulators({ dataDir: options.dataDir, services: embedded });
  const endpoints: LocalEndpoints = {
    pipeline: pipeline.name,
    kinesis: external.kinesis ?? emulators?.kinesisEndpoint,
    dynamodb: external.dynamodb ?? emulators?.dynamoEndpoint,
    s3: external.s3 ?? emulators?.s3Endpoint,
    ...names,
  };
  const kinesis = kinesisClient({ endpoint: endpoints.kinesis });
  const dynamo = dynamoClient({ endpoint: endpoints.dynamodb });
  const s3 = s3Client({ endpoint: endpoints.s3 });
  const status = options.status ?? ((line: string) => process.stderr.write(line + '\n'));
  let stopped = false;
  let poller: KinesisPoller | undefined;
  let ui: UiServer | undefined;
  let inspections: InspectionPoller | undefined;
  let endpointsFile: string | undefined;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await ui?.close();
    await inspections?.stop();
    await poller?.stop().catch(() => undefined);
    kinesis.destroy();
    dynamo.destroy();
    s3.destroy();
    if (endpointsFile) unregisterRun(endpointsFile);
    await emulators?.stop();
  };
  try {
    const { streamArn } = await ensureStream(kinesis, names.stream, options.shards ?? 2);
    await createStateTable(dynamo, names.table);
    await ensureBucket(s3, names.bucket);
    // The pipeline reads its bucket from the environment, as in Lambda.
    process.env.DSTREAM_BUCKET = names.bucket;

    // The poller's events carry the stream's ARN, so the engine keys shards by it.
    const shardIds = async () =>
      (await listShards(kinesis, names.stream, { Type: 'AT_LATEST' })).map((s) => ({
        shardId: s.ShardId as string,
        streamArn: streamArn || undefined,
      }));
    const metrics = new InMemoryEngineMetrics();
    // One listener, on the map-phase engine and the closer's: the status line and the UI read it.
    const monitor = new StreamingMonitor({
      pipeline: pipeline.name,
      batchInterval: pipeline.batchInterval,
      metrics,
    });
    monitor.subscribe((c) => c.kind === 'completed' && status(formatStatusLine(c.info, monitor.totals())));
    const handlerOptions = {
      store: new DynamoDbStateStore({ client: dynamo, tableName: names.table }),
      s3,
      metrics,
      listShards: shardIds,
      allowedLateness: options.allowedLateness,
      listeners: [monitor],
    };
    const engine = engineFor(pipeline, handlerOptions);
    const handler = kinesisHandler(pipeline, { ...handlerOptions, closeAfterMap: false });
    const close = async () => {
      await engine.closeReady();
    };
    poller = new KinesisPoller({
      client: kinesis,
      streamName: names.stream,
      handler: async (event) => {
        const records = event.Records ?? [];
        const last = records[records.length - 1];
        if (last) {
          const lastArrivalMs = Math.round(last.kinesis.approximateArrivalTimestamp * 1000);
          monitor.onShardRead(shardIdOf(last), { lastArrivalMs, at: Date.now() });
        }
        const res = await handler(event);
        await close();
        return res;
      },
      batchSize: options.batchSize ?? 500,
      maximumBatchingWindowInSeconds: options.maximumBatchingWindowInSeconds ?? 0,
      tick: close,
      tickIntervalMs: Math.max(200, Math.round(pipeline.batchInterval * 1000)),
      // Just after each batch's lateness has passed, as the Lambda closer rounds: no drift.
      tickPhaseMs:
        (Math.round((options.allowedLateness ?? pipeline.options.allowedLateness) * 1000) + 20) %
        Math.max(200, Math.round(pipeline.batchInterval * 1000)),
      pollIntervalMs: 100,
      onError: (e) => status(`[dstream] ${e.message}`),
    });
    await poller.start();
    if (options.ui) {
      inspections = pollInspections(engine, monitor, {
        intervalMs: options.ui.inspectIntervalMs,
        onError: (e) => status(`[dstream] the UI could not read the store: ${e.message}`),
      });
      ui = await startUiServer({ monitor, port: options.ui.port });
    }
    endpointsFile = registerRun(options.stateDir ?? '.dstream', endpoints);
    const p = poller;
    return {
      endpoints,
      kinesis,
      dynamo,
      s3,
      engine,
      metrics,
      monitor,
      ui,
      poller: p,
      async drain(timeoutMs = 60_000) {
        const deadline = Date.now() + timeoutMs;
        await p.runUntilIdle({ timeoutMs });
        const last = batchTimeOf(Date.now(), Math.round(pipeline.batchInterval * 1000));
        for (;;) {
          await close();
          const progress = await engine.progress();
          // No progress yet: the first batch has not started (done if no record was committed at all).
          if (progress ? (progress.closedUpTo ?? -Infinity) >= last : !(await engine.hasRecords())) return;
          if (Date.now() > deadline)
            throw new Error(
              `batches did not close within ${timeoutMs} ms (closed up to ${progress?.closedUpTo ?? 'none'}).`,
            );
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * The status line of a closed batch (stderr of `dstream run`): its records and delays, then the run's
 * counts of late, undecodable and failing records so far, when there are any.
 * @example
 * formatStatusLine(info, totals)
 * // '[dstream] batch 2026-01-05 14:03:07 closed: 12 records, 340 in so far, scheduling delay 501 ms, processing 23 ms, total delay 524 ms'
 */
export function formatStatusLine(info: BatchCompletedInfo, totals: UiTotals): string {
  return (
    `[dstream] batch ${formatBatchTime(info.batchTime)} closed: ${info.records} records, ` +
    `${totals.recordsIn} in so far, scheduling delay ${info.schedulingDelayMs} ms, ` +
    `processing ${info.processingTimeMs} ms, total delay ${info.totalDelayMs} ms` +
    (totals.late ? `, ${totals.late} late` : '') +
    (totals.decodeErrors ? `, ${totals.decodeErrors} undecodable` : '') +
    (totals.userFunctionErrors ? `, ${totals.userFunctionErrors} user-function errors` : '')
  );
}

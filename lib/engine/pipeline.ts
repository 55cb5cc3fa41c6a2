import { StreamingContext } from '../dstream/context';
import { secondsToMs } from '../plan/time';
import { KinesisInputDStream } from '../sources/kinesis';

/** Options of a pipeline definition. */
export interface PipelineOptions {
  /** Name: the stack, table keys, metrics dimension and local commands use it. Letters, digits, `-`, `_`. */
  name: string;
  /** Batch interval in seconds. */
  batchInterval: number;
  /**
   * Serverless engine: how long (seconds) after a batch's end the closer waits for idle shards
   * before closing it anyway; records arriving later go to the oldest open batch and are counted
   * as LateRecords. @default batchInterval + 1
   */
  allowedLateness?: number;
  /**
   * Serverless engine: how long (seconds) what the engine stores is kept past its use (the TTL of
   * every item: state versions for re-runs, committed records not yet closed, positions for
   * de-duplicating Lambda's replays). Batches must close within it: a closer stopped for longer
   * loses the records in between (alarmed). @default 3600
   */
  retention?: number;
}

/** A pipeline: one definition that the in-memory engine, the Lambda handlers, the local runner and the CDK construct all read. */
export interface Pipeline {
  readonly name: string;
  /** Batch interval in seconds. */
  readonly batchInterval: number;
  readonly options: Required<PipelineOptions>;
  /** Defines the pipeline's streams and outputs on `ssc`. */
  readonly define: (ssc: StreamingContext) => void;
}

/** A pipeline whose definition cannot run (Spark refuses it at `ssc.start()`); the message says why. */
export class InvalidPipelineError extends Error {
  constructor(
    readonly pipeline: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`pipeline '${pipeline}' is invalid: ${reason}`, options);
    this.name = 'InvalidPipelineError';
  }
}

/**
 * Defines a pipeline once for every engine: `define(ssc)` creates its streams (usually from
 * `ssc.kinesisTextStream()`) and outputs. The definition runs once here, on a throwaway context
 * that is started and stopped, so that an invalid pipeline (a window that is not a multiple of the
 * batch interval, no output operation, no Kinesis source) fails when its module loads (`cdk
 * synth`, `dstream run`, the Lambda's cold start), with Spark's message, not on every record.
 * @example export default definePipeline({ name: 'network-wordcount', batchInterval: 1 }, (ssc) => {
 *   ssc.kinesisTextStream().flatMap((l) => l.split(' ')).countByValue().pprint();
 * });
 */
export function definePipeline(options: PipelineOptions, define: (ssc: StreamingContext) => void): Pipeline {
  if (
    !options ||
    typeof options.name !== 'string' ||
    !/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(options.name)
  ) {
    throw new Error(
      `definePipeline: name must be 1-64 letters, digits, '-' or '_' (it names the stack and table keys), got ${JSON.stringify(options?.name)}.`,
    );
  }
  secondsToMs(options.batchInterval, 'batchInterval'); // validates it, with a clear error
  if (typeof define !== 'function')
    throw new TypeError('definePipeline(options, (ssc) => { ... }) needs a function.');
  const lateness = options.allowedLateness ?? options.batchInterval + 1;
  if (!(lateness >= 0))
    throw new Error(`allowedLateness must be >= 0 seconds, got ${String(options.allowedLateness)}.`);
  const retention = options.retention ?? 3600;
  if (!(typeof retention === 'number' && retention >= 60 && Number.isFinite(retention)))
    throw new Error(
      `retention must be at least 60 seconds (it bounds how long a stopped closer can catch up), got ${String(options.retention)}.`,
    );
  checkRetention(options.batchInterval, lateness, retention);
  const pipeline: Pipeline = {
    name: options.name,
    batchInterval: options.batchInterval,
    options: { ...options, allowedLateness: lateness, retention },
    define,
  };
  validateDefinition(pipeline);
  return pipeline;
}

/**
 * Throws unless the `retention` is at least twice `batchInterval + allowedLateness` (all in
 * seconds): a record waits in its shard's log from its batch's start until the batch closes (the
 * interval plus the lateness, or half the retention behind a shard's backlog), and the other half
 * of the retention covers a closer taking a crashed batch over. What waits must not expire first.
 */
export function checkRetention(batchInterval: number, allowedLateness: number, retention: number): void {
  const wait = batchInterval + allowedLateness;
  if (retention < 2 * wait)
    throw new Error(
      `retention (${retention} s) must be at least twice batchInterval + allowedLateness ` +
        `(${batchInterval} + ${allowedLateness} = ${wait} s; allowedLateness defaults to batchInterval + 1 s): ` +
        `records wait in the shard logs that long before their batch closes, and must not expire first. ` +
        `Set retention to at least ${2 * wait} s, or shorten batchInterval or allowedLateness.`,
    );
}

/** Runs the definition on a manual-clock context and starts it (no batch runs), as the engines will. */
function validateDefinition(pipeline: Pipeline): void {
  const ssc = new StreamingContext({ batchInterval: pipeline.batchInterval, clock: 'manual' });
  try {
    pipeline.define(ssc);
    if (!ssc.graph.streams.some((s) => s instanceof KinesisInputDStream)) {
      throw new Error(
        'it reads no Kinesis stream: use ssc.kinesisTextStream() or ssc.kinesisStream(decode) in its definition.',
      );
    }
    ssc.start();
  } catch (e) {
    throw new InvalidPipelineError(pipeline.name, (e as Error).message ?? String(e), { cause: e });
  } finally {
    void ssc.stop().catch(() => undefined);
  }
}

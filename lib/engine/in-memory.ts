import { StreamingContext } from '../dstream/context';
import { batchTimeOf } from '../plan/time';
import { KinesisInputDStream, type KinesisInputRecord } from '../sources/kinesis';
import { deaggregate } from '../sources/kpl';
import type { Pipeline } from './pipeline';

/** Options of runPipelineInMemory. */
export interface InMemoryRunOptions {
  /** Zero time (ms); the first batch is one interval later. @default the first record's batch minus one interval */
  zeroTime?: number;
  /** Last batch time to run (ms). @default the last record's batch */
  untilTime?: number;
}

/**
 * Runs a pipeline on the in-memory engine (the reference for semantics) over Kinesis records,
 * each in the batch after its arrival time, exactly as the serverless engine assigns them (KPL
 * aggregates are de-aggregated first, as the Lambda handler does). Returns the context after the
 * last batch (outputs such as `collect()` sinks hold the results).
 */
export async function runPipelineInMemory(
  pipeline: Pipeline,
  kinesisRecords: KinesisInputRecord[],
  options: InMemoryRunOptions = {},
): Promise<StreamingContext> {
  const records = kinesisRecords.flatMap(deaggregate);
  const interval = Math.round(pipeline.batchInterval * 1000);
  const times = records.map((r) => batchTimeOf(r.arrivalMs, interval));
  const first = times.length ? Math.min(...times) : interval;
  const zero = options.zeroTime ?? first - interval;
  const until = options.untilTime ?? (times.length ? Math.max(...times) : first);
  const ssc = new StreamingContext({
    batchInterval: pipeline.batchInterval,
    clock: 'manual',
    startTime: zero,
  });
  pipeline.define(ssc);
  const sources = ssc.graph.streams.filter(
    (s): s is KinesisInputDStream<unknown> => s instanceof KinesisInputDStream,
  );
  for (const s of sources) s.addRecords(records);
  ssc.start();
  await ssc.runBatches(Math.max(0, Math.round((until - zero) / interval)));
  await ssc.stop();
  return ssc;
}

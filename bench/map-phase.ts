/**
 * Map-phase handler on a Kinesis event (base64 included) of 1,000 records (the deployed batch
 * size) or 10,000: kinesisHandler running the word-count map phase (decode, fused
 * flatMap/map, map-side combine, gzip-compressed log entry, head) against a hand-written loop that
 * decodes and counts, in the same process. The store is the in-memory one, so this measures the
 * engine, not DynamoDB. Closing is left out of both.
 */
import { kinesisHandler } from '../lib/runtime';
import { InMemoryStateStore } from '../lib/state';
import { cpuNow, generateLines, median } from './data';
import { kinesisEvent, wordCountPipeline } from './events';

export interface MapPhaseResult {
  records: number;
  handlerRecordsPerSec: number;
  loopRecordsPerSec: number;
  ratio: number;
  /** The first invocation of a new container (plan compiled, engine built), ms of CPU. */
  coldMs: number;
}

const pipeline = wordCountPipeline('bench-map');

function handLoop(event: ReturnType<typeof kinesisEvent>): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of event.Records) {
    const text = Buffer.from(r.kinesis.data, 'base64').toString('utf8');
    for (const line of text.split('\n')) for (const w of line.split(' ')) m.set(w, (m.get(w) ?? 0) + 1);
  }
  return m;
}

/**
 * One warm handler (as a Lambda container serves invocation after invocation), each round a new
 * event of the same lines with the next sequence numbers (so none is dropped as a re-delivery).
 */
export async function runMapPhase(records = 10_000, rounds = 7): Promise<MapPhaseResult> {
  const lines = generateLines(records, 10, 5000, 7);
  const base = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;
  const events = Array.from({ length: rounds + 1 }, (_, r) =>
    kinesisEvent(lines, 1_700_000_000_000, 'shardId-000000000000', base + BigInt(r * records)),
  );
  const handler = kinesisHandler(pipeline, {
    store: new InMemoryStateStore(),
    metrics: false,
    closeAfterMap: false,
  });
  const loopTimes: number[] = [];
  const handlerTimes: number[] = [];
  let coldMs = 0;
  for (let r = 0; r < rounds + 1; r++) {
    let t = cpuNow();
    handLoop(events[r]);
    const loop = cpuNow() - t;
    t = cpuNow();
    const res = await handler(events[r]);
    const h = cpuNow() - t;
    if (res.batchItemFailures.length) throw new Error('map phase reported failures');
    if (r === 0) coldMs = h * 1000;
    else {
      loopTimes.push(loop);
      handlerTimes.push(h);
    }
  }
  const loopRecordsPerSec = records / median(loopTimes);
  const handlerRecordsPerSec = records / median(handlerTimes);
  return {
    records,
    handlerRecordsPerSec,
    loopRecordsPerSec,
    ratio: handlerRecordsPerSec / loopRecordsPerSec,
    coldMs,
  };
}

/**
 * Map-phase handler on a 10,000-record Kinesis event (base64 included), DESIGN 7: kinesisHandler
 * running the word-count map phase (decode, fused flatMap/map, map-side combine, gzip partial,
 * checkpoint) against a hand-written loop that decodes and counts, in the same process. The store
 * is the in-memory one, so this measures the engine, not DynamoDB. Closing is left out of both.
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

export async function runMapPhase(records = 10_000, rounds = 7): Promise<MapPhaseResult> {
  const event = kinesisEvent(generateLines(records, 10, 5000, 7), 1_700_000_000_000);
  const loopTimes: number[] = [];
  const handlerTimes: number[] = [];
  for (let r = 0; r < rounds + 1; r++) {
    // A fresh store each round, so every round applies the records (none dropped as duplicates).
    const handler = kinesisHandler(pipeline, {
      store: new InMemoryStateStore(),
      metrics: false,
      closeAfterMap: false,
    });
    let t = cpuNow();
    handLoop(event);
    const loop = cpuNow() - t;
    t = cpuNow();
    const res = await handler(event);
    const h = cpuNow() - t;
    if (res.batchItemFailures.length) throw new Error('map phase reported failures');
    if (r > 0) {
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
  };
}

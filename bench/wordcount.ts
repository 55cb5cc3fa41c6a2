/**
 * NetworkWordCount over 1,000,000 lines of 10 words (5,000-word skewed vocabulary): the in-memory
 * engine against a hand-written loop (split + Map count), in the same process, same data, same
 * batches (10 batches of 100,000 lines). Both produce the full counts per batch; the engine's result
 * is checked equal to the loop's. Reported: lines/s of each (median of the rounds) and the ratio.
 */
import { StreamingContext } from '../lib';
import { cpuNow, generateLines, median } from './data';

export interface WordCountResult {
  lines: number;
  engineLinesPerSec: number;
  loopLinesPerSec: number;
  ratio: number;
}

function handLoop(batches: string[][]): Map<string, number>[] {
  const out: Map<string, number>[] = [];
  for (const batch of batches) {
    const m = new Map<string, number>();
    for (const line of batch) {
      for (const w of line.split(' ')) m.set(w, (m.get(w) ?? 0) + 1);
    }
    out.push(m);
  }
  return out;
}

async function engine(batches: string[][]): Promise<Map<string, number>[]> {
  const ssc = new StreamingContext({ batchInterval: 1, clock: 'manual' });
  const out: Map<string, number>[] = [];
  ssc
    .queueStream(batches.slice())
    .flatMap((line) => line.split(' '))
    .map((w) => [w, 1] as [string, number])
    .reduceByKey((a, b) => a + b)
    .foreachRDD((rdd) => {
      out.push(new Map(rdd.collect()));
    });
  ssc.start();
  await ssc.runBatches(batches.length);
  await ssc.stop();
  return out;
}

/** Runs the benchmark; `lines` defaults to 1,000,000. */
export async function runWordCount(lines = 1_000_000, rounds = 5): Promise<WordCountResult> {
  const all = generateLines(lines, 10, 5000);
  const batchCount = 10;
  const size = Math.ceil(lines / batchCount);
  const batches = Array.from({ length: batchCount }, (_, i) => all.slice(i * size, (i + 1) * size));
  // Correctness first: the engine must give the loop's counts.
  const [a, b] = [handLoop(batches), await engine(batches)];
  for (let i = 0; i < a.length; i++) {
    if (a[i].size !== b[i].size)
      throw new Error(`batch ${i}: engine has ${b[i].size} keys, loop ${a[i].size}`);
    for (const [k, v] of a[i]) if (b[i].get(k) !== v) throw new Error(`batch ${i}: count of ${k} differs`);
  }
  const loopTimes: number[] = [];
  const engineTimes: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let t = cpuNow();
    handLoop(batches);
    loopTimes.push(cpuNow() - t);
    t = cpuNow();
    await engine(batches);
    engineTimes.push(cpuNow() - t);
  }
  const loopLinesPerSec = lines / median(loopTimes);
  const engineLinesPerSec = lines / median(engineTimes);
  return { lines, engineLinesPerSec, loopLinesPerSec, ratio: engineLinesPerSec / loopLinesPerSec };
}

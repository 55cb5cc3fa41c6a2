/**
 * `npm run bench -- windows` (issue 9): reduceByKeyAndWindow over 60 s sliding every 1 s on a
 * 10K-key space, with and without an inverse function, on DynamoDbStateStore against dynalite.
 * Each batch sends `perBatch` records (random keys); the window fills for 60 batches, then
 * `measured` batches are measured with the same closer (warm: the previous window and the panes in
 * memory) and a few with a new closer each (cold: it loads them).
 */
import { definePipeline, type Pipeline } from '../lib';
import { rng } from './data';
import { BatchDriver, mean, meteredTable, randomKeys, startDynalite, type BatchCost } from './metered';

/** One variant's figures, per measured batch. */
export interface WindowRun {
  inverse: boolean;
  keys: number;
  perBatch: number;
  rcu: number;
  wcu: number;
  coldRcu: number;
  closeCpuMs: number;
}

function windowed(name: string, inverse: boolean): Pipeline {
  return definePipeline({ name, batchInterval: 1, allowedLateness: 0.1 }, (ssc) => {
    ssc
      .kinesisTextStream()
      .map((k) => [k, 1] as [string, number])
      .reduceByKeyAndWindow((a, b) => a + b, inverse ? (a, b) => a - b : null, 60, 1)
      .foreachRDD(() => undefined);
  });
}

/** Runs one variant. */
export async function runWindow(
  inverse: boolean,
  keys = 10_000,
  perBatch = 2_000,
  measured = 10,
  coldBatches = 3,
): Promise<WindowRun> {
  const db = await startDynalite();
  try {
    const name = `window-${inverse ? 'inv' : 'plain'}`;
    const clock = { now: 0 };
    const store = await meteredTable(db.client, name, clock);
    const pipeline = windowed(name, inverse);
    const warm = new BatchDriver(pipeline, store, ['s0'], clock);
    const r = rng(keys + perBatch);
    let k = 1;
    for (; k <= 61; k++) await warm.batch(k, [randomKeys(perBatch, keys, r)], 100);
    const costs: BatchCost[] = [];
    for (let i = 0; i < measured; i++, k++)
      costs.push(await warm.batch(k, [randomKeys(perBatch, keys, r)], 100));
    const cold = new BatchDriver(pipeline, store, ['s0'], clock, warm.base, true);
    const colds: BatchCost[] = [];
    for (let i = 0; i < coldBatches; i++, k++)
      colds.push(await cold.batch(k, [randomKeys(perBatch, keys, r)], 100));
    return {
      inverse,
      keys,
      perBatch,
      rcu: mean(costs.map((c) => c.mapRcu + c.closeRcu)),
      wcu: mean(costs.map((c) => c.mapWcu + c.closeWcu)),
      coldRcu: mean(colds.map((c) => c.mapRcu + c.closeRcu)),
      closeCpuMs: 1000 * mean(costs.map((c) => c.closeCpu)),
    };
  } finally {
    await db.stop();
  }
}

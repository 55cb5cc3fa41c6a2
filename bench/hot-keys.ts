/**
 * `npm run bench -- hot-keys` (issue 9): the hottest DynamoDB partition key at 100K records/s with
 * a 1M-key state, against DynamoDB's per-key limits (1,000 write units/s, 3,000 read units/s).
 * Runs that rate for real, for a few 1-s batches: 100 shards of 1,000 records each (Kinesis's
 * per-shard limit), running totals over 1M keys, on DynamoDbStateStore against dynalite. Units are
 * attributed to partition keys from item sizes (1 KB per write unit, 4 KB per strongly consistent
 * read unit), warm closer; the snapshot (written once per compaction period) is reported apart,
 * with a cold closer's first read.
 */
import { rng } from './data';
import { BatchDriver, allKeys, meteredTable, randomKeys, startDynalite } from './metered';
import { dealKeys, runningTotals } from './metered';

export interface HotKeysRun {
  recordsPerSec: number;
  stateKeys: number;
  shards: number;
  /** The hottest key per steady 1-s batch: write units and read units, with its key. */
  hottestWrite: [string, number];
  hottestRead: [string, number];
  /** The snapshot's hottest page (write units in its batch), and a cold closer's hottest read. */
  snapshotPageWrite: [string, number];
  coldHottestRead: [string, number];
}

const pattern = (pk: string) => pk.replace(/s\d+$/, 's<n>').replace(/#\d{15}/g, '#<t>');

export async function runHotKeys(
  recordsPerSec = 100_000,
  stateKeys = 1_000_000,
  batches = 3,
): Promise<HotKeysRun> {
  const db = await startDynalite();
  try {
    const shards = Array.from({ length: Math.ceil(recordsPerSec / 1000) }, (_, i) => `s${i}`);
    const pipeline = runningTotals('hot');
    const clock = { now: 0 };
    const store = await meteredTable(db.client, 'hot', clock);
    const driver = new BatchDriver(pipeline, store, shards, clock);
    const r = rng(7);
    const split = (keys: string[]) => dealKeys(keys, shards.length);
    const load = await driver.batch(1, split(allKeys(stateKeys)), 100);
    let pages: [string, number] = ['', 0];
    for (const [pk, u] of store.writesByPk) if (pk.includes('#snap#') && u > pages[1]) pages = [pk, u];
    void load;
    let hottestWrite: [string, number] = ['', 0];
    let hottestRead: [string, number] = ['', 0];
    for (let k = 2; k < 2 + batches; k++) {
      const c = await driver.batch(k, split(randomKeys(recordsPerSec, stateKeys, r)), 1);
      if (c.hottestWrite[1] > hottestWrite[1]) hottestWrite = c.hottestWrite;
      if (c.hottestRead[1] > hottestRead[1]) hottestRead = c.hottestRead;
    }
    const cold = new BatchDriver(pipeline, store, shards, clock, driver.base, true);
    const c = await cold.batch(2 + batches, split(randomKeys(recordsPerSec, stateKeys, r)), 1);
    return {
      recordsPerSec,
      stateKeys,
      shards: shards.length,
      hottestWrite: [pattern(hottestWrite[0]), hottestWrite[1]],
      hottestRead: [pattern(hottestRead[0]), hottestRead[1]],
      snapshotPageWrite: [pattern(pages[0]), pages[1]],
      coldHottestRead: [pattern(c.hottestRead[0]), c.hottestRead[1]],
    };
  } finally {
    await db.stop();
  }
}

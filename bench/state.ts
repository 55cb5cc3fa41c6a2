/**
 * `npm run bench -- state` (issue 9): what keyed state costs per batch as the state grows, on
 * DynamoDbStateStore against dynalite (ConsumedCapacity). Running totals (updateStateByKey) and
 * mapWithState over 10K, 100K and 1M keys; each batch sends `changed` records, one random key each.
 * The state is loaded in a first batch (one record per key), then measured over `batches` batches
 * with the same closer (warm) and, for a few batches, with a new closer each time (cold).
 *
 * Snapshots come every P batches (the compaction rule: the deltas since the last reach twice its
 * size), which a short run may not reach at 1M keys; the amortized figure spreads the snapshot's
 * measured write units over P, with P from the rule and the measured delta and snapshot sizes.
 */
import { definePipeline, StateSpec, type Pipeline, type State } from '../lib';
import { rng } from './data';
import {
  BatchDriver,
  allKeys,
  mean,
  meteredTable,
  randomKeys,
  runningTotals,
  startDynalite,
  type BatchCost,
} from './metered';

/** One state size's figures. */
export interface StateRun {
  operator: 'updateStateByKey' | 'mapWithState';
  stateKeys: number;
  changed: number;
  batches: number;
  /** Per measured batch (warm closer): map phase + close. */
  wcu: number;
  rcu: number;
  mapWcu: number;
  closeWcu: number;
  requests: number;
  closeCpuMs: number;
  /** The same with a new closer every batch. */
  coldRcu: number;
  coldCloseCpuMs: number;
  /** The snapshot: its write units, and the batches between two (observed, or by the rule). */
  snapshotWcu: number;
  snapshotPeriod: number;
  periodObserved: boolean;
  /** Write units per batch with the snapshot spread over its period. */
  amortizedWcu: number;
  hottestWcuPerBatch: number;
}

function mapWithState(name: string): Pipeline {
  return definePipeline({ name, batchInterval: 1, allowedLateness: 0.1 }, (ssc) => {
    ssc
      .kinesisTextStream()
      .map((k) => [k, 1] as [string, number])
      .mapWithState(
        StateSpec.function((_k: string, v: number | undefined, s: State<number>) => {
          s.update((s.getOption() ?? 0) + (v ?? 0));
          return undefined;
        }),
      )
      .foreachRDD(() => undefined);
  });
}

/** Runs one state size; `batches` warm batches, then `coldBatches` with a new closer each. */
export async function runStateSize(
  operator: StateRun['operator'],
  stateKeys: number,
  changed: number,
  batches: number,
  coldBatches = 3,
): Promise<StateRun> {
  const db = await startDynalite();
  try {
    const name = `${operator === 'updateStateByKey' ? 'ubk' : 'mws'}-${stateKeys}-${changed}`;
    const pipeline = operator === 'updateStateByKey' ? runningTotals(name) : mapWithState(name);
    const clock = { now: 0 };
    const store = await meteredTable(db.client, name, clock);
    const warm = new BatchDriver(pipeline, store, ['s0'], clock);
    const r = rng(stateKeys + changed);
    // Batch 1 loads the state (its snapshot is the first one); then the measured batches.
    const load = await warm.batch(1, [allKeys(stateKeys)], 100);
    const measured: BatchCost[] = [];
    for (let k = 2; k < 2 + batches; k++)
      measured.push(await warm.batch(k, [randomKeys(changed, stateKeys, r)], 100));
    const cold = new BatchDriver(pipeline, store, ['s0'], clock, warm.base, true);
    const colds: BatchCost[] = [];
    for (let k = 2 + batches; k < 2 + batches + coldBatches; k++)
      colds.push(await cold.batch(k, [randomKeys(changed, stateKeys, r)], 100));
    // Snapshot batches are those that wrote snapshot pages; the others wrote a delta.
    const snapshotAt = [
      1,
      ...measured.filter((m) => m.snapshotWcu > 0).map((m) => (m.batchTime - warm.base) / 1000),
    ];
    const deltas = measured.filter((m) => m.snapshotWcu === 0);
    const snapshotWcu = load.snapshotWcu;
    const deltaWcu = mean(deltas.map((m) => m.closeWcu));
    // The rule: a snapshot once the deltas since the last reach `ratio` (2) times its size.
    const ruled = Math.max(1, Math.ceil((2 * snapshotWcu) / Math.max(1, deltaWcu)));
    const periodObserved = snapshotAt.length > 1;
    const snapshotPeriod = periodObserved
      ? (snapshotAt[snapshotAt.length - 1] - snapshotAt[0]) / (snapshotAt.length - 1)
      : ruled;
    const perBatch = (m: BatchCost) => m.mapWcu + m.closeWcu;
    const nonSnapshot = mean(deltas.map(perBatch));
    const amortizedWcu = nonSnapshot + snapshotWcu / snapshotPeriod;
    return {
      operator,
      stateKeys,
      changed,
      batches,
      wcu: mean(measured.map(perBatch)),
      rcu: mean(measured.map((m) => m.mapRcu + m.closeRcu)),
      mapWcu: mean(measured.map((m) => m.mapWcu)),
      closeWcu: mean(measured.map((m) => m.closeWcu)),
      requests: mean(measured.map((m) => m.requests)),
      closeCpuMs: 1000 * mean(measured.map((m) => m.closeCpu)),
      coldRcu: mean(colds.map((m) => m.mapRcu + m.closeRcu)),
      coldCloseCpuMs: 1000 * mean(colds.map((m) => m.closeCpu)),
      snapshotWcu,
      snapshotPeriod,
      periodObserved,
      amortizedWcu,
      hottestWcuPerBatch: Math.max(...measured.map((m) => m.hottestWrite[1])),
    };
  } finally {
    await db.stop();
  }
}

/** Least squares of y = a + b x over points. */
export function fitLine(points: [number, number][]): { a: number; b: number } {
  const n = points.length;
  const mx = mean(points.map((p) => p[0]));
  const my = mean(points.map((p) => p[1]));
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  const b = n > 1 && sxx > 0 ? sxy / sxx : 0;
  return { a: my - b * mx, b };
}

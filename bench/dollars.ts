/**
 * Dollars per million records (issue 9): running totals (updateStateByKey) over 100K keys
 * at 1K and 10K records/s, 1-s batches, as the construct deploys it (1 shard per 1K records/s, one
 * map-phase invocation per shard and batch, the closer looping all the time, 1,024 MB each). Measured
 * in one run on DynamoDbStateStore against dynalite: DynamoDB write and read units (ConsumedCapacity)
 * and requests per batch, the map phase's CPU time. Priced with the table below (us-east-1, 2026).
 *
 * Modeled, not measured (said in the output): a Lambda invocation's billed time is its CPU time on
 * this machine plus `DYNAMO_LATENCY_MS` per DynamoDB request it waits for; the closer is billed for
 * every second (it runs on a one-minute schedule and keeps closing until the next run).
 */
import { rng } from './data';
import {
  BatchDriver,
  allKeys,
  mean,
  meteredTable,
  randomKeys,
  startDynalite,
  type BatchCost,
} from './metered';
import { dealKeys, runningTotals } from './metered';

/** List prices, us-east-1, 2026. */
export const PRICES = {
  lambdaPerMillionRequests: 0.2,
  lambdaPerGbSecond: 0.0000166667,
  dynamoPerMillionWriteUnits: 0.625,
  dynamoPerMillionReadUnits: 0.125,
  /** DynamoDB storage, per GB-month (standard table class). */
  dynamoPerGbMonth: 0.25,
  /** Managed Service for Apache Flink: $0.11 per KPU-hour; the smallest application runs 2 KPUs. */
  flinkFloorPerHour: 2 * 0.11,
};

/** What a Lambda invocation waits for each DynamoDB request (typical in-region latency). */
export const DYNAMO_LATENCY_MS = 8;
/** The construct's default memory for the handler and the closer. */
export const LAMBDA_GB = 1;

export interface DollarsRun {
  recordsPerSec: number;
  stateKeys: number;
  shards: number;
  /** Per 1-s batch (snapshot write units spread over the batches between snapshots). */
  wcu: number;
  rcu: number;
  requests: number;
  mapCpuMsPerInvocation: number;
  /** Dollars per million records, by part. */
  dynamo: number;
  lambdaRequests: number;
  lambdaDuration: number;
  closer: number;
  total: number;
  flinkFloor: number;
  /** Bytes stored once the retention (1 hour) is reached: everything written in an hour is still there. */
  storedBytesAfterHour: number;
  storageDollarsPerMonth: number;
}

/** Runs `recordsPerSec` for `batches` measured 1-s batches over a `stateKeys`-key state. */
export async function runDollars(
  recordsPerSec: number,
  stateKeys = 100_000,
  batches = 20,
): Promise<DollarsRun> {
  const db = await startDynalite();
  try {
    const shards = Array.from({ length: Math.max(1, Math.ceil(recordsPerSec / 1000)) }, (_, i) => `s${i}`);
    const name = `dollars-${recordsPerSec}`;
    const pipeline = runningTotals(name);
    const clock = { now: 0 };
    const store = await meteredTable(db.client, name, clock);
    const driver = new BatchDriver(pipeline, store, shards, clock);
    const r = rng(recordsPerSec);
    const split = (keys: string[]) => dealKeys(keys, shards.length);
    const load = await driver.batch(1, split(allKeys(stateKeys)), 100);
    const costs: BatchCost[] = [];
    // One record per key update, as a producer sending one event per record would.
    for (let k = 2; k < 2 + batches; k++)
      costs.push(await driver.batch(k, split(randomKeys(recordsPerSec, stateKeys, r)), 1));
    const deltas = costs.filter((c) => c.snapshotWcu === 0);
    const deltaCloseWcu = mean(deltas.map((c) => c.closeWcu));
    const period = Math.max(1, Math.ceil((2 * load.snapshotWcu) / Math.max(1, deltaCloseWcu)));
    const wcu = mean(deltas.map((c) => c.mapWcu + c.closeWcu)) + load.snapshotWcu / period;
    const rcu = mean(costs.map((c) => c.mapRcu + c.closeRcu));
    const requests = mean(costs.map((c) => c.requests));
    const mapCpuMs = (1000 * mean(costs.map((c) => c.mapCpu))) / shards.length;
    const batchesPerMillion = 1e6 / recordsPerSec;
    const perMillion = (perBatch: number) => perBatch * batchesPerMillion;
    const dynamo = perMillion(
      (wcu * PRICES.dynamoPerMillionWriteUnits + rcu * PRICES.dynamoPerMillionReadUnits) / 1e6,
    );
    // Map-phase invocations: one per shard and batch; each waits for its three requests.
    const mapRequestsPerInvocation = 3;
    const billedSeconds = (mapCpuMs + mapRequestsPerInvocation * DYNAMO_LATENCY_MS) / 1000;
    const lambdaRequests =
      perMillion((shards.length * PRICES.lambdaPerMillionRequests) / 1e6) +
      (batchesPerMillion / 60) * (PRICES.lambdaPerMillionRequests / 1e6);
    const lambdaDuration = perMillion(shards.length * billedSeconds * LAMBDA_GB * PRICES.lambdaPerGbSecond);
    const closer = batchesPerMillion * LAMBDA_GB * PRICES.lambdaPerGbSecond;
    // Every item lives for the retention (1 hour) after it is written: what an hour writes is stored.
    const storedBytesAfterHour =
      (mean(deltas.map((c) => c.bytesWritten)) + (load.snapshotWcu * 1024) / period) * 3600;
    return {
      recordsPerSec,
      stateKeys,
      shards: shards.length,
      wcu,
      rcu,
      requests,
      mapCpuMsPerInvocation: mapCpuMs,
      dynamo,
      lambdaRequests,
      lambdaDuration,
      closer,
      total: dynamo + lambdaRequests + lambdaDuration + closer,
      flinkFloor: PRICES.flinkFloorPerHour / ((3600 * recordsPerSec) / 1e6),
      storedBytesAfterHour,
      storageDollarsPerMonth: (storedBytesAfterHour / 1e9) * PRICES.dynamoPerGbMonth,
    };
  } finally {
    await db.stop();
  }
}

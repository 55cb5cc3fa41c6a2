/**
 * What the state benchmarks share: dynalite from the local stack's emulators, a store wrapper that
 * attributes write and read units to partition keys (for the hottest key), and a driver that runs
 * batches of records through the serverless engine with a warm or cold closer and measures each
 * batch: DynamoDB capacity (dynalite's ConsumedCapacity), requests, the closer's CPU time.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ServerlessEngine,
  definePipeline,
  type KinesisInputRecord,
  type Pipeline,
  type StoreItem,
} from '../lib';
import { startEmulators } from '../lib/local/emulators';
import { dynamoClient } from '../lib/local/clients';
import { DynamoDbStateStore, ForwardingStore, createStateTable } from '../lib/state';
import type { Condition, QueryOptions } from '../lib/state/types';
import { itemBytes } from '../lib/state/item';
import { cpuNow } from './data';

/** dynalite in this process and a client for it. */
export async function startDynalite(): Promise<{ client: DynamoDBClient; stop: () => Promise<void> }> {
  const emulators = await startEmulators({ services: ['dynamodb'] });
  const client = dynamoClient({ endpoint: emulators.dynamoEndpoint });
  return {
    client,
    stop: async () => {
      client.destroy();
      await emulators.stop();
    },
  };
}

/** Write units of an item as DynamoDB bills a put (1 KB each, at least one). */
const wcu = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));
/** Strongly consistent read units (4 KB each). */
const rcu = (bytes: number) => bytes / 4096;

/** A store that also adds up write and read units per partition key (estimated from item sizes). */
export class MeteredStore extends ForwardingStore {
  readonly writesByPk = new Map<string, number>();
  readonly readsByPk = new Map<string, number>();

  private wrote(items: StoreItem[]) {
    for (const i of items) this.writesByPk.set(i.pk, (this.writesByPk.get(i.pk) ?? 0) + wcu(itemBytes(i)));
  }
  private read(pk: string, items: (StoreItem | undefined)[]) {
    const bytes = items.reduce((n, i) => n + (i ? itemBytes(i) : 0), 0);
    this.readsByPk.set(pk, (this.readsByPk.get(pk) ?? 0) + Math.max(1, Math.ceil(rcu(bytes))));
  }
  override async get(pk: string, sk: string) {
    const item = await this.inner.get(pk, sk);
    this.read(pk, [item]);
    return item;
  }
  override async query(pk: string, options?: QueryOptions) {
    const items = await this.inner.query(pk, options);
    this.read(pk, items);
    return items;
  }
  override async put(item: StoreItem, condition?: Condition) {
    const ok = await this.inner.put(item, condition);
    this.wrote([item]);
    return ok;
  }
  override async putAll(items: StoreItem[]) {
    await this.inner.putAll(items);
    this.wrote(items);
  }
  override resetStats() {
    this.inner.resetStats();
    this.writesByPk.clear();
    this.readsByPk.clear();
  }
  /** Write units (estimated) to partition keys containing `part`, since the last reset. */
  writesMatching(part: string): number {
    let n = 0;
    for (const [pk, u] of this.writesByPk) if (pk.includes(part)) n += u;
    return n;
  }

  /** The partition key with the most write units, and the most read units, since the last reset. */
  hottest(): { write: [string, number]; read: [string, number] } {
    const top = (m: Map<string, number>) =>
      Array.from(m).reduce<[string, number]>((a, b) => (b[1] > a[1] ? b : a), ['', 0]);
    return { write: top(this.writesByPk), read: top(this.readsByPk) };
  }
}

/** A fresh DynamoDB table on `client`, behind a metered store, on `clock`. */
export async function meteredTable(
  client: DynamoDBClient,
  name: string,
  clock: { now: number },
): Promise<MeteredStore> {
  await createStateTable(client, name);
  return new MeteredStore(new DynamoDbStateStore({ client, tableName: name, now: () => clock.now }));
}

/** What one batch cost. */
export interface BatchCost {
  batchTime: number;
  mapWcu: number;
  mapRcu: number;
  closeWcu: number;
  closeRcu: number;
  requests: number;
  /** CPU seconds of the close. */
  closeCpu: number;
  /** CPU seconds of the map phases. */
  mapCpu: number;
  hottestWrite: [string, number];
  hottestRead: [string, number];
  /** Write units of snapshot pages in this batch (0: no snapshot). */
  snapshotWcu: number;
  /** Bytes of the items the batch wrote. */
  bytesWritten: number;
}

/** Drives batches through the engine: map phases for each shard's records, then the close. */
export class BatchDriver {
  readonly mapper: ServerlessEngine;
  private closer: ServerlessEngine;
  private static seq = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;

  /**
   * @param clock the engines' and the store's clock (ms), shared by drivers of one table
   * @param cold a new closer for every batch (nothing kept in memory)
   */
  constructor(
    readonly pipeline: Pipeline,
    readonly store: MeteredStore,
    readonly shards: string[],
    readonly clock: { now: number },
    readonly base = 1_700_000_000_000,
    private readonly cold = false,
  ) {
    const options = {
      store,
      now: () => clock.now,
      listShards: async () => shards,
      log: () => undefined,
    };
    this.mapper = new ServerlessEngine(pipeline, options);
    this.closer = new ServerlessEngine(pipeline, options);
    this.makeCloser = () => new ServerlessEngine(pipeline, options);
  }
  private readonly makeCloser: () => ServerlessEngine;

  /**
   * Runs batch `k` (time base + k s): each shard gets one invocation with its lines, `linesPerRecord`
   * lines to a record; then the batch closes (lateness 0.1 s, the shards idle). Returns its cost.
   */
  async batch(k: number, linesByShard: string[][], linesPerRecord = 10): Promise<BatchCost> {
    const t = this.base + k * 1000;
    this.store.resetStats();
    this.clock.now = t - 100;
    const cpu0 = cpuNow();
    for (let s = 0; s < this.shards.length; s++) {
      const lines = linesByShard[s] ?? [];
      const records: KinesisInputRecord[] = [];
      for (let i = 0; i < lines.length; i += linesPerRecord) {
        BatchDriver.seq += 1n;
        records.push({
          shardId: this.shards[s],
          sequenceNumber: BatchDriver.seq.toString(),
          arrivalMs: t - 900 + Math.floor((800 * i) / Math.max(1, lines.length)),
          data: Buffer.from(lines.slice(i, i + linesPerRecord).join('\n'), 'utf8'),
        });
      }
      if (records.length) await this.mapper.mapPhase(records);
    }
    const mapCpu = cpuNow() - cpu0;
    const afterMap = this.store.stats();
    const mapHot = this.store.hottest();
    this.clock.now = t + 200;
    if (this.cold) this.closer = this.makeCloser();
    const cpu1 = cpuNow();
    const closed = await this.closer.closeReady();
    const closeCpu = cpuNow() - cpu1;
    if (!closed.includes(t)) throw new Error(`batch ${t} did not close (closed ${closed.join(', ')})`);
    const s = this.store.stats();
    const hot = this.store.hottest();
    return {
      batchTime: t,
      mapWcu: afterMap.writeCapacityUnits,
      mapRcu: afterMap.readCapacityUnits,
      closeWcu: s.writeCapacityUnits - afterMap.writeCapacityUnits,
      closeRcu: s.readCapacityUnits - afterMap.readCapacityUnits,
      requests: s.totalRequests,
      closeCpu,
      mapCpu,
      hottestWrite: hot.write[1] >= mapHot.write[1] ? hot.write : mapHot.write,
      hottestRead: hot.read,
      snapshotWcu: this.store.writesMatching('#snap#'),
      bytesWritten: s.bytesWritten,
    };
  }
}

/** `n` keys `k0000000`... of a space of `space` keys, drawn uniformly with `r`. */
export function randomKeys(n: number, space: number, r: () => number): string[] {
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = `k${String(Math.floor(r() * space)).padStart(7, '0')}`;
  return out;
}

/** Every key of a space of `n`, in order. */
export function allKeys(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `k${String(i).padStart(7, '0')}`);
}

/** Mean of numbers. */
export function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
}

/** Running totals (updateStateByKey) of one-key lines: the state benchmarks' pipeline. */
export function runningTotals(name: string): Pipeline {
  return definePipeline({ name, batchInterval: 1, allowedLateness: 0.1 }, (ssc) => {
    ssc
      .kinesisTextStream()
      .map((k) => [k, 1] as [string, number])
      .updateStateByKey((vs: number[], s?: number) => (s ?? 0) + vs.length)
      .foreachRDD(() => undefined);
  });
}

/** `keys` dealt to `shards` shards in turn. */
export function dealKeys(keys: string[], shards: number): string[][] {
  const out: string[][] = Array.from({ length: shards }, () => []);
  keys.forEach((k, i) => out[i % shards].push(k));
  return out;
}

/**
 * Fixtures for the lib/local tests: an embedded kinesalite per test file, streams with unique
 * names, a reader of whole shards, and a look at the handles the process holds.
 */
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { kinesisClient } from '../../lib/local/clients';
import { ensureStream, startEmulators } from '../../lib/local/emulators';
import type { Emulators } from '../../lib/local/emulators';

/** A running kinesalite and a client for it. */
export interface KinesisFixture {
  emulators: Emulators;
  endpoint: string;
  client: KinesisClient;
  /** Creates a stream with a fresh name; returns the name. */
  newStream(shards: number): Promise<string>;
  stop(): Promise<void>;
}

let streamCounter = 0;

/** Starts kinesalite alone (faster than all three emulators). */
export async function startKinesis(): Promise<KinesisFixture> {
  const emulators = await startEmulators({ services: ['kinesis'] });
  const client = kinesisClient({ endpoint: emulators.kinesisEndpoint });
  return {
    emulators,
    endpoint: emulators.kinesisEndpoint,
    client,
    async newStream(shards) {
      const name = `test-${process.pid}-${++streamCounter}`;
      await ensureStream(client, name, shards);
      return name;
    },
    async stop() {
      client.destroy();
      await emulators.stop();
    },
  };
}

/** A record as read back from a shard. */
export interface ReadRecord {
  sequenceNumber: string;
  partitionKey: string;
  text: string;
  /** The raw bytes (a KPL aggregate is not text). */
  data: Buffer;
}

/** Every record of every shard, read from TRIM_HORIZON to the current end, by shard id. */
export async function readStream(
  client: KinesisClient,
  streamName: string,
): Promise<Map<string, ReadRecord[]>> {
  const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: streamName }));
  const out = new Map<string, ReadRecord[]>();
  for (const shard of Shards) {
    const records: ReadRecord[] = [];
    let { ShardIterator: iterator } = await client.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    while (iterator) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const r of page.Records ?? []) {
        records.push({
          sequenceNumber: r.SequenceNumber ?? '',
          partitionKey: r.PartitionKey ?? '',
          text: Buffer.from(r.Data ?? new Uint8Array()).toString('utf8'),
          data: Buffer.from(r.Data ?? new Uint8Array()),
        });
      }
      if ((page.Records ?? []).length === 0) break;
      iterator = page.NextShardIterator;
    }
    out.set(shard.ShardId as string, records);
  }
  return out;
}

/** Handles that keep the process alive (servers, sockets, timers), stdio excluded. */
export function liveResources(): string[] {
  return process
    .getActiveResourcesInfo()
    .filter((r) => r !== 'TTYWrap' && r !== 'PipeWrap' && r !== 'FSReqCallback' && r !== 'FSEventWrap');
}

/** Waits until `cond()` holds, polling every 10 ms; throws after `timeoutMs`. */
export async function waitFor(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `line-0000` ... numbered lines, so order is visible in the text. */
export function numberedLines(count: number, prefix = 'line'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`);
}

import type {
  PutRecordsCommand,
  PutRecordsCommandOutput,
  PutRecordsResultEntry,
} from '@aws-sdk/client-kinesis';
import { ProducerError, RecordTooLargeError } from '../../lib/local/errors';
import { produce, PUT_RECORDS_LIMITS } from '../../lib/local/producer';
import type { PutRecordsClient } from '../../lib/local/producer';
import { kplDeaggregate } from '../helpers/kpl';
import { numberedLines, readStream, startKinesis } from './fixtures';
import type { KinesisFixture } from './fixtures';

/** A PutRecords stub: records every call; `fail(call, text)` decides an entry's error code. */
class StubKinesis implements PutRecordsClient {
  readonly calls: Array<{ texts: string[]; keys: string[]; bytes: number; at: number }> = [];
  private sequence = 0;

  constructor(private readonly fail: (call: number, text: string) => string | undefined = () => undefined) {}

  async send(command: PutRecordsCommand): Promise<PutRecordsCommandOutput> {
    const entries = command.input.Records ?? [];
    const texts = entries.map((e) => Buffer.from(e.Data as Uint8Array).toString('utf8'));
    const keys = entries.map((e) => e.PartitionKey as string);
    const bytes = entries.reduce(
      (sum, e) => sum + (e.Data as Uint8Array).length + Buffer.byteLength(e.PartitionKey ?? ''),
      0,
    );
    const call = this.calls.push({ texts, keys, bytes, at: Date.now() }) - 1;
    const results: PutRecordsResultEntry[] = texts.map((text) => {
      const code = this.fail(call, text);
      return code
        ? { ErrorCode: code, ErrorMessage: `Rate exceeded for shard shardId-000000000000 (${code})` }
        : { SequenceNumber: String(++this.sequence), ShardId: 'shardId-000000000000' };
    });
    return { Records: results, FailedRecordCount: results.filter((r) => r.ErrorCode).length, $metadata: {} };
  }
}

describe('produce against kinesalite', () => {
  let kinesis: KinesisFixture;
  beforeAll(async () => {
    kinesis = await startKinesis();
  });
  afterAll(() => kinesis.stop());

  test('sends 1,200 lines to a 2-shard stream in calls of 500; all read back, in order per shard', async () => {
    const stream = await kinesis.newStream(2);
    const lines = numberedLines(1200);
    const progress: number[] = [];

    const result = await produce(lines, {
      client: kinesis.client,
      streamName: stream,
      partitionKey: 'random',
      onProgress: (p) => progress.push(p.sent),
    });

    expect(result).toEqual({ sent: 1200, calls: 3, retries: 0 });
    expect(progress).toEqual([500, 1000, 1200]);
    const shards = [...(await readStream(kinesis.client, stream)).values()];
    expect(shards).toHaveLength(2);
    for (const records of shards) {
      expect(records.length).toBeGreaterThan(0);
      const texts = records.map((r) => r.text);
      expect(texts).toEqual([...texts].sort());
    }
    expect(
      shards
        .flat()
        .map((r) => r.text)
        .sort(),
    ).toEqual(lines);
  });

  test("partitionKey 'line' sends equal lines to the same shard", async () => {
    const stream = await kinesis.newStream(2);
    const lines = Array.from({ length: 200 }, (_, i) => `word-${i % 10}`);
    await produce(lines, { client: kinesis.client, streamName: stream, partitionKey: 'line' });
    const shardOf = new Map<string, string>();
    for (const [shardId, records] of await readStream(kinesis.client, stream)) {
      for (const r of records) {
        expect(r.partitionKey).toBe(r.text);
        expect(shardOf.get(r.text) ?? shardId).toBe(shardId);
        shardOf.set(r.text, shardId);
      }
    }
    expect(shardOf.size).toBe(10);
  });

  test('aggregate packs lines into KPL records that aws-kinesis-agg reads back, each in input order', async () => {
    const stream = await kinesis.newStream(2);
    const lines = numberedLines(1000);
    const result = await produce(lines, {
      client: kinesis.client,
      streamName: stream,
      aggregate: true,
      aggregateMaxBytes: 4000,
    });
    const records = [...(await readStream(kinesis.client, stream)).values()].flat();
    // 1,000 lines of 10 bytes at most 4,000 bytes an aggregate (lines and framing): a few records.
    expect(records.length).toBeGreaterThanOrEqual(1000 / Math.floor(4000 / 10));
    expect(records.length).toBeLessThan(20);
    expect(result).toEqual({ sent: records.length, linesSent: 1000, calls: 1, retries: 0 });
    const read = records.flatMap((r) => {
      const users = kplDeaggregate(r.data);
      for (const u of users) expect(u.partitionKey).toBe(r.partitionKey);
      const texts = users.map((u) => u.data.toString());
      expect(texts).toEqual([...texts].sort());
      return texts;
    });
    expect(read.sort()).toEqual(lines);
    for (const r of records) expect(r.data.length).toBeLessThanOrEqual(4000 + 20);
  });
});

describe('produce retries, limits and errors (stub client)', () => {
  test('only the entries that failed are sent again, with backoff, until all are in', async () => {
    // Every 7th line is throttled on its first two sends.
    const sends = new Map<string, number>();
    const stub = new StubKinesis((_call, text) => {
      const n = (sends.get(text) ?? 0) + 1;
      sends.set(text, n);
      return Number(text.slice(5)) % 7 === 0 && n <= 2 ? 'ProvisionedThroughputExceededException' : undefined;
    });
    const lines = numberedLines(20);

    const result = await produce(lines, { client: stub, streamName: 's', baseDelayMs: 1, maxDelayMs: 5 });

    expect(stub.calls.map((c) => c.texts)).toEqual([
      lines,
      ['line-00000', 'line-00007', 'line-00014'],
      ['line-00000', 'line-00007', 'line-00014'],
    ]);
    expect(result).toEqual({ sent: 20, calls: 3, retries: 6 });
  });

  test('entries still failing after maxAttempts give a ProducerError with the count and last error code', async () => {
    const stub = new StubKinesis((_call, text) =>
      text.endsWith('3') || text.endsWith('5') ? 'InternalFailure' : undefined,
    );
    const error = await produce(numberedLines(10), {
      client: stub,
      streamName: 's',
      maxAttempts: 3,
      baseDelayMs: 1,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProducerError);
    expect(error).toMatchObject({ failedCount: 2, lastErrorCode: 'InternalFailure', sent: 8 });
    expect((error as Error).message).toMatch(
      /2 records could not be delivered to stream 's' after 3 attempts/,
    );
    expect(stub.calls).toHaveLength(3);
  });

  test('a call rejected outright (missing stream) is a ProducerError that says how to fix it', async () => {
    const missing: PutRecordsClient = {
      send: async () => {
        throw Object.assign(new Error('Stream nope under account 000000000000 not found.'), {
          name: 'ResourceNotFoundException',
        });
      },
    };
    await expect(produce(['a'], { client: missing, streamName: 'nope' })).rejects.toThrow(
      /failed for all 1 records.*ResourceNotFoundException.*does not exist.*create-stream --stream-name nope/,
    );
  });

  test('a line over 1 MiB is refused with its line number, before anything of its call is sent', async () => {
    const stub = new StubKinesis();
    const big = 'x'.repeat(PUT_RECORDS_LIMITS.bytesPerRecord);
    const lines = [...numberedLines(550), big, 'after'];

    const error = await produce(lines, { client: stub, streamName: 's', partitionKey: 'random' }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(RecordTooLargeError);
    expect(error).toMatchObject({ lineNumber: 551, sent: 500 });
    expect((error as Error).message).toMatch(
      /Line 551 is \d+ bytes.*lines 1 to 500 were delivered, lines 501 to 551 were not/,
    );
    expect(stub.calls.map((c) => c.texts.length)).toEqual([500]);
  });

  test('calls stay within 5 MiB of data plus keys', async () => {
    const stub = new StubKinesis();
    const line = 'y'.repeat(300 * 1024);
    const result = await produce(
      Array.from({ length: 40 }, () => line),
      { client: stub, streamName: 's' },
    );
    expect(result.sent).toBe(40);
    for (const call of stub.calls) expect(call.bytes).toBeLessThanOrEqual(PUT_RECORDS_LIMITS.bytesPerCall);
    expect(stub.calls.map((c) => c.texts.length)).toEqual([17, 17, 6]);
  });

  test('lines of a slow async input go out without waiting for a full call (typing on a terminal)', async () => {
    const stub = new StubKinesis();
    async function* typed() {
      yield 'first';
      yield 'second';
      await new Promise((r) => setTimeout(r, 200));
      expect(stub.calls.map((c) => c.texts)).toEqual([['first', 'second']]);
      yield 'third';
    }
    const result = await produce(typed(), { client: stub, streamName: 's', lingerMs: 20 });
    expect(stub.calls.map((c) => c.texts)).toEqual([['first', 'second'], ['third']]);
    expect(result.sent).toBe(3);
  });

  test('rate limits lines per second, in small calls', async () => {
    const stub = new StubKinesis();
    const started = Date.now();
    await produce(numberedLines(60), { client: stub, streamName: 's', rate: 200 });
    const elapsed = Date.now() - started;
    // 60 lines at 200/s: the last call (lines 40-59) is due at 200 ms.
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(stub.calls.map((c) => c.texts.length)).toEqual([20, 20, 20]);
  });

  test('invalid options are refused with what was wrong', async () => {
    const stub = new StubKinesis();
    await expect(produce(['a'], { client: stub, streamName: 's', rate: 0 })).rejects.toThrow(
      /rate must be a positive number/,
    );
    await expect(produce(['a'], { client: stub, streamName: '' })).rejects.toThrow(/streamName is required/);
    await expect(
      produce(['a'], { client: stub, streamName: 's', aggregate: true, partitionKey: 'line' }),
    ).rejects.toThrow(/Use partitionKey 'random' with aggregate/);
    await expect(
      produce(['a'], { client: stub, streamName: 's', aggregate: true, aggregateMaxBytes: 0 }),
    ).rejects.toThrow(/aggregateMaxBytes must be an integer from 1 to 1048576, got 0/);
  });

  test('aggregate: a slow input still goes out at once, the lines typed so far in one record', async () => {
    const stub = new StubKinesis();
    async function* typed() {
      yield 'a';
      yield 'b';
      await new Promise((r) => setTimeout(r, 150));
      yield 'c';
    }
    const result = await produce(typed(), { client: stub, streamName: 's', aggregate: true, lingerMs: 20 });
    expect(result).toEqual({ sent: 2, linesSent: 3, calls: 2, retries: 0 });
    expect(stub.calls.map((c) => c.texts.length)).toEqual([1, 1]);
  });
});

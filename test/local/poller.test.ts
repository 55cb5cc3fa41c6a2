import { DescribeStreamSummaryCommand, ListShardsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { kinesisClient } from '../../lib/local/clients';
import { ensureStream } from '../../lib/local/emulators';
import { PollerConfigError, PollerError, PollerTimeoutError } from '../../lib/local/errors';
import { KinesisPoller } from '../../lib/local/poller';
import type { BatchStats, FailedBatch, KinesisPollerOptions } from '../../lib/local/poller';
import { produce } from '../../lib/local/producer';
import { compareSequenceNumbers } from '../../lib/local/sequence';
import { makeKinesisRecord, recordText } from '../helpers/kinesis';
import { liveResources, numberedLines, startKinesis, waitFor } from './fixtures';
import type { KinesisFixture } from './fixtures';

type Respond = (
  event: KinesisStreamEvent,
  call: number,
) => Promise<KinesisStreamBatchResponse | void> | KinesisStreamBatchResponse | void;

/** A handler that keeps every event it gets; `respond` decides what each call returns or throws. */
function recorder(respond: Respond = () => undefined) {
  const events: KinesisStreamEvent[] = [];
  const handler = async (event: KinesisStreamEvent) => {
    events.push(event);
    return respond(event, events.length - 1);
  };
  const texts = (e: KinesisStreamEvent) => e.Records.map(recordText);
  return {
    events,
    handler,
    texts,
    sizes: () => events.map((e) => e.Records.length),
    all: () => events.flatMap(texts),
  };
}

describe('KinesisPoller', () => {
  let kinesis: KinesisFixture;
  const pollers: KinesisPoller[] = [];

  beforeAll(async () => {
    kinesis = await startKinesis();
  });
  afterEach(async () => {
    await Promise.all(pollers.splice(0).map((p) => p.stop()));
  });
  afterAll(() => kinesis.stop());

  /** A poller on `stream`, fast polling, stopped after the test. */
  function poller(
    stream: string,
    opts: Partial<KinesisPollerOptions> & Pick<KinesisPollerOptions, 'handler'>,
  ): KinesisPoller {
    const p = new KinesisPoller({ client: kinesis.client, streamName: stream, pollIntervalMs: 10, ...opts });
    pollers.push(p);
    return p;
  }

  async function streamWith(shards: number, lines: string[]): Promise<string> {
    const stream = await kinesis.newStream(shards);
    if (lines.length > 0) await produce(lines, { client: kinesis.client, streamName: stream });
    return stream;
  }

  test('delivers every record once, in order within each shard, as real KinesisStreamRecords', async () => {
    const lines = numberedLines(1000);
    const stream = await streamWith(2, lines);
    const { events, handler, all } = recorder();
    const p = poller(stream, { handler });
    await p.start();
    await p.runUntilIdle({ timeoutMs: 10_000 });

    expect(all().sort()).toEqual(lines);
    const byShard = new Map<string, KinesisStreamRecord[]>();
    for (const event of events) {
      expect(event.Records.length).toBeLessThanOrEqual(100);
      const shards = new Set(event.Records.map((r) => r.eventID.split(':')[0]));
      expect(shards.size).toBe(1); // one shard per event
      const [shard] = shards;
      byShard.set(shard, [...(byShard.get(shard) ?? []), ...event.Records]);
    }
    expect(byShard.size).toBe(2);
    for (const records of byShard.values()) {
      for (let i = 1; i < records.length; i++) {
        expect(
          compareSequenceNumbers(records[i - 1].kinesis.sequenceNumber, records[i].kinesis.sequenceNumber),
        ).toBeLessThan(0);
        expect(recordText(records[i - 1]) < recordText(records[i])).toBe(true);
      }
    }

    const record = events[0].Records[0];
    const { StreamDescriptionSummary } = await kinesis.client.send(
      new DescribeStreamSummaryCommand({ StreamName: stream }),
    );
    expect(Object.keys(record).sort()).toEqual(Object.keys(makeKinesisRecord('x')).sort());
    expect(record).toMatchObject({
      eventSource: 'aws:kinesis',
      eventName: 'aws:kinesis:record',
      eventVersion: '1.0',
      eventSourceARN: StreamDescriptionSummary?.StreamARN,
      awsRegion: 'us-east-1',
      eventID: `${record.eventID.split(':')[0]}:${record.kinesis.sequenceNumber}`,
      kinesis: { kinesisSchemaVersion: '1.0' },
    });
    expect(record.eventID).toMatch(/^shardId-\d{12}:\d+$/);
    expect(Math.abs(record.kinesis.approximateArrivalTimestamp - Date.now() / 1000)).toBeLessThan(60);
  });

  test('batches hold at most batchSize records', async () => {
    const stream = await streamWith(1, numberedLines(250));
    const { handler, sizes } = recorder();
    const p = poller(stream, { handler, batchSize: 100 });
    await p.start();
    await p.runUntilIdle();
    expect(sizes()).toEqual([100, 100, 50]);
  });

  test('the batching window gathers records that arrive over time into one batch', async () => {
    const stream = await kinesis.newStream(1);
    const { handler, sizes, all } = recorder();
    const p = poller(stream, { handler, maximumBatchingWindowInSeconds: 2 });
    await p.start();
    for (const line of numberedLines(5)) {
      await produce([line], { client: kinesis.client, streamName: stream });
      await new Promise((r) => setTimeout(r, 50));
    }
    await waitFor(() => sizes().length > 0, 5000, 'the first batch');
    await p.runUntilIdle();
    expect(sizes()).toEqual([5]);
    expect(all()).toEqual(numberedLines(5));
  });

  test('without a window, records arriving over time go in separate batches', async () => {
    const stream = await kinesis.newStream(1);
    const { handler, sizes } = recorder();
    const p = poller(stream, { handler });
    await p.start();
    for (const line of numberedLines(3)) {
      await produce([line], { client: kinesis.client, streamName: stream });
      await waitFor(
        () => sizes().length > 0 && sizes().reduce((a, b) => a + b) === Number(line.slice(5)) + 1,
        5000,
      );
    }
    expect(sizes()).toEqual([1, 1, 1]);
  });

  test('batchItemFailures: checkpoints before the lowest failed record and redelivers from it', async () => {
    const stream = await streamWith(1, numberedLines(10));
    const { events, handler, texts } = recorder((event, call) =>
      call === 0
        ? {
            batchItemFailures: [7, 4, 9].map((i) => ({
              itemIdentifier: event.Records[i].kinesis.sequenceNumber,
            })),
          }
        : undefined,
    );
    const stats: BatchStats[] = [];
    const p = poller(stream, { handler, onBatch: (s) => stats.push(s) });
    await p.start();
    await p.runUntilIdle();

    expect(events.map(texts)).toEqual([numberedLines(10), numberedLines(10).slice(4)]);
    expect(stats.map((s) => [s.outcome, s.records, s.retry])).toEqual([
      ['partial', 10, 0],
      ['success', 6, 1],
    ]);
    expect(Object.values(p.getCheckpoints())).toEqual([events[0].Records[9].kinesis.sequenceNumber]);
  });

  test('an invalid itemIdentifier fails the whole batch', async () => {
    const stream = await streamWith(1, numberedLines(4));
    const { handler, sizes } = recorder((_e, call) =>
      call === 0 ? { batchItemFailures: [{ itemIdentifier: '' }] } : undefined,
    );
    const stats: BatchStats[] = [];
    const p = poller(stream, { handler, bisectBatchOnFunctionError: false, onBatch: (s) => stats.push(s) });
    await p.start();
    await p.runUntilIdle();
    expect(sizes()).toEqual([4, 4]);
    expect(stats[0]).toMatchObject({
      outcome: 'failed',
      error: expect.stringMatching(/itemIdentifier "" is not a sequence number/),
    });
  });

  test('a throwing handler: bisect isolates the bad record, retries are bounded, onFailure gets it, the shard moves on', async () => {
    const lines = numberedLines(8);
    const stream = await streamWith(1, lines);
    const { events, handler, texts } = recorder((event) => {
      if (event.Records.some((r) => recordText(r) === 'line-00005'))
        throw new Error('cannot parse line-00005');
    });
    const failures: FailedBatch[] = [];
    const p = poller(stream, {
      handler,
      maximumRetryAttempts: 2,
      onFailure: async (f) => void failures.push(f),
    });
    await p.start();
    await p.runUntilIdle();

    expect(events.map(texts)).toEqual([
      lines, // fails: split
      lines.slice(0, 4), // ok
      lines.slice(4), // fails: split
      lines.slice(4, 6), // fails: split
      ['line-00004'], // ok
      ['line-00005'], // fails, then 2 retries
      ['line-00005'],
      ['line-00005'],
      ['line-00006', 'line-00007'], // the shard moves on
    ]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      reason: 'RetryAttemptsExhausted',
      batchSize: 1,
      attempts: 3,
      lastError: 'Error: cannot parse line-00005',
      startSequenceNumber: failures[0].records[0].kinesis.sequenceNumber,
      endSequenceNumber: failures[0].records[0].kinesis.sequenceNumber,
    });
    expect(recordText(failures[0].records[0])).toBe('line-00005');
  });

  test('without bisect, a failing batch is retried maximumRetryAttempts times, then discarded whole', async () => {
    const stream = await streamWith(1, numberedLines(6));
    const { handler, sizes } = recorder(() => {
      throw new Error('down');
    });
    const failures: FailedBatch[] = [];
    const p = poller(stream, {
      handler,
      bisectBatchOnFunctionError: false,
      maximumRetryAttempts: 1,
      onFailure: async (f) => void failures.push(f),
    });
    await p.start();
    await p.runUntilIdle();
    expect(sizes()).toEqual([6, 6]);
    expect(failures.map((f) => [f.reason, f.batchSize, f.attempts])).toEqual([
      ['RetryAttemptsExhausted', 6, 2],
    ]);
  });

  test('records older than maximumRecordAgeInSeconds go to onFailure without an invocation', async () => {
    const stream = await streamWith(1, numberedLines(3));
    await new Promise((r) => setTimeout(r, 1600));
    await produce(['fresh'], { client: kinesis.client, streamName: stream });
    const { all, handler } = recorder();
    const failures: FailedBatch[] = [];
    const p = poller(stream, {
      handler,
      maximumRecordAgeInSeconds: 1,
      onFailure: async (f) => void failures.push(f),
    });
    await p.start();
    await p.runUntilIdle();
    expect(all()).toEqual(['fresh']);
    expect(failures.map((f) => [f.reason, f.records.map(recordText), f.attempts])).toEqual([
      ['RecordAgeExceeded', numberedLines(3), 0],
    ]);
  });

  test('runUntilIdle resolves at the current end of every shard, and again after more records', async () => {
    const stream = await streamWith(2, numberedLines(100, 'a'));
    const { all, handler } = recorder();
    const p = poller(stream, { handler });
    await p.start();
    await p.runUntilIdle();
    expect(all()).toHaveLength(100);
    await produce(numberedLines(50, 'b'), { client: kinesis.client, streamName: stream });
    await p.runUntilIdle();
    expect(all()).toHaveLength(150);
  });

  test('runUntilIdle times out naming the shard whose batch is still in flight', async () => {
    const stream = await streamWith(1, ['slow']);
    let release = () => {};
    const handler = () => new Promise<void>((resolve) => (release = resolve));
    const p = poller(stream, { handler });
    await p.start();
    await expect(p.runUntilIdle({ timeoutMs: 300 })).rejects.toThrow(PollerTimeoutError);
    await expect(p.runUntilIdle({ timeoutMs: 300 })).rejects.toThrow(
      /shardId-000000000000: a batch is being gathered or delivered/,
    );
    release();
    await p.runUntilIdle();
  });

  test('stop waits for the batch in flight, then nothing runs: no invocation, no timer, no socket', async () => {
    const stream = await streamWith(1, numberedLines(300));
    const baseline = liveResources();
    const count = (resources: string[], kind: string) => resources.filter((r) => r === kind).length;
    // Its own client, so that its sockets can be counted out after stop.
    const client = kinesisClient({ endpoint: kinesis.endpoint });
    let inFlight = 0;
    let afterStop = 0;
    let stopped = false;
    const p = poller(stream, {
      client,
      handler: async () => {
        if (stopped) afterStop += 1;
        inFlight += 1;
        await new Promise((r) => setTimeout(r, 150));
        inFlight -= 1;
      },
      tick: async () => undefined,
      tickIntervalMs: 20,
    });
    await p.start();
    await waitFor(() => inFlight === 1, 5000, 'a batch in flight');
    const stopping = p.stop();
    stopped = true;
    expect(inFlight).toBe(1);
    await stopping;
    expect(inFlight).toBe(0);
    client.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(afterStop).toBe(0);
    // Timers: jest's own per-test timer is in the baseline too. Timers of HTTP requests still
    // finishing (the SDK's, the emulator's) clear shortly, on a busy machine not at once; a timer
    // the poller left (a tick interval, a poll delay) would stay.
    await waitFor(
      () => count(liveResources(), 'Timeout') <= count(baseline, 'Timeout'),
      2000,
      `timers back to the baseline (${JSON.stringify(baseline)}, now ${JSON.stringify(liveResources())})`,
    );
    await waitFor(
      () => count(liveResources(), 'TCPSocketWrap') <= count(baseline, 'TCPSocketWrap'),
      2000,
      `sockets back to the baseline (${JSON.stringify(baseline)}, now ${JSON.stringify(liveResources())})`,
    );
    await expect(p.runUntilIdle()).rejects.toThrow(PollerConfigError);
  });

  test('the tick runs every tickIntervalMs, never two at once, and tickNow runs it on demand', async () => {
    const stream = await kinesis.newStream(1);
    let running = 0;
    let overlapped = false;
    let ticks = 0;
    const p = poller(stream, {
      handler: async () => undefined,
      tickIntervalMs: 10,
      tick: async () => {
        running += 1;
        overlapped ||= running > 1;
        await new Promise((r) => setTimeout(r, 30));
        ticks += 1;
        running -= 1;
      },
    });
    await p.start();
    await Promise.all([p.tickNow(), p.tickNow()]);
    await waitFor(() => ticks >= 4, 5000, 'four ticks');
    expect(overlapped).toBe(false);
  });

  test('with tickPhaseMs the tick comes at k * tickIntervalMs + tickPhaseMs of the wall clock (no drift)', async () => {
    const stream = await kinesis.newStream(1);
    const at: number[] = [];
    const p = poller(stream, {
      handler: async () => undefined,
      tickIntervalMs: 200,
      tickPhaseMs: 70,
      tick: async () => {
        at.push(Date.now());
        await new Promise((r) => setTimeout(r, 120)); // a slow tick does not push the next one later
      },
    });
    await p.start();
    await waitFor(() => at.length >= 4, 5000, 'four ticks');
    await p.stop();
    // Each tick starts on its phase (timers fire a little late, never early); they do not drift.
    for (const t of at) expect((t - 70) % 200).toBeLessThan(60);
  });

  test('LATEST skips the records already in the stream', async () => {
    const stream = await streamWith(1, ['old']);
    const { all, handler } = recorder();
    const p = poller(stream, { handler, startingPosition: 'LATEST' });
    await p.start();
    await produce(['new'], { client: kinesis.client, streamName: stream });
    await waitFor(() => all().length > 0, 5000, 'the new record');
    await p.runUntilIdle();
    expect(all()).toEqual(['new']);
  });

  test('resharding: a split shard is read to its end, then its children', async () => {
    const stream = await streamWith(1, numberedLines(20, 'parent'));
    await kinesis.client.send(
      new SplitShardCommand({
        StreamName: stream,
        ShardToSplit: 'shardId-000000000000',
        NewStartingHashKey: (2n ** 127n).toString(),
      }),
    );
    await ensureStream(kinesis.client, stream, 1);
    await produce(numberedLines(40, 'child'), { client: kinesis.client, streamName: stream });
    const { Shards = [] } = await kinesis.client.send(new ListShardsCommand({ StreamName: stream }));
    expect(Shards).toHaveLength(3);

    const { events, handler, all } = recorder();
    const p = poller(stream, { handler });
    await p.start();
    await p.runUntilIdle();

    expect(all().sort()).toEqual([...numberedLines(40, 'child'), ...numberedLines(20, 'parent')]);
    const shardsInOrder = events.map((e) => e.Records[0].eventID.split(':')[0]);
    const lastParent = shardsInOrder.lastIndexOf('shardId-000000000000');
    expect(shardsInOrder.slice(0, lastParent + 1).every((s) => s === 'shardId-000000000000')).toBe(true);
    expect(new Set(shardsInOrder.slice(lastParent + 1))).toEqual(
      new Set(['shardId-000000000001', 'shardId-000000000002']),
    );
  });

  test('start rejects with a clear error when the stream does not exist', async () => {
    const p = poller('no-such-stream', { handler: async () => undefined });
    await expect(p.start()).rejects.toThrow(PollerError);
    await expect(
      new KinesisPoller({
        client: kinesis.client,
        streamName: 'no-such-stream',
        handler: async () => undefined,
      }).start(),
    ).rejects.toThrow(/Could not read stream 'no-such-stream': ResourceNotFoundException.*Create it first/);
  });

  test('options out of range are refused, unbounded retries included', () => {
    const make = (o: Partial<KinesisPollerOptions>) => () =>
      new KinesisPoller({ client: kinesis.client, streamName: 's', handler: async () => undefined, ...o });
    expect(make({ maximumRetryAttempts: -1 })).toThrow(
      /maximumRetryAttempts must be an integer from 0 to 10000, got -1/,
    );
    expect(make({ batchSize: 10_001 })).toThrow(/batchSize must be an integer from 1 to 10000/);
    expect(make({ maximumBatchingWindowInSeconds: 301 })).toThrow(PollerConfigError);
  });

  test('throughput: producer -> kinesalite -> poller, 10,000 records over 2 shards', async () => {
    const stream = await kinesis.newStream(2);
    const lines = numberedLines(10_000);
    let received = 0;
    const p = poller(stream, {
      handler: async (event) => void (received += event.Records.length),
      batchSize: 1000,
    });
    await p.start();
    const started = performance.now();
    await produce(lines, { client: kinesis.client, streamName: stream });
    const produced = performance.now();
    await p.runUntilIdle({ timeoutMs: 30_000 });
    const done = performance.now();
    expect(received).toBe(10_000);
    const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
    console.log(
      `throughput: produce ${rate(10_000, produced - started)} records/s; ` +
        `end to end (produce, poll, invoke) ${rate(10_000, done - started)} records/s over ${Math.round(done - started)} ms`,
    );
  });
});

import { CreateStreamCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { definePipeline } from '../../lib';
import { engineFor } from '../../lib/runtime';
import { kinesisClient } from '../../lib/runtime/clients';
import { startEmulators, type Emulators } from '../../lib/local/emulators';
import { InMemoryStateStore } from '../../lib/state';

// Deployed handlers find the stream's open shards through DSTREAM_STREAM_NAME (set by the CDK
// construct): a batch waits for a shard that has sent nothing yet, instead of closing without it.
const T0 = 1_700_000_000_000;
let emulators: Emulators;
const saved = { ...process.env };

beforeAll(async () => {
  emulators = await startEmulators({ services: ['kinesis'] });
  const k = kinesisClient({ endpoint: emulators.kinesisEndpoint });
  await k.send(new CreateStreamCommand({ StreamName: 'lines', ShardCount: 2 }));
  for (;;) {
    const d = await k.send(new DescribeStreamSummaryCommand({ StreamName: 'lines' }));
    if (d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  k.destroy();
  process.env.DSTREAM_STREAM_NAME = 'lines';
  process.env.AWS_ENDPOINT_URL_KINESIS = emulators.kinesisEndpoint;
});
afterAll(async () => {
  process.env = saved;
  await emulators.stop();
});

test('a batch waits for the shard that sent nothing yet, until its lateness', async () => {
  let now = T0 + 1500;
  const out = new Map<number, number[]>();
  const pipeline = definePipeline({ name: 'ls', batchInterval: 1, allowedLateness: 2 }, (ssc) =>
    ssc
      .kinesisTextStream()
      .count()
      .foreachRDD((rdd, t) => void out.set(t, rdd.collect())),
  );
  const engine = engineFor(pipeline, {
    store: new InMemoryStateStore({ now: () => now }),
    now: () => now,
    metrics: false,
  });
  const rec = (seq: number, ms: number) => ({
    shardId: 'shardId-000000000000',
    sequenceNumber: String(seq),
    arrivalMs: ms,
    data: Buffer.from('x'),
  });
  await engine.mapPhase([rec(1, T0 + 100), rec(2, T0 + 1200)]);
  // shardId-000000000000 is past T0+1 s, but shardId-000000000001 (listed, silent) holds it.
  expect(await engine.closeReady()).toEqual([]);
  now = T0 + 1000 + 2000 + 2000; // past the lateness, and the shard that sent is idle too
  expect(await engine.closeReady()).toContain(T0 + 1000);
  expect(out.get(T0 + 1000)).toEqual([1]);
});

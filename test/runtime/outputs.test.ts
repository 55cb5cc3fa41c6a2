import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { runPipelineInMemory, setMetricEmitter, setPprintWriter } from '../../lib';
import type { MetricDatapoint, Pipeline, StateStore, StoreItem } from '../../lib';
import { closerHandler, kinesisHandler } from '../../lib/runtime';
import type { HandlerOptions } from '../../lib/runtime';
import { powertoolsEmitter } from '../../lib/sinks/cloudwatch';
import { recordsByShard } from '../../lib/sources/kinesis-event';
import { InMemoryStateStore } from '../../lib/state/in-memory-store';
import { ForwardingStore } from '../../lib/state/forwarding-store';
import { makeKinesisEvent } from '../helpers/kinesis';

/**
 * Output operations through the Lambda entry points: saveAsTextFiles to S3
 * (s3rver in process) at deterministic keys, and toCloudWatch datapoints timestamped with the
 * batch time, through a captured emitter and through the default EMF emitter.
 */

const T0 = 1_700_000_000_000;
const BUCKET = 'results';

/** The pieces of s3rver these tests use (it ships no types). */
interface S3rverServer {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}
type S3rverClass = new (options: {
  port: number;
  address: string;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}) => S3rverServer;

let server: S3rverServer;
let directory: string;
let s3: S3Client;
let restorePprint: ReturnType<typeof setPprintWriter>;
const prevBucket = process.env.DSTREAM_BUCKET;

beforeAll(async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require('s3rver') as S3rverClass;
  directory = await mkdtemp(join(tmpdir(), 'dstream-s3rver-'));
  server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: [{ name: BUCKET }],
  });
  const { port } = await server.run();
  s3 = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  // The pipelines in functions/ read DSTREAM_BUCKET when they are defined (each engine's first use).
  process.env.DSTREAM_BUCKET = BUCKET;
  restorePprint = setPprintWriter(() => undefined);
});

afterAll(async () => {
  setPprintWriter(restorePprint);
  if (prevBucket === undefined) delete process.env.DSTREAM_BUCKET;
  else process.env.DSTREAM_BUCKET = prevBucket;
  s3?.destroy();
  await server?.close();
  if (directory) await rm(directory, { recursive: true, force: true });
});

async function readObject(key: string): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return (await out.Body?.transformToString('utf8')) ?? '';
}

async function keysUnder(prefix: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key as string).sort();
}

/** A store whose closer crashes once, right after a batch's outputs and before it is marked done. */
class CrashBeforeDone extends ForwardingStore {
  armed = true;
  override async put(item: StoreItem, condition?: Parameters<StateStore['put']>[1]) {
    if (this.armed && item.sk.endsWith('#done')) {
      this.armed = false;
      throw new Error('closer crashed (injected) after the outputs, before marking the batch done');
    }
    return this.inner.put(item, condition);
  }
}

function loadPipeline(name: 'network-wordcount' | 'windowed-wordcount'): Pipeline {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(`../../functions/${name}/pipeline`) as { default: Pipeline }).default;
}

describe('saveAsTextFiles to s3:// (s3rver)', () => {
  test('writes prefix-<batch time ms>.txt, one element per line; a closer re-run after a crash overwrites the same key', async () => {
    const pipeline = loadPipeline('network-wordcount'); // saves to s3://$DSTREAM_BUCKET/wordcounts/counts-<T>.txt
    const clock = { ms: T0, now: () => clock.ms };
    const store = new CrashBeforeDone(new InMemoryStateStore({ now: clock.now }));
    // A long lateness: the batch closes on the watermark alone, and the later batches stay open
    // while the clock jumps past the crashed closer's 5-minute lease.
    const options: HandlerOptions = {
      store,
      s3,
      now: clock.now,
      metrics: false,
      allowedLateness: 1000,
      closeAfterMap: false,
    };
    clock.ms = T0 + 1600;
    await kinesisHandler(
      pipeline,
      options,
    )(
      makeKinesisEvent([
        { data: 'to be or', arrivalMs: T0 + 100 },
        { data: 'not to be', arrivalMs: T0 + 200 },
        { data: 'next', arrivalMs: T0 + 1500 }, // batch T0+2 s, moves the watermark past T0+1 s
      ]),
    );
    const key = `wordcounts/counts-${T0 + 1000}.txt`;
    const expected = "('to', 2)\n('be', 2)\n('or', 1)\n('not', 1)\n";

    clock.ms = T0 + 2000;
    await expect(closerHandler(pipeline, options)()).rejects.toThrow(/closer crashed/);
    expect(await keysUnder('wordcounts/')).toEqual([key]);
    expect(await readObject(key)).toBe(expected);

    // Make the overwrite visible, then let the crashed closer's claim expire: a new closer (another
    // Lambda container) takes the batch over and writes the same key again.
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'stale\n' }));
    clock.ms = T0 + 2000 + 5 * 60_000 + 1;
    expect(await closerHandler(pipeline, options)()).toEqual({ closed: [T0 + 1000] });
    expect(await keysUnder('wordcounts/')).toEqual([key]);
    expect(await readObject(key)).toBe(expected);
  });
});

describe('toCloudWatch', () => {
  test('windowed-wordcount emits datapoints timestamped with their batch times, as the in-memory engine does', async () => {
    const pipeline = loadPipeline('windowed-wordcount'); // batch 2 s, window 30 s every 10 s
    const serverless: MetricDatapoint[] = [];
    const restore = setMetricEmitter((d) => serverless.push(d));
    try {
      const clock = { ms: T0 + 500, now: () => clock.ms };
      const options: HandlerOptions = {
        store: new InMemoryStateStore({ now: clock.now }),
        s3,
        now: clock.now,
        metrics: false,
        allowedLateness: 0,
      };
      const event = makeKinesisEvent([
        { data: 'a b a', arrivalMs: T0 + 100 },
        { data: 'c', arrivalMs: T0 + 2100 },
      ]);
      await kinesisHandler(pipeline, options)(event);
      clock.ms = T0 + 10_000;
      // The map phase closed T0+2 s already (its watermark passed it); the closer closes the rest.
      expect(await closerHandler(pipeline, options)()).toEqual({
        closed: [4, 6, 8, 10].map((s) => T0 + s * 1000),
      });

      const dims = { Pipeline: 'windowed-wordcount' };
      const point = (metricName: string, value: number, s: number) => ({
        namespace: 'WindowedWordCount',
        metricName,
        value,
        timestamp: T0 + s * 1000,
        dimensions: dims,
      });
      expect(serverless).toEqual([
        point('DistinctWords', 2, 2),
        point('DistinctWords', 3, 4),
        point('DistinctWords', 3, 6),
        point('DistinctWords', 3, 8),
        point('WordsInWindow', 4, 10),
        point('DistinctWords', 3, 10),
      ]);

      const reference: MetricDatapoint[] = [];
      setMetricEmitter((d) => reference.push(d));
      await runPipelineInMemory(pipeline, Array.from(recordsByShard(event).values()).flat(), {
        untilTime: T0 + 10_000,
      });
      expect(serverless).toEqual(reference);
    } finally {
      setMetricEmitter(restore);
    }
  });

  test('the default emitter writes one EMF line whose _aws.Timestamp is the batch time', () => {
    const batchTime = Math.floor(Date.now() / 10_000) * 10_000; // CloudWatch takes datapoints up to 14 days old
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      powertoolsEmitter({
        namespace: 'WindowedWordCount',
        metricName: 'WordsInWindow',
        value: 4,
        timestamp: batchTime,
        dimensions: { Pipeline: 'windowed-wordcount' },
      });
    } finally {
      write.mockRestore();
    }
    const emf = lines
      .map((l) => l.trim())
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    expect(emf).toHaveLength(1);
    const [doc] = emf;
    expect(doc._aws.Timestamp).toBe(batchTime);
    expect(doc._aws.CloudWatchMetrics).toEqual([
      expect.objectContaining({
        Namespace: 'WindowedWordCount',
        Dimensions: [expect.arrayContaining(['Pipeline'])],
        Metrics: [{ Name: 'WordsInWindow', Unit: 'Count' }],
      }),
    ]);
    expect(doc).toMatchObject({ Pipeline: 'windowed-wordcount', WordsInWindow: 4 });
  });
});

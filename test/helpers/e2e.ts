/**
 * Helpers of the end-to-end tests (test/e2e): `dstream` child processes that are always reaped,
 * records read back from a stream as the poller delivers them, a pipeline's S3 outputs on both
 * engines, and pprint text rebuilt from those outputs.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:net';
import * as path from 'node:path';
import {
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  type PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { formatPprint, runPipelineInMemory, setPprintWriter } from '../../lib';
import type { KinesisInputRecord, Pipeline } from '../../lib';
import { toKinesisStreamRecord } from '../../lib/local/kinesis-record';
import { setS3ClientForOutputs } from '../../lib/sinks/text-files';
import { recordFromEvent } from '../../lib/sources/kinesis-event';

/** The `dstream` command, run as `node bin/dstream.js ...`. */
export const DSTREAM_BIN = path.resolve(__dirname, '../../bin/dstream.js');

/**
 * The environment of a `dstream` child: no endpoint or credentials from the caller's shell (the
 * child must use its own embedded emulators), UTC (pprint prints local time), no SDK notice.
 */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TZ: 'UTC',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  for (const key of Object.keys(env)) {
    if (key.startsWith('AWS_ENDPOINT_URL') || key === 'AWS_PROFILE' || key === 'AWS_ACCESS_KEY_ID') {
      delete env[key];
    }
  }
  return { ...env, ...extra };
}

/** A child process with its output gathered as it comes. */
export interface Child {
  proc: ChildProcessWithoutNullStreams;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves at exit (already resolved if it has exited). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Child processes of one test file: every one is SIGKILLed in `killAll()` (afterAll) if it is
 * still running, whatever happened to the test.
 */
export class Children {
  private readonly all = new Set<Child>();

  /** Starts `node <script> ...args`. */
  spawn(script: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Child {
    const proc = spawn(process.execPath, [script, ...args], {
      cwd: opts.cwd,
      env: opts.env ?? childEnv(),
      stdio: 'pipe',
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    proc.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      proc.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const child: Child = {
      proc,
      get stdout() {
        return stdout;
      },
      get stderr() {
        return stderr;
      },
      exited,
    };
    this.all.add(child);
    return child;
  }

  /** Starts `node bin/dstream.js ...args`. */
  dstream(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Child {
    return this.spawn(DSTREAM_BIN, args, opts);
  }

  /** SIGKILLs every child still running and waits for their exits. */
  async killAll(): Promise<void> {
    const running = [...this.all].filter((c) => c.proc.exitCode === null && c.proc.signalCode === null);
    for (const c of running) c.proc.kill('SIGKILL');
    await Promise.all(running.map((c) => c.exited));
    this.all.clear();
  }
}

/** Waits for a child's exit, at most `timeoutMs`; the elapsed time is returned too. */
export async function waitForExit(
  child: Child,
  timeoutMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(`child ${child.proc.pid} still running after ${timeoutMs} ms; stderr:\n${child.stderr}`),
        ),
      timeoutMs,
    );
  });
  try {
    const exit = await Promise.race([child.exited, timeout]);
    return { ...exit, ms: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Polls `probe` every `everyMs` until it returns a value other than undefined; throws after `timeoutMs`. */
export async function poll<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs: number,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A TCP port free on 127.0.0.1 right now (for servers that cannot be told to pick one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Every record of the stream, read back from TRIM_HORIZON, converted exactly as the poller and
 * the handler convert them (GetRecords -> Lambda event record -> engine record): the arrival times
 * are the ones the serverless engine batched by.
 */
export async function readBackRecords(
  client: KinesisClient,
  streamName: string,
): Promise<KinesisInputRecord[]> {
  const { StreamDescriptionSummary: summary } = await client.send(
    new DescribeStreamSummaryCommand({ StreamName: streamName }),
  );
  const source = { streamArn: summary?.StreamARN ?? '', awsRegion: 'us-east-1' };
  const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: streamName }));
  const out: KinesisInputRecord[] = [];
  for (const shard of Shards) {
    const shardId = shard.ShardId as string;
    let { ShardIterator: iterator } = await client.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    // An empty page at the tip ends the shard; emulators other than kinesalite may also return
    // empty pages before it, hence the bound and MillisBehindLatest.
    for (let pages = 0; iterator && pages < 1000; pages++) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const r of page.Records ?? []) {
        const event = toKinesisStreamRecord(
          {
            shardId,
            sequenceNumber: r.SequenceNumber as string,
            partitionKey: r.PartitionKey ?? '',
            data: r.Data ?? new Uint8Array(),
            approximateArrivalTimestamp: r.ApproximateArrivalTimestamp?.getTime() ?? 0,
          },
          source,
        );
        out.push(recordFromEvent(event));
      }
      if ((page.Records ?? []).length === 0 && (page.MillisBehindLatest ?? 0) === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return out;
}

/** Batch time (ms) of an output key `prefix-<T>.suffix`. */
function batchTimeOfKey(key: string): number {
  const m = /-(\d+)(?:\.[^./-]*)?$/.exec(key);
  if (!m) throw new Error(`output key without a batch time: ${key}`);
  return Number(m[1]);
}

/** The objects under `prefix` in the bucket, by batch time, with their text. */
export async function readOutputs(
  s3: S3Client,
  bucket: string,
  prefix: string,
): Promise<Map<number, string>> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) keys.push(o.Key as string);
    token = page.NextContinuationToken;
  } while (token);
  const out = new Map<number, string>();
  for (const key of keys) {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    out.set(batchTimeOfKey(key), (await object.Body?.transformToString('utf8')) ?? '');
  }
  return new Map([...out].sort(([a], [b]) => a - b));
}

/**
 * The same pipeline's S3 outputs on the in-memory engine (the reference) for the same records and
 * zero time: its `saveAsTextFiles` puts are captured by a stand-in S3 client (keys under `prefix`),
 * its pprint is silenced. `DSTREAM_BUCKET` is set while the pipeline is defined, as in Lambda.
 */
export async function inMemoryOutputs(
  pipeline: Pipeline,
  records: KinesisInputRecord[],
  opts: { zeroTime: number; bucket: string; prefix: string },
): Promise<Map<number, string>> {
  const puts = new Map<number, string>();
  const capture = {
    send: async (command: PutObjectCommand) => {
      const { Bucket, Key, Body } = command.input;
      if (Bucket === opts.bucket && Key?.startsWith(opts.prefix)) puts.set(batchTimeOfKey(Key), String(Body));
      return {};
    },
  } as unknown as S3Client;
  const previousBucket = process.env.DSTREAM_BUCKET;
  process.env.DSTREAM_BUCKET = opts.bucket;
  setS3ClientForOutputs(capture);
  const restorePprint = setPprintWriter(() => undefined);
  try {
    await runPipelineInMemory(pipeline, records, { zeroTime: opts.zeroTime });
  } finally {
    setPprintWriter(restorePprint);
    setS3ClientForOutputs(undefined);
    if (previousBucket === undefined) delete process.env.DSTREAM_BUCKET;
    else process.env.DSTREAM_BUCKET = previousBucket;
  }
  return new Map([...puts].sort(([a], [b]) => a - b));
}

/** The lines of a text object (one element per line, as saveAsTextFiles writes them). */
export function linesOf(text: string): string[] {
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

/**
 * Differences between the serverless outputs and the reference, batch by batch: every reference
 * batch must be there with the same lines, in any order (the order of a reduceByKey's keys
 * across shards is not defined, as in Spark); a serverless batch the reference does not have (the
 * idle batches closed after the last record's) must be empty.
 */
export function diffBatches(actual: Map<number, string>, expected: Map<number, string>): string[] {
  const sorted = (text: string) => JSON.stringify(linesOf(text).sort());
  const diffs: string[] = [];
  for (const [t, text] of expected) {
    const got = actual.get(t);
    if (got === undefined) diffs.push(`batch ${t}: missing (expected ${sorted(text)})`);
    else if (sorted(got) !== sorted(text))
      diffs.push(`batch ${t}: expected ${sorted(text)}, got ${sorted(got)}`);
  }
  for (const [t, text] of actual) {
    if (!expected.has(t) && text !== '')
      diffs.push(`batch ${t}: not in the reference, yet not empty: ${sorted(text)}`);
  }
  return diffs;
}

/** What pprint prints for these batches of saved lines (PySpark's format, at most `num` each). */
export function pprintOfOutputs(outputs: Map<number, string>, num = 10): string {
  return [...outputs].map(([t, text]) => formatPprint(t, linesOf(text), num)).join('');
}

/** Blocks pprint prints for empty batches, and nothing else. */
export const EMPTY_PPRINT_BLOCKS = /^(-{43}\nTime: [^\n]+\n-{43}\n\n)*$/;

/** Sums `('word', n)` lines (pprint or saved) per word. */
export function sumWordCounts(lines: string[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const line of lines) {
    const m = /^\('(.*)', (\d+)\)$/.exec(line);
    if (!m) throw new Error(`not a ('word', n) line: ${line}`);
    totals.set(m[1], (totals.get(m[1]) ?? 0) + Number(m[2]));
  }
  return totals;
}

/** Word counts of lines split on single spaces, empty words dropped (NetworkWordCount's rule). */
export function countWords(lines: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) {
    for (const w of line.split(' ')) if (w.length > 0) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  return counts;
}

/** A map as a sorted plain object, for readable equality failures. */
export function sortedObject(m: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const VOCABULARY = (
  'the of and a to in is you that it he was for on are as with his they at ' +
  'be this have from or one had by word but café naïve ñandú 日本 Spark DStream Kinesis batch window shard'
).split(' ');

/**
 * `count` lines of 1 to 12 words from a 40-word vocabulary (skewed toward its head, with
 * non-ASCII words), sometimes with double spaces, from a fixed seed: the same lines every run.
 */
export function generateLines(count: number, seed = 42): string[] {
  let s = seed >>> 0;
  const random = () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, () => {
    const words = 1 + Math.floor(random() * 12);
    const parts: string[] = [];
    for (let i = 0; i < words; i++) parts.push(VOCABULARY[Math.floor(random() ** 2 * VOCABULARY.length)]);
    return parts.join(random() < 0.1 ? '  ' : ' ');
  });
}

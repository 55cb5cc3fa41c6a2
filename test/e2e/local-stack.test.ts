/**
 * End to end on the local stack : lines go into Kinesis (kinesalite), the local
 * poller invokes the pipeline's Lambda handler, batches close, counts land in S3 (s3rver) and on
 * stdout (pprint); the results equal the in-memory engine's for the same records, batch by batch.
 * Real processes, real sockets and real time: these are the few tests with sleeps.
 */
import { mkdtempSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { ServerlessEngine, setPprintWriter } from '../../lib';
import { batchTimeOf } from '../../lib/plan/time';
import { LOCAL_CREDENTIALS, dynamoClient, kinesisClient, s3Client } from '../../lib/local/clients';
import { produce } from '../../lib/local/producer';
import { startLocalRun, type LocalRun } from '../../lib/local/runner';
import { runningRuns } from '../../lib/local/run-registry';
import { DynamoDbStateStore } from '../../lib/state';
import pipeline from '../../functions/network-wordcount/pipeline';
import {
  Children,
  EMPTY_PPRINT_BLOCKS,
  countWords,
  diffBatches,
  generateLines,
  inMemoryOutputs,
  linesOf,
  poll,
  pprintOfOutputs,
  processExists,
  readBackRecords,
  readOutputs,
  sortedObject,
  sumWordCounts,
  waitForExit,
} from '../helpers/e2e';

const PREFIX = 'wordcounts/';
const INTERVAL_MS = Math.round(pipeline.batchInterval * 1000);

const children = new Children();
const dirs: string[] = [];
let inProcess: LocalRun | undefined;

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dstream-e2e-'));
  dirs.push(dir);
  return dir;
}

afterAll(async () => {
  await children.killAll();
  await inProcess?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('dstream run + dstream produce (child processes, 2 shards)', () => {
  test('every line is counted once; each batch equals the in-memory engine; stdout is the batches in pprint; SIGINT exits 0', async () => {
    // The run's cwd is a scratch directory: its endpoints file goes there (functions/ is found from bin/).
    const cwd = tempDir();
    const run = children.dstream(['run', 'network-wordcount', '--shards', '2'], { cwd });
    const stateDir = join(cwd, '.dstream');
    const endpoints = await poll(
      () => {
        if (run.proc.exitCode !== null) throw new Error(`dstream run exited early:\n${run.stderr}`);
        return runningRuns(stateDir, 'network-wordcount').find((r) => r.pid === run.proc.pid);
      },
      'the endpoints file of dstream run',
      30_000,
    );
    const endpointsFile = join(stateDir, readdirSync(stateDir)[0]);
    expect(endpoints.stream).toBe('dstream-network-wordcount');

    // A few hundred lines at 200 lines/s: they arrive over about two seconds, so in several batches.
    const lines = generateLines(400);
    const input = join(tempDir(), 'lines.txt');
    writeFileSync(input, lines.join('\n') + '\n');
    const producer = children.dstream([
      'produce',
      '--stream',
      endpoints.stream,
      '--endpoint',
      endpoints.kinesis as string,
      '--rate',
      '200',
      input,
    ]);
    const produced = await waitForExit(producer, 30_000);
    expect({ code: produced.code, stderr: producer.stderr }).toEqual({
      code: 0,
      stderr: expect.stringMatching(/sent 400 records/),
    });

    // The child's emulators know only the local identity (its environment has no AWS keys).
    const credentials = { ...LOCAL_CREDENTIALS };
    const kinesis = kinesisClient({ endpoint: endpoints.kinesis, credentials });
    const s3 = s3Client({ endpoint: endpoints.s3, credentials });
    const dynamo = dynamoClient({ endpoint: endpoints.dynamodb, credentials });
    try {
      const records = await readBackRecords(kinesis, endpoints.stream);
      expect(records).toHaveLength(400);
      const lastBatch = Math.max(...records.map((r) => batchTimeOf(r.arrivalMs, INTERVAL_MS)));
      // Batches close in order: once the last record's batch is in S3, all are.
      await poll(
        () =>
          s3
            .send(
              new HeadObjectCommand({ Bucket: endpoints.bucket, Key: `${PREFIX}counts-${lastBatch}.txt` }),
            )
            .then(
              () => true,
              () => undefined,
            ),
        `batch ${lastBatch} in S3`,
        20_000,
      );
      const outputs = await readOutputs(s3, endpoints.bucket, PREFIX);
      const engine = new ServerlessEngine(pipeline, {
        store: new DynamoDbStateStore({ client: dynamo, tableName: endpoints.table }),
      });
      const progress = await engine.progress();
      expect(progress).toBeDefined();

      // SIGINT: the run stops its poller, closer and emulators, removes its endpoints file, exits 0.
      const pid = run.proc.pid as number;
      run.proc.kill('SIGINT');
      const exit = await waitForExit(run, 10_000);
      expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
      expect(exit.ms).toBeLessThan(8_000);
      expect(processExists(pid)).toBe(false);
      expect(existsSync(endpointsFile)).toBe(false);
      expect(run.stderr).not.toMatch(/, \d+ late|undecodable/);

      // Every line's words counted exactly once over all batches.
      const saved = [...outputs.values()].flatMap(linesOf);
      expect(sortedObject(sumWordCounts(saved))).toEqual(sortedObject(countWords(lines)));

      // Batch by batch, the in-memory engine on the same records with the same zero time.
      const expected = await inMemoryOutputs(pipeline, records, {
        zeroTime: progress?.zero as number,
        bucket: endpoints.bucket,
        prefix: PREFIX,
      });
      expect(expected.size).toBeGreaterThanOrEqual(2);
      expect(diffBatches(outputs, expected)).toEqual([]);

      // stdout: the same batches in pprint format (10 elements each, then '...'), then only the
      // empty batches the closer got to between the S3 listing and the SIGINT.
      const printed = pprintOfOutputs(outputs);
      expect(printed).toMatch(/\n\.\.\.\n/);
      expect(run.stdout.slice(0, printed.length)).toBe(printed);
      expect(run.stdout.slice(printed.length)).toMatch(EMPTY_PPRINT_BLOCKS);
    } finally {
      kinesis.destroy();
      s3.destroy();
      dynamo.destroy();
    }
  }, 60_000);
});

describe('npm start (dstream run --input -) with piped lines', () => {
  test("printf 'a b a\\nc a\\n' | npm start prints the counts, closes the last batch and exits 0", async () => {
    const started = Date.now();
    const run = children.dstream(['run', 'network-wordcount', '--input', '-'], { cwd: tempDir() });
    run.proc.stdin.end('a b a\nc a\n');
    const exit = await waitForExit(run, 40_000);
    const seconds = (Date.now() - started) / 1000;
    expect({ code: exit.code, stderr: run.stderr }).toEqual({
      code: 0,
      stderr: expect.stringMatching(/2 lines sent and processed; last batch closed/),
    });
    // The two lines may straddle a batch boundary: sum the printed batches.
    const elements = run.stdout.split('\n').filter((l) => l.startsWith('('));
    expect(sortedObject(sumWordCounts(elements))).toEqual({ a: 3, b: 1, c: 1 });
    expect(run.stdout).toMatch(/^-{43}\nTime: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n-{43}\n/);
    // Start-up (tsx, emulators), a batch interval, and the allowed lateness of the last batch.
    expect(seconds).toBeLessThan(20);
    console.log(`npm start with 2 piped lines: exit 0 after ${seconds.toFixed(1)} s`);
  }, 60_000);
});

describe('startLocalRun in process (2 shards)', () => {
  test('after drain(), the S3 outputs equal the in-memory engine batch by batch, and pprint printed them', async () => {
    const printed: string[] = [];
    const status: string[] = [];
    const restorePprint = setPprintWriter((text) => printed.push(text));
    try {
      inProcess = await startLocalRun({
        pipeline,
        shards: 2,
        stateDir: tempDir(),
        status: (line) => status.push(line),
      });
      const run = inProcess;
      const lines = generateLines(600, 7);
      // 300 lines/s: two seconds of arrivals, so several batches, on both shards (random keys).
      const result = await produce(lines, {
        client: run.kinesis,
        streamName: run.endpoints.stream,
        rate: 300,
      });
      expect(result.sent).toBe(600);
      await run.drain(30_000);

      const records = await readBackRecords(run.kinesis, run.endpoints.stream);
      expect(records).toHaveLength(600);
      expect(new Set(records.map((r) => r.shardId)).size).toBe(2);
      const progress = await run.engine.progress();
      const outputs = await readOutputs(run.s3, run.endpoints.bucket, PREFIX);
      const pprinted = printed.join('');
      expect(run.metrics.totals).toMatchObject({ RecordsIn: 600 });
      expect(run.metrics.totals.LateRecords ?? 0).toBe(0);
      expect(run.metrics.totals.DecodeErrors ?? 0).toBe(0);
      await run.stop();

      // Every batch from the first to the last closed is in S3, one object each.
      const zero = progress?.zero as number;
      const closedUpTo = progress?.closedUpTo as number;
      const times = [...outputs.keys()];
      expect(times[0]).toBe(zero + INTERVAL_MS);
      expect(times.length).toBeGreaterThanOrEqual((closedUpTo - zero) / INTERVAL_MS);
      times.forEach((t, i) => expect(t).toBe(zero + (i + 1) * INTERVAL_MS));

      const expected = await inMemoryOutputs(pipeline, records, {
        zeroTime: zero,
        bucket: run.endpoints.bucket,
        prefix: PREFIX,
      });
      expect(expected.size).toBeGreaterThanOrEqual(2);
      expect(diffBatches(outputs, expected)).toEqual([]);
      const saved = [...outputs.values()].flatMap(linesOf);
      expect(sortedObject(sumWordCounts(saved))).toEqual(sortedObject(countWords(lines)));

      // pprint printed each closed batch as saved (the listing may lag the last close by a batch).
      const fromOutputs = pprintOfOutputs(outputs);
      expect(pprinted.slice(0, fromOutputs.length)).toBe(fromOutputs);
      expect(pprinted.slice(fromOutputs.length)).toMatch(EMPTY_PPRINT_BLOCKS);
      expect(status.filter((l) => / closed: /.test(l)).length).toBeGreaterThanOrEqual(expected.size);
    } finally {
      setPprintWriter(restorePprint);
      await inProcess?.stop();
    }
  }, 60_000);
});

/**
 * The pipeline on kinesis-local (kinesis-mock, the Kinesis engine LocalStack uses, published on
 * npm as a Scala.js build that runs on Node alone) instead of kinesalite; DynamoDB and S3 stay
 * embedded. kinesis-local is a devDependency (pinned in the lock file); should it fail to
 * resolve, the test is skipped, saying so.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { setPprintWriter } from '../../lib';
import { kinesisClient } from '../../lib/local/clients';
import { produce } from '../../lib/local/producer';
import { startLocalRun, type LocalRun } from '../../lib/local/runner';
import pipeline from '../../functions/network-wordcount/pipeline';
import {
  Children,
  countWords,
  diffBatches,
  freePort,
  generateLines,
  inMemoryOutputs,
  linesOf,
  poll,
  readBackRecords,
  readOutputs,
  sortedObject,
  sumWordCounts,
  type Child,
} from '../helpers/e2e';

function resolveKinesisLocal(): { main: string; cert: string } | undefined {
  try {
    return {
      main: require.resolve('kinesis-local/main.js'),
      cert: require.resolve('kinesis-local/server.json'),
    };
  } catch {
    return undefined;
  }
}

const kinesisLocal = resolveKinesisLocal();
const SKIP_REASON = 'kinesis-local is not installed (npm install --save-dev kinesis-local to run this test)';
if (!kinesisLocal) console.log(`test/e2e/kinesis-local.test.ts skipped: ${SKIP_REASON}`);

const PREFIX = 'wordcounts/';
const ENDPOINT_VARIABLES = [
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_KINESIS',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_S3',
];

const children = new Children();
const savedEnv = Object.fromEntries(ENDPOINT_VARIABLES.map((k) => [k, process.env[k]]));
let mock: Child | undefined;
let run: LocalRun | undefined;
let stateDir: string | undefined;

afterAll(async () => {
  await run?.stop();
  // kinesis-mock has nothing to flush here (no persistence): SIGKILL, which it cannot ignore.
  await children.killAll();
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

/** Starts kinesis-mock on free ports (plain HTTP and TLS); resolves with its HTTP endpoint once it answers. */
async function startKinesisMock(paths: { main: string; cert: string }): Promise<string> {
  const [plain, tls] = [await freePort(), await freePort()];
  mock = children.spawn(paths.main, [], {
    env: {
      ...process.env,
      KINESIS_MOCK_PLAIN_PORT: String(plain),
      KINESIS_MOCK_TLS_PORT: String(tls),
      // Resolved against the cwd otherwise: the package's own self-signed certificate.
      KINESIS_MOCK_CERT_PATH: paths.cert,
      CREATE_STREAM_DURATION: '10ms',
      LOG_LEVEL: 'WARN',
    },
  });
  const endpoint = `http://127.0.0.1:${plain}`;
  const client = kinesisClient({ endpoint, maxAttempts: 1 });
  try {
    await poll(
      () => {
        if (mock?.proc.exitCode !== null)
          throw new Error(`kinesis-local exited:\n${mock?.stderr}${mock?.stdout}`);
        return client.send(new ListStreamsCommand({})).then(
          () => true,
          () => undefined,
        );
      },
      'kinesis-local to answer',
      20_000,
    );
  } finally {
    client.destroy();
  }
  return endpoint;
}

describe('startLocalRun with Kinesis on kinesis-local (kinesis-mock)', () => {
  const testOrSkip = kinesisLocal ? test : test.skip;
  testOrSkip(
    `the S3 outputs equal the in-memory engine batch by batch${kinesisLocal ? '' : ` (skipped: ${SKIP_REASON})`}`,
    async () => {
      const endpoint = await startKinesisMock(kinesisLocal as { main: string; cert: string });
      for (const k of ENDPOINT_VARIABLES) delete process.env[k];
      // Kinesis alone is pointed elsewhere: the runner embeds dynalite and s3rver for the rest.
      process.env.AWS_ENDPOINT_URL_KINESIS = endpoint;
      stateDir = mkdtempSync(join(tmpdir(), 'dstream-e2e-kl-'));
      const restorePprint = setPprintWriter(() => undefined);
      try {
        run = await startLocalRun({ pipeline, shards: 2, stateDir, status: () => undefined });
        expect(run.endpoints.kinesis).toBe(endpoint);
        expect(run.endpoints.dynamodb).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(run.endpoints.dynamodb).not.toBe(endpoint);

        // kinesis-mock is slow (hundreds to a few thousand records/s): a small input.
        const lines = generateLines(150, 11);
        await produce(lines, { client: run.kinesis, streamName: run.endpoints.stream, rate: 100 });
        await run.drain(30_000);
        const records = await readBackRecords(run.kinesis, run.endpoints.stream);
        expect(records).toHaveLength(150);
        const progress = await run.engine.progress();
        const outputs = await readOutputs(run.s3, run.endpoints.bucket, PREFIX);
        expect(run.metrics.totals.LateRecords ?? 0).toBe(0);
        await run.stop();

        const expected = await inMemoryOutputs(pipeline, records, {
          zeroTime: progress?.zero as number,
          bucket: run.endpoints.bucket,
          prefix: PREFIX,
        });
        expect(diffBatches(outputs, expected)).toEqual([]);
        const saved = [...outputs.values()].flatMap(linesOf);
        expect(sortedObject(sumWordCounts(saved))).toEqual(sortedObject(countWords(lines)));
      } finally {
        setPprintWriter(restorePprint);
      }
    },
    60_000,
  );
});

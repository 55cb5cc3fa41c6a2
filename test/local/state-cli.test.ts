import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerlessEngine } from '../../lib';
import { DynamoDbStateStore, createStateTable } from '../../lib/state';
import { registerRun, unregisterRun } from '../../lib/local/run-registry';
import { CliError } from '../../bin/commands/common';
import {
  runStateCheck,
  runStateExport,
  runStateImport,
  runStateReset,
  type StateOutput,
} from '../../bin/commands/state';
import { loadPipeline } from '../../bin/commands/pipelines';
import { startDynalite, type Dynalite } from '../helpers/dynalite';

// `dstream state export|import|reset|check` against a table on dynalite: with --endpoint and
// --table (a deployed table), and through the endpoints file of a running `dstream run`.
const PIPELINE = join(__dirname, 'pipelines', 'totals.ts');
const CHANGED = join(__dirname, 'pipelines', 'totals-windowed.ts');
const TABLE = 'dstream-state-cli';

let db: Dynalite;
let dir: string;
const io = () => {
  const o = { out: '', err: '' };
  const output: StateOutput = { out: (s) => void (o.out += s), err: (s) => void (o.err += s) };
  return { o, output };
};

beforeAll(async () => {
  db = await startDynalite();
  dir = mkdtempSync(join(tmpdir(), 'dstream-state-cli-'));
  await createStateTable(db.client, TABLE);
  // The pipeline runs a few batches (on a clock a little ahead of this one, so they close now).
  let clock = Date.now();
  const engine = new ServerlessEngine(loadPipeline(PIPELINE), {
    store: new DynamoDbStateStore({ client: db.client, tableName: TABLE, now: () => clock }),
    now: () => clock,
    listShards: async () => ['shardId-000000000000'],
    log: () => undefined,
  });
  let seq = 1n;
  for (const line of ['a b a', 'b c', 'a']) {
    const data = Buffer.from(line);
    await engine.mapPhase([
      { shardId: 'shardId-000000000000', sequenceNumber: String(seq++), arrivalMs: clock, data },
    ]);
    clock += 1000;
    await engine.closeReady();
  }
});
afterAll(async () => {
  await db.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('dstream state', () => {
  const flags = () => ({ endpoint: db.endpoint, table: TABLE });

  test('export, reset, import and check against a table (--endpoint, --table)', async () => {
    const exp = io();
    const out = join(dir, 'state.jsonl');
    await runStateExport(PIPELINE, { ...flags(), out }, exp.output, dir);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { stream: 'totals', key: 'a', value: 3 },
      { stream: 'totals', key: 'b', value: 2 },
      { stream: 'totals', key: 'c', value: 1 },
    ]);
    expect(exp.o.err).toMatch(/^exported totals: 3 keys \(batch \d+\)\n$/);

    const reset = io();
    expect(await runStateReset(PIPELINE, { ...flags(), stream: ['totals'] }, reset.output, dir)).toEqual([
      'totals',
    ]);
    expect(reset.o.err).toBe('reset totals: it starts empty at the next batch\n');

    writeFileSync(out, lines.map((l) => l.replace('"value":3', '"value":30')).join('\n') + '\n');
    const imp = io();
    await runStateImport(PIPELINE, out, flags(), imp.output, dir);
    expect(imp.o.err).toBe('imported totals: 3 keys\nthe closer applies it at its next batch\n');
    const again = io();
    await runStateExport(PIPELINE, flags(), again.output, dir);
    expect(again.o.out).toBe(lines.map((l) => l.replace('"value":3', '"value":30')).join('\n') + '\n');

    const check = io();
    await runStateCheck(PIPELINE, flags(), check.output, dir);
    expect(check.o.out).toBe(`compatible with the state stored in ${TABLE}\n`);
    const refused = await runStateCheck(CHANGED, flags(), io().output, dir).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CliError);
    expect((refused as Error).message).toMatch(
      /'totals' \(reduceByKeyAndWindow\) changed: its stored data is updateStateByKey state \(slide 1 s, no schema label\); the code now defines reduceByKeyAndWindow state \(window 10 s/,
    );
  });

  test('finds the table of a running `dstream run` from its endpoints file', async () => {
    const file = registerRun(dir, {
      pipeline: 'state-cli',
      dynamodb: db.endpoint,
      stream: 'dstream-state-cli',
      table: TABLE,
      bucket: 'dstream-state-cli',
    });
    try {
      const exp = io();
      await runStateExport(PIPELINE, {}, exp.output, dir);
      expect(exp.o.out.trimEnd().split('\n')).toHaveLength(3);
    } finally {
      unregisterRun(file);
    }
  });

  test('user errors are one line each: unknown stream, missing table', async () => {
    await expect(
      runStateExport(PIPELINE, { ...flags(), stream: ['nope'] }, io().output, dir),
    ).rejects.toThrow(new CliError("no keyed state stream 'nope'. Known: totals."));
    await expect(
      runStateExport(PIPELINE, { endpoint: db.endpoint, table: 'absent' }, io().output, dir),
    ).rejects.toThrow(
      /cannot use the state table 'absent' \(.*\)\. Is `dstream run .*` running, or are --endpoint\/--table right\?/,
    );
  });

  test('the dstream command: export to stdout, import from stdin, check exits 1', async () => {
    // Spawned asynchronously: dynalite runs in this process and must keep answering.
    const args = ['--endpoint', db.endpoint, '--table', TABLE];
    const exp = await dstream(['state', 'export', PIPELINE, ...args]);
    expect(exp).toMatchObject({ status: 0, stderr: expect.stringMatching(/^exported totals: 3 keys/) });
    const lines = exp.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    const imp = await dstream(['state', 'import', PIPELINE, ...args], lines.join('\n') + '\n');
    expect(imp).toMatchObject({
      status: 0,
      stderr: 'imported totals: 3 keys\nthe closer applies it at its next batch\n',
    });
    const check = await dstream(['state', 'check', CHANGED, ...args]);
    expect(check.status).toBe(1);
    expect(check.stderr).toMatch(/^dstream: pipeline 'state-cli': this version of the code cannot resume/);
  });
});

/** Runs the `dstream` command with `args` (and `input` on stdin). */
function dstream(
  args: string[],
  input = '',
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const bin = join(__dirname, '..', '..', 'bin', 'dstream.js');
  const env = { ...process.env, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_REGION: 'us-east-1' };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input);
  });
}

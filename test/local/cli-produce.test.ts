import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { numberedLines, readStream, startKinesis } from './fixtures';
import type { KinesisFixture } from './fixtures';

const BIN = path.resolve(__dirname, '../../bin/dstream.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/dstream.js ...args` asynchronously (the emulator in this process must keep answering). */
function dstream(args: string[], stdin?: string): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  for (const key of ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_KINESIS', 'AWS_PROFILE', 'AWS_ACCESS_KEY_ID'])
    delete env[key];
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { env, timeout: 30_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

describe('dstream produce (child process)', () => {
  let kinesis: KinesisFixture;
  let dir: string;
  beforeAll(async () => {
    kinesis = await startKinesis();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dstream-cli-test-'));
  });
  afterAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await kinesis.stop();
  });

  test('sends the lines of files and exits 0; every record arrives', async () => {
    const stream = await kinesis.newStream(2);
    const a = path.join(dir, 'a.txt');
    const b = path.join(dir, 'b.txt');
    fs.writeFileSync(a, `${numberedLines(300, 'a').join('\n')}\n`);
    fs.writeFileSync(b, numberedLines(200, 'b').join('\r\n'));

    const run = await dstream([
      'produce',
      '--stream',
      stream,
      '--endpoint',
      kinesis.endpoint,
      '--partition-key',
      'line',
      a,
      b,
    ]);

    expect(run.stderr).toMatch(new RegExp(`sent 500 records to stream '${stream}'`));
    expect(run.code).toBe(0);
    const texts = [...(await readStream(kinesis.client, stream)).values()].flat().map((r) => r.text);
    expect(texts.sort()).toEqual([...numberedLines(300, 'a'), ...numberedLines(200, 'b')]);
  });

  test('reads stdin when no file is given', async () => {
    const stream = await kinesis.newStream(1);
    const run = await dstream(
      ['produce', '--stream', stream, '--endpoint', kinesis.endpoint],
      'one\ntwo\nthree\n',
    );
    expect(run.code).toBe(0);
    const texts = [...(await readStream(kinesis.client, stream)).values()].flat().map((r) => r.text);
    expect(texts).toEqual(['one', 'two', 'three']);
  });

  test('exits non-zero with a clear message when the stream does not exist', async () => {
    const run = await dstream(
      ['produce', '--stream', 'missing-stream', '--endpoint', kinesis.endpoint],
      'x\n',
    );
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`dstream: Stream 'missing-stream' does not exist at ${kinesis.endpoint}`);
    expect(run.stderr).toMatch(/create-stream --stream-name missing-stream/);
    expect(run.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
  });

  test('exits non-zero naming the file when a file cannot be read', async () => {
    const stream = await kinesis.newStream(1);
    const run = await dstream([
      'produce',
      '--stream',
      stream,
      '--endpoint',
      kinesis.endpoint,
      path.join(dir, 'nope.txt'),
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/Cannot read '.*nope\.txt'/);
  });
});

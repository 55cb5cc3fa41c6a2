/**
 * `dstream run` as a user runs it: a child process (on a real pseudo-terminal for Ctrl-C), fed by
 * `dstream produce --aggregate`; stopped by Ctrl-C or SIGTERM; its endpoints file per run; its
 * input and flags checked before anything starts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as runner from '../../lib/local/runner';
import { registerRun, runningRuns, unregisterRun } from '../../lib/local/run-registry';
import { runPipeline } from '../../bin/commands/run';
import { runInspect } from '../../bin/commands/inspect';
import { Children, DSTREAM_BIN, childEnv, poll, processExists, waitForExit } from '../helpers/e2e';

const children = new Children();
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dstream-run-cli-'));
  dirs.push(dir);
  return dir;
}

afterAll(async () => {
  await children.killAll();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Pids of the processes descended from `pid` (from /proc: what a run leaves behind, if anything). */
function descendantsOf(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after ')'.
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      parent.set(Number(p), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  for (let frontier = [pid]; frontier.length > 0;) {
    const next = [...parent].filter(([, pp]) => frontier.includes(pp)).map(([p]) => p);
    out.push(...next);
    frontier = next;
  }
  return out;
}

/** Those of `pids` still alive after up to `graceMs`, each with its command line and state. */
async function survivors(pids: number[], graceMs: number): Promise<string[]> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const alive = pids.filter(processExists);
    if (alive.length === 0 || Date.now() >= deadline) {
      return alive.map((pid) => {
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
          return `${pid} (${state}): ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')}`;
        } catch {
          return `${pid}: gone while described`;
        }
      });
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('dstream run (child processes)', () => {
  test("counts the 100 lines of one KPL-aggregated record from `dstream produce --aggregate`; a second run keeps the first run's endpoints file; SIGTERM exits 0 within 2 s", async () => {
    const cwd = tempDir();
    const stateDir = join(cwd, '.dstream');
    const first = children.dstream(['run', 'network-wordcount', '--shards', '1', '--lateness', '0.5'], {
      cwd,
    });
    const endpoints = await poll(
      () => {
        if (first.proc.exitCode !== null) throw new Error(`dstream run exited early:\n${first.stderr}`);
        return runningRuns(stateDir, 'network-wordcount').find((r) => r.pid === first.proc.pid);
      },
      'the endpoints file of the first run',
      30_000,
    );

    const lines = Array.from({ length: 100 }, (_, i) => `kpl line${i % 5}`);
    const producer = children.dstream([
      'produce',
      '--stream',
      endpoints.stream,
      '--endpoint',
      endpoints.kinesis as string,
      '--aggregate',
    ]);
    producer.proc.stdin.end(lines.join('\n') + '\n');
    const produced = await waitForExit(producer, 30_000);
    expect({ code: produced.code, stderr: producer.stderr }).toEqual({
      code: 0,
      stderr: expect.stringMatching(
        /sent 1 records to stream 'dstream-network-wordcount' in 1 calls \(100 lines, KPL-aggregated\)/,
      ),
    });
    await poll(
      () => (/\('kpl', 100\)/.test(first.stdout) ? true : undefined),
      "('kpl', 100) printed",
      20_000,
    );
    expect(first.stdout).toMatch(/\('line0', 20\)\n/);
    expect(first.stderr).not.toMatch(/undecodable/);

    // A second run of the same pipeline in the same directory: its own file; stopping it leaves the first's.
    const second = children.dstream(['run', 'network-wordcount', '--shards', '1'], { cwd });
    await poll(
      () => runningRuns(stateDir, 'network-wordcount').find((r) => r.pid === second.proc.pid),
      'the endpoints file of the second run',
      30_000,
    );
    expect(runningRuns(stateDir, 'network-wordcount').map((r) => r.pid)).toEqual([
      first.proc.pid,
      second.proc.pid,
    ]);
    second.proc.kill('SIGTERM');
    expect(await waitForExit(second, 10_000)).toMatchObject({ code: 0, signal: null });
    expect(runningRuns(stateDir, 'network-wordcount').map((r) => r.pid)).toEqual([first.proc.pid]);
    let report = '';
    await runInspect('network-wordcount', {}, (s) => (report += s), stateDir);
    expect(report).toMatch(/shardId-000000000000 +checkpoint \d+/);

    const pid = first.proc.pid as number;
    first.proc.kill('SIGTERM');
    const exit = await waitForExit(first, 10_000);
    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
    expect(exit.ms).toBeLessThan(2_000);
    expect(processExists(pid)).toBe(false);
    expect(readdirSync(stateDir)).toEqual([]);
    console.log(`dstream run: ('kpl', 100) from one aggregated record; SIGTERM to exit 0 in ${exit.ms} ms`);
  }, 90_000);

  test.each([
    [
      'dstream run --input -',
      `${process.execPath} ${DSTREAM_BIN} run network-wordcount --input - --lateness 0.5 --shards 1`,
      false,
    ],
    ['npm start', 'npm start', true],
  ])(
    'Ctrl-C on a terminal ends `%s` within 2 s with exit 0, no process left',
    async (_name, command, inRepo) => {
      // `script` gives the run a real pseudo-terminal: stdin is a TTY, and \x03 typed on it is the
      // terminal's interrupt character, delivered as SIGINT to the foreground process group.
      // `script` runs the command with $SHELL -c; `exec` makes the command the terminal's foreground
      // process itself, as when a user types it at an interactive shell. Without it a non-interactive
      // dash (SHELL unset, as in CI) would stay in between and die of the same SIGINT (exit 130).
      const cwd = inRepo ? join(__dirname, '..', '..') : tempDir();
      const term = spawn('script', ['-qfec', `exec ${command}`, '/dev/null'], {
        cwd,
        env: childEnv(),
        stdio: 'pipe',
      });
      let output = '';
      term.stdout.setEncoding('utf8').on('data', (s: string) => (output += s));
      term.stderr.setEncoding('utf8').on('data', (s: string) => (output += s));
      const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
        term.once('exit', (code) => resolve({ code, at: Date.now() })),
      );
      try {
        await poll(() => (/Ctrl-C stops/.test(output) ? true : undefined), 'the run to start', 30_000);
        term.stdin.write('tty words tty\r');
        await poll(() => (/\('tty', 2\)/.test(output) ? true : undefined), "('tty', 2) printed", 20_000);
        const running = descendantsOf(term.pid as number);
        expect(running.length).toBeGreaterThan(0);

        const pressed = Date.now();
        term.stdin.write('\x03');
        const timeout = new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`still running 5 s after Ctrl-C:\n${output}`)), 5_000).unref(),
        );
        const exit = await Promise.race([exited, timeout]);
        expect({ code: exit.code, output }).toEqual({ code: 0, output: expect.any(String) });
        expect(exit.at - pressed).toBeLessThan(2_000);
        // Every process of the run is gone too; on a loaded machine the last one may still be being
        // reaped as the terminal ends, so it gets a moment (a leaked process stays, and is named).
        const left = await survivors(running, 1_000);
        expect(left).toEqual([]);
        console.log(`${command} on a pty: Ctrl-C to exit 0 in ${exit.at - pressed} ms`);
      } finally {
        if (term.exitCode === null) term.kill('SIGKILL');
      }
    },
    60_000,
  );
});

describe('dstream run: input and flags are checked before anything starts', () => {
  test('--input missing.txt fails with the path, and no emulator is started', async () => {
    const start = jest.spyOn(runner, 'startLocalRun');
    try {
      await expect(
        runPipeline('network-wordcount', {
          input: 'missing.txt',
          shards: 1,
          batchSize: 500,
          batchingWindow: 0,
          ui: false,
          uiPort: 0,
        }),
      ).rejects.toThrow(
        "--input: cannot read 'missing.txt' (no such file). Give a file of lines, or '-' for stdin.",
      );
      await expect(
        runPipeline('network-wordcount', {
          input: tmpdir(),
          shards: 1,
          batchSize: 500,
          batchingWindow: 0,
          ui: false,
          uiPort: 0,
        }),
      ).rejects.toThrow(/--input: '.*' is not a file/);
      expect(start).not.toHaveBeenCalled();
    } finally {
      start.mockRestore();
    }
  });

  test('an invalid pipeline is refused at load with its message, before any emulator starts', () => {
    const dir = tempDir();
    const file = join(dir, 'pipeline.ts');
    writeFileSync(
      file,
      `import { definePipeline } from ${JSON.stringify(join(__dirname, '..', '..', 'lib'))};\n` +
        "export default definePipeline({ name: 'bad', batchInterval: 1 }, (ssc) => void ssc.kinesisTextStream());\n",
    );
    const res = spawnSync(process.execPath, [DSTREAM_BIN, 'run', file], {
      encoding: 'utf8',
      env: childEnv(),
      cwd: dir,
    });
    expect(res.status).toBe(1);
    expect(res.stderr).toBe(
      `dstream: ${file}: pipeline 'bad' is invalid: No output operations registered, so nothing to execute: add pprint(), saveAsTextFiles(), foreachRDD() or collect() before ssc.start().\n`,
    );
  });

  test.each([
    [
      ['--shards', '1.5'],
      "option '--shards <n>' argument '1.5' is invalid. expected a whole number >= 1, got '1.5'.",
    ],
    [
      ['--shards', '0'],
      "option '--shards <n>' argument '0' is invalid. expected a whole number >= 1, got '0'.",
    ],
    [
      ['--lateness', '-1'],
      "option '--lateness <s>' argument '-1' is invalid. expected a number of seconds >= 0, got '-1'.",
    ],
    [
      ['--batch-size', 'ten'],
      "option '--batch-size <n>' argument 'ten' is invalid. expected a whole number >= 1, got 'ten'.",
    ],
  ])('dstream run %j names the flag and its value', (flags, message) => {
    const res = spawnSync(process.execPath, [DSTREAM_BIN, 'run', 'network-wordcount', ...flags], {
      encoding: 'utf8',
      env: childEnv(),
      cwd: tempDir(),
    });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(message);
  });
});

describe('endpoints files of running runs', () => {
  test("one file per run; a killed run's file is ignored and removed; inspect asks which of two live runs", async () => {
    const stateDir = tempDir();
    const names = { stream: 's', table: 't', bucket: 'b' };
    const mine = registerRun(stateDir, {
      pipeline: 'network-wordcount',
      ...names,
      dynamodb: 'http://127.0.0.1:1',
    });
    // A run in another live process, and one whose process has exited.
    const other = spawn('sleep', ['30']);
    const dead = spawnSync('true');
    const fileOf = (pid: number) => join(stateDir, `network-wordcount.${pid}.1.json`);
    writeFileSync(
      fileOf(other.pid as number),
      JSON.stringify({ pipeline: 'network-wordcount', ...names, pid: other.pid, startedAt: Date.now() + 1 }),
    );
    writeFileSync(
      fileOf(dead.pid as number),
      JSON.stringify({ pipeline: 'network-wordcount', ...names, pid: dead.pid }),
    );
    try {
      expect(runningRuns(stateDir, 'network-wordcount').map((r) => r.pid)).toEqual([process.pid, other.pid]);
      expect(readdirSync(stateDir)).not.toContain(`network-wordcount.${dead.pid}.1.json`);
      await expect(runInspect('network-wordcount', {}, () => undefined, stateDir)).rejects.toThrow(
        new RegExp(
          `2 runs of network-wordcount are running: pid ${process.pid} .*; pid ${other.pid} .*\\. Choose one with --pid <pid>\\.`,
        ),
      );
      await expect(
        runInspect('network-wordcount', { pid: 4242424 }, () => undefined, stateDir),
      ).rejects.toThrow(/--pid 4242424: no running `dstream run network-wordcount` has that pid/);
      unregisterRun(mine);
      expect(runningRuns(stateDir, 'network-wordcount').map((r) => r.pid)).toEqual([other.pid]);
    } finally {
      other.kill('SIGKILL');
    }
  });
});

import type { Command } from 'commander';
import { createProgram } from '../../bin/cli';
import type { RunFlags } from '../../bin/commands/run';
import { formatStatusLine } from '../../lib/local/runner';

/** Parses a `dstream run` command line; the command's body is replaced by one that keeps the flags. */
async function parseRun(args: string[]): Promise<RunFlags> {
  const program = createProgram();
  let flags: RunFlags | undefined;
  const run = program.commands.find((c: Command) => c.name() === 'run') as Command;
  run.action((_pipeline: string, f: RunFlags) => {
    flags = f;
  });
  program.exitOverride();
  run.exitOverride();
  await program.parseAsync(['node', 'dstream', 'run', 'network-wordcount', ...args]);
  return flags as RunFlags;
}

describe('dstream run: the Streaming UI flags', () => {
  test("the UI is on by default, on Spark's port 4040", async () => {
    expect(await parseRun([])).toMatchObject({ ui: true, uiPort: 4040 });
  });

  test('--no-ui turns it off; --ui-port picks the first port tried (0: any free port)', async () => {
    expect(await parseRun(['--no-ui'])).toMatchObject({ ui: false });
    expect(await parseRun(['--ui-port', '4100'])).toMatchObject({ ui: true, uiPort: 4100 });
    expect(await parseRun(['--ui-port', '0'])).toMatchObject({ uiPort: 0 });
  });

  test.each(['99999', '-1', 'abc', '40.5'])('--ui-port %s is refused with its value', async (v) => {
    await expect(parseRun(['--ui-port', v])).rejects.toThrow(
      `--ui-port: expected a port from 0 to 65535, got '${v}'.`,
    );
  });
});

describe('the status line of a closed batch (from the engine listener)', () => {
  const info = {
    batchTime: Date.UTC(2026, 0, 5, 14, 3, 7),
    owner: 'closer-a',
    records: 12,
    late: 0,
    shards: [],
    startedAt: 0,
    completedAt: 0,
    schedulingDelayMs: 501,
    processingTimeMs: 23,
    totalDelayMs: 524,
    outputs: [],
  };
  const totals = {
    recordsIn: 340,
    duplicates: 0,
    late: 0,
    decodeErrors: 0,
    userFunctionErrors: 0,
    failedRecords: 0,
    mapPhases: 9,
    batchesCompleted: 4,
    closeFailures: 0,
  };

  test('records and the three delays', () => {
    expect(formatStatusLine(info, totals)).toBe(
      '[dstream] batch 2026-01-05 14:03:07 closed: 12 records, 340 in so far, ' +
        'scheduling delay 501 ms, processing 23 ms, total delay 524 ms',
    );
  });

  test("the run's late, undecodable and failing records so far, when there are any", () => {
    expect(
      formatStatusLine({ ...info, late: 2 }, { ...totals, late: 5, decodeErrors: 1, userFunctionErrors: 3 }),
    ).toBe(
      '[dstream] batch 2026-01-05 14:03:07 closed: 12 records, 340 in so far, ' +
        'scheduling delay 501 ms, processing 23 ms, total delay 524 ms, ' +
        '5 late, 1 undecodable, 3 user-function errors',
    );
    expect(formatStatusLine(info, { ...totals, decodeErrors: 2 })).toMatch(
      /total delay 524 ms, 2 undecodable$/,
    );
  });
});

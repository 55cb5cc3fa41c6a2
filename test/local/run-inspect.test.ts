import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { setPprintWriter } from '../../lib';
import { setMetricEmitter } from '../../lib/sinks/cloudwatch';
import { startLocalRun, type LocalRun } from '../../lib/local/runner';
import { produce } from '../../lib/local/producer';
import { runInspect } from '../../bin/commands/inspect';
import { loadPipeline } from '../../bin/commands/pipelines';

// The windowed pipeline on the embedded stack, then `dstream inspect` on its state.
describe('dstream run (in process) and dstream inspect', () => {
  let run: LocalRun | undefined;
  const stateDir = mkdtempSync(join(tmpdir(), 'dstream-state-'));
  const printed: string[] = [];
  const restorePprint = setPprintWriter((t) => printed.push(t));
  const restoreMetrics = setMetricEmitter(() => undefined);

  afterAll(async () => {
    await run?.stop();
    setPprintWriter(restorePprint);
    setMetricEmitter(restoreMetrics);
    rmSync(stateDir, { recursive: true, force: true });
  });

  test('windowed-wordcount: lines in, windows printed, totals and panes stored, inspect shows them', async () => {
    const pipeline = loadPipeline('windowed-wordcount');
    run = await startLocalRun({ pipeline, shards: 2, stateDir, status: () => undefined });
    const lines = Array.from({ length: 200 }, (_, i) => `w${i % 7} w${i % 3} common`);
    await produce(lines, { client: run.kinesis, streamName: run.endpoints.stream });
    await run.drain(60_000);
    // The window (30 s, sliding every 10 s) prints at the next multiple of 10 s after zero time; the
    // closer tick gets there by itself. Every line's words are in it.
    const deadline = Date.now() + 25_000;
    while (!/\('common', 200\)/.test(printed.join('')) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect(printed.join('')).toMatch(/\('common', 200\)/);
    const objects = await run.s3.send(new ListObjectsV2Command({ Bucket: run.endpoints.bucket }));
    const keys = (objects.Contents ?? []).map((o) => o.Key as string);
    expect(keys.some((k) => /^windowed\/totals-\d+\.txt$/.test(k))).toBe(true);

    let report = '';
    await runInspect('windowed-wordcount', {}, (s) => (report += s), stateDir);
    expect(report).toMatch(/pipeline windowed-wordcount, batch interval 2 s/);
    expect(report).toMatch(/shardId-000000000000 +checkpoint \d+/);
    expect(report).toMatch(/latest closes:\n {2}.*done/);
    // The running totals (updateStateByKey) are stored history: 'common' was seen 200 times.
    expect(report).toMatch(/\('common', 200\)/);
    let json = '';
    await runInspect('windowed-wordcount', { json: true }, (s) => (json += s), stateDir);
    const parsed = JSON.parse(json);
    expect(parsed.streamShards).toHaveLength(2);
    expect(parsed.progress.closedUpTo).toBeGreaterThan(0);
  }, 90_000);

  test('dstream run refuses a negative --lateness with a clear message', () => {
    const res = spawnSync(
      process.execPath,
      [join(__dirname, '..', '..', 'bin', 'dstream.js'), 'run', 'network-wordcount', '--lateness', '-1'],
      {
        encoding: 'utf8',
      },
    );
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/expected a number of seconds >= 0, got '-1'/);
  });

  test('an unknown pipeline names the available ones', () => {
    expect(() => loadPipeline('nope')).toThrow(/Available: .*network-wordcount/);
  });
});

/**
 * `dstream run` and its Streaming UI as a user starts them: the URL printed on stderr, the UI
 * answering while lines flow, gone when the run ends; `--no-ui` serves nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UiSnapshot } from '../../lib/local/ui/types';
import { Children, waitForExit, type Child } from '../helpers/e2e';

const children = new Children();
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dstream-ui-cli-'));
  dirs.push(dir);
  return dir;
}

afterAll(async () => {
  await children.killAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  child: Child,
): Promise<T> {
  const deadline = Date.now() + 40_000;
  for (;;) {
    const v = await Promise.resolve(fn()).catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stderr:\n${child.stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('dstream run serves the Streaming UI', () => {
  test('prints the URL, the UI shows the batches while the run goes, and stops with it; --no-ui serves none', async () => {
    const args = ['run', 'network-wordcount', '--input', '-', '--lateness', '0.5'];
    const withUi = children.dstream([...args, '--ui-port', '0'], { cwd: tempDir() });
    const noUi = children.dstream([...args, '--no-ui'], { cwd: tempDir() });
    noUi.proc.stdin.end('x y\n');

    const url = await waitFor(
      'the UI line',
      () => /\[dstream\] Streaming UI: (http:\/\/localhost:\d+\/)\n/.exec(withUi.stderr)?.[1],
      withUi,
    );
    withUi.proc.stdin.write('a b a\nc a\n');
    const snapshot = await waitFor(
      'a completed batch with the lines in the UI',
      async () => {
        const snap = (await (await fetch(url + 'api/snapshot')).json()) as UiSnapshot;
        return snap.totals.recordsIn >= 2 &&
          snap.batches.some((b) => b.status === 'completed' && b.records > 0)
          ? snap
          : undefined;
      },
      withUi,
    );
    expect(snapshot.pipeline).toBe('network-wordcount');
    const page = await fetch(url + 'streaming');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>network-wordcount · Streaming · dstream</title>');

    withUi.proc.stdin.end();
    const [exitUi, exitNoUi] = await Promise.all([waitForExit(withUi, 60_000), waitForExit(noUi, 60_000)]);
    expect({ code: exitUi.code, stderr: withUi.stderr }).toEqual({
      code: 0,
      stderr: expect.stringMatching(/closed: \d+ records, \d+ in so far, scheduling delay \d+ ms/),
    });
    await expect(fetch(url + 'streaming')).rejects.toThrow();

    expect({ code: exitNoUi.code, stderr: noUi.stderr }).toEqual({
      code: 0,
      stderr: expect.stringMatching(/1 lines sent and processed; last batch closed/),
    });
    expect(noUi.stderr).not.toMatch(/Streaming UI/);
  }, 90_000);
});

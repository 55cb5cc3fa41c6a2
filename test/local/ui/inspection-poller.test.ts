import type { PipelineInspection } from '../../../lib/engine/serverless';
import { pollInspections } from '../../../lib/local/ui/inspection-poller';

function inspection(n: number): PipelineInspection {
  return {
    pipeline: 'p',
    batchInterval: 1,
    progress: { next: n, zero: 0 },
    shards: [],
    closes: [],
    openBatches: [],
    history: [],
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('pollInspections (the UI reading the store)', () => {
  test('reads at once and then every interval, asking only for what the UI shows; never two reads at once', async () => {
    const seen: number[] = [];
    const asked: unknown[] = [];
    let running = 0;
    let overlapped = false;
    let n = 0;
    const source = {
      async inspect(options?: unknown) {
        asked.push(options);
        running++;
        overlapped ||= running > 1;
        await sleep(2);
        running--;
        return inspection(++n);
      },
    };
    const poller = pollInspections(
      source,
      { onInspection: (i) => seen.push(i.progress?.next ?? 0) },
      { intervalMs: 30 },
    );
    await poller.pollNow();
    for (let i = 0; i < 100 && seen.length < 3; i++) await sleep(20);
    await poller.stop();
    const count = seen.length;
    expect(count).toBeGreaterThanOrEqual(3);
    expect(seen).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    expect(asked[0]).toEqual({ closes: 1, openBatches: 0, entries: 0 });
    expect(overlapped).toBe(false);
    await sleep(60);
    expect(seen.length).toBe(count); // stopped
  });

  test('a failing read is reported once per distinct error, and polling goes on', async () => {
    const errors: string[] = [];
    let calls = 0;
    const source = {
      async inspect(): Promise<PipelineInspection> {
        calls++;
        if (calls <= 3) throw new Error('table not found');
        return inspection(calls);
      },
    };
    const seen: number[] = [];
    const poller = pollInspections(
      source,
      { onInspection: (i) => seen.push(i.progress?.next ?? 0) },
      { intervalMs: 10, onError: (e) => errors.push(e.message) },
    );
    for (let i = 0; i < 100 && seen.length === 0; i++) await sleep(10);
    await poller.stop();
    expect(errors).toEqual(['table not found']);
    expect(seen[0]).toBe(4);
  });

  test('a slow read spaces the next one out (five times its duration)', async () => {
    const starts: number[] = [];
    const source = {
      async inspect() {
        starts.push(Date.now());
        await sleep(40);
        return inspection(starts.length);
      },
    };
    const poller = pollInspections(source, { onInspection: () => undefined }, { intervalMs: 10 });
    for (let i = 0; i < 100 && starts.length < 2; i++) await sleep(10);
    await poller.stop();
    expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(40 + 5 * 40 - 5);
  });
});

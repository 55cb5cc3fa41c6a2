import { StateSpec, StateTransferError } from '../../lib';
import type { State, StateStore } from '../../lib';
import { DynamoDbStateStore, InMemoryStateStore, createStateTable } from '../../lib/state';
import { startDynalite, type Dynalite } from '../helpers/dynalite';
import { Deployment, sortedPairs, split, type Version } from './evolution-support';
import { FaultyStore, InjectedCrash } from './harness';

// `dstream state export|import|reset` on the engine: JSON lines, one key per line, in the order the
// engine iterates keys; a 100K-key state round-trips exactly, and the engine reads what was imported.

const sum = (vs: number[], s?: number) => (vs.length === 0 ? s : ((s as number) ?? 0) + vs.length);
const totals: Version = (ssc, out) =>
  out(
    'totals',
    ssc
      .kinesisTextStream()
      .flatMap(split)
      .map((w) => [w, 1] as [string, number])
      .updateStateByKey(sum)
      .named('totals'),
  );

/** 100K keys of every kind of JSON value the engine stores (and its marked undefined, NaN, ±Infinity). */
function craftedLines(n: number): string[] {
  const values = (i: number): unknown => {
    switch (i % 9) {
      case 0:
        return i;
      case 1:
        return -i / 7;
      case 2:
        return `s${i} ünïcödé ✓ \u{1F600} "q" \\ \n`;
      case 3:
        return { n: i, tags: ['a', i % 2 === 0], nested: { x: null } };
      case 4:
        return [i, 'x', [1.5e-7, 2e21]];
      case 5:
        return i % 2 === 0;
      case 6:
        return null;
      case 7:
        return [undefined, NaN, Infinity, -Infinity];
      default:
        return 1e-300 * i;
    }
  };
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const key = i % 50 === 0 ? [`k${i}`, i] : i % 7 === 0 ? i : `k${i}`;
    lines.push(storedLine({ stream: 'totals', key, value: values(i) }));
  }
  return lines;
}

/** A line as `exportState` writes it (JSON, with undefined and non-finite numbers marked). */
function storedLine(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) =>
    v === undefined
      ? '\u0000undefined'
      : typeof v === 'number' && !Number.isFinite(v)
        ? `\u0000${Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity'}`
        : v,
  );
}

async function exported(d: Deployment, v: Version, streams?: string[]): Promise<string[]> {
  const lines: string[] = [];
  await d.deploy(v).exportState((l) => void lines.push(l), { streams });
  return lines;
}

let db: Dynalite;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.stop();
});

const stores: [string, () => Promise<(now: () => number) => StateStore>][] = [
  ['InMemoryStateStore', async () => (now) => new InMemoryStateStore({ now })],
  [
    'DynamoDbStateStore on dynalite',
    async () => {
      await createStateTable(db.client, 'transfer');
      return (now) => new DynamoDbStateStore({ client: db.client, tableName: 'transfer', now });
    },
  ],
];

describe.each(stores)('state export and import (%s)', (_name, makeStore) => {
  test('a 100K-key state round-trips exactly, and the engine resumes from it', async () => {
    const d = new Deployment(await makeStore());
    const engine = d.deploy(totals);
    await d.step(engine, ['a']);
    await d.step(engine, ['b']);
    const input = craftedLines(100_000);
    expect(await engine.importState(input)).toEqual([{ stream: 'totals', storage: 'pairs', keys: 100_000 }]);
    expect(await exported(d, totals)).toEqual(input); // as imported, before any batch used it
    await d.step(engine, ['k9 k18']); // numbers: k9 was 9 (i % 9 == 0), k18 was 18
    const after = await exported(d, totals);
    expect(after).toHaveLength(100_000);
    const changed = after.filter((l, i) => l !== input[i]);
    expect(changed.map((l) => JSON.parse(l))).toEqual([
      { stream: 'totals', key: 'k9', value: 10 },
      { stream: 'totals', key: 'k18', value: 19 },
    ]);
    // Export, reset, import, export: the same lines.
    expect(await d.deploy(totals).resetState()).toEqual(['totals']);
    await d.step(engine, ['c']);
    expect(sortedPairs(d.latest('totals'))).toEqual([['c', 1]]);
    await d.deploy(totals).importState(after);
    await d.close(engine);
    expect(await exported(d, totals)).toEqual(after);
  }, 60_000);
});

describe('state export and import', () => {
  test('an engine-made running total of 100K keys round-trips exactly, in its iteration order', async () => {
    const d = new Deployment((now) => new InMemoryStateStore({ now }));
    const engine = d.deploy(totals);
    const lines = Array.from({ length: 1000 }, (_, r) =>
      Array.from({ length: 100 }, (_, j) => `w${((r * 100 + j) * 7919) % 100_000}`).join(' '),
    );
    await d.step(engine, lines);
    await d.step(engine, ['w1 w2 w2']);
    const first = await exported(d, totals);
    expect(first).toHaveLength(100_000);
    expect(JSON.parse(first[0])).toEqual({ stream: 'totals', key: 'w0', value: 1 });
    await d.deploy(totals).resetState({ streams: ['totals'] });
    await d.step(engine, []);
    await d.deploy(totals).importState(first);
    await d.close(engine);
    expect(await exported(d, totals)).toEqual(first);
    await d.step(engine, ['w2']);
    expect(JSON.parse((await exported(d, totals)).find((l) => l.includes('"w2"')) as string)).toEqual({
      stream: 'totals',
      key: 'w2',
      value: 4,
    });
  }, 60_000);

  test("mapWithState lines carry each key's state and last update time; a stream is chosen by name", async () => {
    const d = new Deployment((now) => new InMemoryStateStore({ now }));
    const v: Version = (ssc, out) =>
      out(
        'sessions',
        ssc
          .kinesisTextStream()
          .map((w) => [w, 1] as [string, number])
          .mapWithState(
            StateSpec.function((k: string, x: number | undefined, s: State<{ n: number }>) => {
              if (s.isTimingOut()) return undefined;
              s.update({ n: (s.getOption()?.n ?? 0) + (x ?? 0) });
              return [k, s.get().n];
            }).timeout(60),
          )
          .named('sessions'),
      );
    const engine = d.deploy(v);
    const t1 = await d.step(engine, ['a', 'b', 'a']);
    const t2 = await d.step(engine, ['b']);
    const lines = await exported(d, v, ['sessions']);
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { stream: 'sessions/0', key: 'a', state: { n: 2 }, time: t1 },
      { stream: 'sessions/0', key: 'b', state: { n: 2 }, time: t2 },
    ]);
    await d.deploy(v).importState(lines.map((l) => l.replace('"n":2', '"n":40')));
    await d.step(engine, ['a']);
    expect(d.latest('sessions')).toEqual([['a', 41]]);
  });

  test('bad input is refused with the line and the reason; nothing is imported', async () => {
    const d = new Deployment((now) => new InMemoryStateStore({ now }));
    const engine = d.deploy(totals);
    await d.step(engine, ['a']);
    await d.step(engine, ['a']);
    const cases: [string[], RegExp][] = [
      [['{"stream":"totals","key":"a","value":1}', 'nope'], /line 2: not JSON/],
      [['{"stream":"totals","value":1}'], /line 1: expected \{"stream": \.\.\., "key"/],
      [
        ['{"stream":"totals","key":"a","value":1}', '{"stream":"totals","key":"a","value":2}'],
        /line 2: key "a" of totals appears twice/,
      ],
      [
        ['{"stream":"other","key":"a","value":1}'],
        /no keyed state stream in the pipeline's code 'other'\. Known: totals/,
      ],
      [['{"stream":"totals","key":"a","state":1,"time":5}'], /stream totals stores \{"key", "value"\} lines/],
    ];
    for (const [input, message] of cases) {
      const err = await d
        .deploy(totals)
        .importState(input)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StateTransferError);
      expect((err as Error).message).toMatch(message);
    }
    await d.step(engine, ['a']);
    expect(d.latest('totals')).toEqual([['a', 3]]);
    await expect(d.deploy(totals).exportState(() => undefined, { streams: ['nope'] })).rejects.toThrow(
      /no keyed state stream 'nope'\. Known: totals\./,
    );
  });

  test.each([1, 2, 3, 4])(
    'a closer that crashes after its write %i (claim, snapshot, done, progress) of the first batch after an import re-runs it from the import',
    async (n) => {
      let faulty: FaultyStore | undefined;
      const d = new Deployment((now) => (faulty = new FaultyStore(new InMemoryStateStore({ now }))));
      const engine = d.deploy(totals);
      await d.step(engine, ['a']);
      await d.step(engine, ['b']);
      await d.deploy(totals).importState(['{"stream":"totals","key":"a","value":100}']);
      // Many new keys: the batch's changes outweigh the small imported snapshot, so it writes a snapshot.
      const fresh = Array.from({ length: 50 }, (_, i) => `w${i}`);
      await d.send(engine, ['a a a a a a a a', fresh.join(' ')]);
      (faulty as FaultyStore).armCrash(n);
      await expect(d.close(engine)).rejects.toThrow(InjectedCrash);
      d.clock += 10 * 60_000; // a new closer (cold) takes the claim over once its lease ran out
      await d.deploy(totals).closeReady();
      expect(sortedPairs(d.latest('totals'))).toEqual(sortedPairs([['a', 108], ...fresh.map((w) => [w, 1])]));
    },
  );

  test('import waits for the pipeline to have closed a batch', async () => {
    const d = new Deployment((now) => new InMemoryStateStore({ now }));
    await expect(d.deploy(totals).importState(['{"stream":"totals","key":"a","value":1}'])).rejects.toThrow(
      /has not closed a batch yet: start it, let its first batches close, then import/,
    );
  });
});

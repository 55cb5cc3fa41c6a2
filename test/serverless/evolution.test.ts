import { IncompatibleStateError, MapStageChangedError, StateSpec } from '../../lib';
import type { DStream, State, StateStore, StreamingContext } from '../../lib';
import { InMemoryStateStore } from '../../lib/state';
import { startDynalite, type Dynalite } from '../helpers/dynalite';
import { Deployment, countWords, pairsOf, sortedPairs, split, type Version } from './evolution-support';

// Issue 12: a pipeline deployed locally (v1), run, then changed in each compatible way (each change
// deployed on the same store, some while batches are open) resumes with its running totals intact;
// each incompatible change is refused with its message, before anything is written.

type Out = (label: string, s: DStream<unknown>) => void;
const pair = (w: string) => [w, 1] as [string, number];
const sum = (vs: number[], s?: number) => (s ?? 0) + vs.length;
const add = (a: number, b: number) => a + b;
const sub = (a: number, b: number) => a - b;

/** The parts every version shares, with hooks for what changes. */
interface Shape {
  split?: (l: string) => string[];
  totalsUpstream?: (words: DStream<string>) => DStream<string>;
  totals?: (pairs: DStream<[string, number]>) => DStream<unknown>;
  lengthsUpstream?: (words: DStream<string>) => DStream<string>;
  lengthPairsOutput?: boolean;
  nameLengths?: boolean;
  dropLengths?: boolean;
  recentWindow?: number;
  firstsUpstream?: (words: DStream<string>) => DStream<string>;
  nameFirsts?: boolean;
  extra?: (words: DStream<string>, out: Out) => void;
}

function version(shape: Shape = {}): Version {
  return (ssc: StreamingContext, out: Out) => {
    const words = ssc.kinesisTextStream().flatMap(shape.split ?? split);
    const totalsIn = (shape.totalsUpstream ?? ((w) => w))(words).map(pair);
    out('totals', shape.totals ? shape.totals(totalsIn) : totalsIn.updateStateByKey(sum).named('totals'));
    if (!shape.dropLengths) {
      const lp = (shape.lengthsUpstream ?? ((w) => w))(words).map((w) => [w.length, 1] as [number, number]);
      if (shape.lengthPairsOutput) out('lengthPairs', lp);
      const lengths = lp
        .reduceByKey(add)
        .updateStateByKey((vs: number[], s?: number) => vs.reduce(add, s ?? 0));
      out('lengths', shape.nameLengths ? lengths.named('lengths') : lengths);
    }
    out(
      'recent',
      words
        .map(pair)
        .reduceByKeyAndWindow(add, sub, shape.recentWindow ?? 3, 1)
        .named('recent'),
    );
    const firsts = (shape.firstsUpstream ?? ((w) => w))(words)
      .map((w) => [w[0], 1] as [string, number])
      .updateStateByKey(sum);
    out('firsts', shape.nameFirsts ? firsts.named('firsts') : firsts);
    shape.extra?.(words, out);
  };
}

const v1 = version();
const v2: Version = version({
  // Changed function bodies (same meaning).
  split: (l) => l.split(/ +/).filter(Boolean),
});
const withOutputs: Shape = { lengthPairsOutput: true, extra: (w, out) => out('words', w) };
const aCount: Shape['extra'] = (w, out) => out('aCount', w.filter((x) => x.startsWith('a')).count());
const noStop = (w: DStream<string>) => w.filter((x) => x !== 'stop');

/** What the outputs must hold, computed from the lines alone. */
class Expected {
  totals = new Map<string, number>();
  lengths = new Map<number, number>();
  firsts = new Map<string, number>();
  batches: string[][] = [];

  add(lines: string[], totalsKeep = (_w: string) => true): void {
    const words = lines.flatMap(split);
    countWords(this.totals, lines, totalsKeep);
    for (const w of words) this.lengths.set(w.length, (this.lengths.get(w.length) ?? 0) + 1);
    for (const w of words) this.firsts.set(w[0], (this.firsts.get(w[0]) ?? 0) + 1);
    this.batches.push(words);
  }

  recent(window = 3): [unknown, unknown][] {
    const counts = new Map<string, number>();
    for (const ws of this.batches.slice(-window)) for (const w of ws) counts.set(w, (counts.get(w) ?? 0) + 1);
    return pairsOf(counts);
  }
}

function expectIntact(d: Deployment, e: Expected): void {
  expect(sortedPairs(d.latest('totals'))).toEqual(pairsOf(e.totals));
  expect(sortedPairs(d.latest('lengths'))).toEqual(pairsOf(e.lengths));
  expect(sortedPairs(d.latest('firsts'))).toEqual(pairsOf(e.firsts));
  const recent = sortedPairs(d.latest('recent')).filter(([, n]) => (n as number) > 0);
  expect(recent).toEqual(e.recent());
}

const batches = [
  ['a bb ccc', 'stop a dd'],
  ['bb bb a', 'eee stop'],
  ['a a a', 'ccc dd'],
  ['stop stop b', 'ab'],
  ['dd ccc', 'a'],
  ['eee e', 'stop bb'],
  ['abc abc', 'x'],
  ['bb', 'a stop'],
  ['ccc a', 'dd'],
  ['f ff fff', 'a'],
];

let db: Dynalite;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.stop();
});

type StoreFactory = (now: () => number) => StateStore;
const stores: [string, () => Promise<StoreFactory>][] = [
  ['InMemoryStateStore', async () => (now) => new InMemoryStateStore({ now })],
  ['DynamoDbStateStore on dynalite', () => db.newStoreFactory('evo')],
];
const inMemory: StoreFactory = (now) => new InMemoryStateStore({ now });

/** Runs v1 and every compatible change after it; returns the deployment and what it must hold. */
async function deployAndEvolve(store: StoreFactory): Promise<{ d: Deployment; e: Expected; shape: Shape }> {
  const d = new Deployment(store);
  const e = new Expected();
  const lines = batches.slice();
  const next = () => lines.shift() as string[];
  // v1: two batches.
  let engine = d.deploy(v1);
  for (let i = 0; i < 2; i++) {
    const l = next();
    await d.step(engine, l);
    e.add(l);
  }
  expectIntact(d, e);
  // v2: changed function bodies.
  engine = d.deploy(v2);
  let l = next();
  await d.step(engine, l);
  e.add(l);
  expectIntact(d, e);
  // v3: outputs added (one on a stream combined map-side so far), deployed while a batch is open:
  // its records were mapped by v2 and are closed by v3.
  l = next();
  await d.send(engine, l);
  engine = d.deploy(version(withOutputs));
  await d.close(engine);
  e.add(l);
  expectIntact(d, e);
  // The new outputs start with the records v3 maps: v2 did not keep these streams' elements (the
  // lengths state got its records from v2's map-side combiners).
  expect(d.latest('words')).toEqual([]);
  expect(d.latest('lengthPairs')).toEqual([]);
  await d.step(engine, ['a bb']);
  e.add(['a bb']);
  expectIntact(d, e);
  expect(d.latest('words')).toEqual(['a', 'bb']);
  // v4: those outputs removed again, with a batch open across the deploy.
  l = next();
  await d.send(engine, l);
  engine = d.deploy(v2);
  await d.close(engine);
  e.add(l);
  expectIntact(d, e);
  // v5: a stream added that feeds no stateful operator.
  engine = d.deploy(version({ extra: aCount }));
  l = next();
  await d.step(engine, l);
  e.add(l);
  expectIntact(d, e);
  expect(d.latest('aCount')).toEqual([l.flatMap(split).filter((w) => w.startsWith('a')).length]);
  // v6: a filter added upstream of the named 'totals', deployed with a batch open (v5 mapped it, so
  // its 'stop's still count); later batches drop 'stop'.
  const v6: Shape = { extra: aCount, totalsUpstream: noStop };
  l = next();
  await d.send(engine, l);
  engine = d.deploy(version(v6));
  await d.close(engine);
  e.add(l);
  expectIntact(d, e);
  l = next();
  await d.step(engine, l);
  e.add(l, (w) => w !== 'stop');
  expectIntact(d, e);
  // v7: the unnamed 'lengths' state gets a name: it adopts its state (same structure).
  const v7: Shape = { ...v6, nameLengths: true };
  engine = d.deploy(version(v7));
  l = next();
  await d.step(engine, l);
  e.add(l, (w) => w !== 'stop');
  expectIntact(d, e);
  expect(d.logs.some((m) => m.includes("'lengths' (updateStateByKey) adopts the stored data"))).toBe(true);
  // v8: a map added upstream of the now named 'lengths'.
  const v8: Shape = { ...v7, lengthsUpstream: (w) => w.map((x) => x.toUpperCase()) };
  engine = d.deploy(version(v8));
  l = next();
  await d.step(engine, l);
  e.add(l, (w) => w !== 'stop');
  expectIntact(d, e);
  return { d, e, shape: v8 };
}

describe.each(stores)('a pipeline that evolves (%s)', (_name, makeStore) => {
  test('resumes after each compatible change with its running totals intact', async () => {
    await deployAndEvolve(await makeStore());
  });

  test('refuses each incompatible change with its message, writing nothing', async () => {
    const { d, shape } = await deployAndEvolve(await makeStore());
    const refusals: [string, Version, RegExp[], number?][] = [
      [
        "'totals' becomes a reduceByKeyAndWindow",
        version({ ...shape, totals: (p) => p.reduceByKeyAndWindow(add, sub, 2, 1).named('totals') }),
        [
          /'totals' \(reduceByKeyAndWindow\) changed: its stored data is updateStateByKey state \(slide 1 s, no schema label\); the code now defines reduceByKeyAndWindow state \(window 2 s, slide 1 s/,
        ],
      ],
      [
        "'recent' gets another window",
        version({ ...shape, recentWindow: 4 }),
        [
          /'recent' \(reduceByKeyAndWindow\) changed: its stored data is reduceByKeyAndWindow state \(window 3 s.*window 4 s/,
        ],
      ],
      [
        "'totals' declares a new schema",
        version({ ...shape, totals: (p) => p.updateStateByKey(sum).named('totals', { schema: 'v2' }) }),
        [/'totals' \(updateStateByKey\) changed: .*no schema label\); the code now defines .*schema 'v2'/],
      ],
      [
        "'lengths' removed",
        version({ ...shape, dropLengths: true }),
        [
          /'lengths' \(updateStateByKey\) holds state .* no longer defines a stream with this id/,
          /dstream state reset --stream lengths/,
        ],
      ],
      [
        'a filter added upstream of the unnamed firsts',
        version({ ...shape, firstsUpstream: noStop }),
        [
          /updateStateByKey@[0-9a-f]{10} holds state .* an operator was added, removed or changed upstream of it/,
        ],
      ],
      [
        'two look-alike unnamed states',
        version({
          ...shape,
          extra: (w, out) => {
            const p = w.map(pair);
            out('x', p.updateStateByKey(sum));
            out(
              'y',
              p.updateStateByKey((vs: number[], s?: number) => Math.max(s ?? 0, vs.length)),
            );
          },
        }),
        [/looks like another stream of the pipeline/],
      ],
      [
        'another batch interval',
        (ssc, out) => out('totals', ssc.kinesisTextStream().map(pair).updateStateByKey(sum).named('totals')),
        [/the batch interval changed from 1 s to 2 s/],
        2,
      ],
    ];
    for (const [what, v, messages, interval] of refusals) {
      const engine = d.deploy(v, interval);
      d.store.resetStats();
      const refused = await d.send(engine, ['a b']).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect({ what, refused }).toEqual({ what, refused: expect.any(IncompatibleStateError) });
      for (const m of messages) expect((refused as Error).message).toMatch(m);
      expect((refused as Error).message).toMatch(/Ways forward: keep the previous definition/);
      expect(d.store.stats().itemsWritten).toBe(0);
      // The closer refuses too, at its first batch: nothing of the batch is done.
      const closer = d.deploy(v, interval);
      const before = await closer.progress();
      d.clock += 5000;
      await expect(closer.closeReady()).rejects.toThrow(IncompatibleStateError);
      expect(await closer.progress()).toEqual(before);
      expect(await closer.checkState()).toMatchObject({
        problems: expect.arrayContaining([expect.anything()]),
      });
    }
    // And the stored state is untouched: the last version still resumes.
    const engine = d.deploy(version(shape));
    const totalsBefore = sortedPairs(d.latest('totals'));
    await d.step(engine, ['zz']);
    expect(sortedPairs(d.latest('totals'))).toEqual(sortedPairs([...totalsBefore, ['zz', 1]]));
  });
});

describe('ways forward after a refusal', () => {
  test('a removed stateful stream is accepted once reset; a renamed one once named first (adoption)', async () => {
    const { d, e, shape } = await deployAndEvolve(inMemory);
    const without = version({ ...shape, dropLengths: true });
    await expect(d.send(d.deploy(without), ['a'])).rejects.toThrow(IncompatibleStateError);
    expect(await d.deploy(without).resetState({ streams: ['lengths'] })).toEqual(['lengths']);
    let engine = d.deploy(without);
    await d.step(engine, ['a b']);
    e.add(['a b']);
    expect(sortedPairs(d.latest('totals'))).toEqual(pairsOf(e.totals));
    // firsts: name it with the old structure first (adopts its state), then change its upstream.
    engine = d.deploy(version({ ...shape, dropLengths: true, nameFirsts: true }));
    await d.step(engine, ['c']);
    e.add(['c']);
    engine = d.deploy(version({ ...shape, dropLengths: true, nameFirsts: true, firstsUpstream: noStop }));
    await d.step(engine, ['stop d']);
    e.firsts.set('d', (e.firsts.get('d') ?? 0) + 1); // 'stop' filtered before firsts now
    expect(sortedPairs(d.latest('firsts'))).toEqual(pairsOf(e.firsts));
  });

  test('a state moved to another operator by export, transform and import', async () => {
    const d = new Deployment(inMemory);
    const old = d.deploy(v1);
    await d.step(old, ['a b a']);
    await d.step(old, ['b c']);
    const lines: string[] = [];
    await old.exportState((l) => void lines.push(l), { streams: ['totals'] });
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { stream: 'totals', key: 'a', value: 2 },
      { stream: 'totals', key: 'b', value: 2 },
      { stream: 'totals', key: 'c', value: 1 },
    ]);
    // The new code keeps its totals with mapWithState (stored as 'totals/0'): refused as it is.
    const mws = version({
      totals: (p) =>
        p
          .mapWithState(
            StateSpec.function((k: string, v: number | undefined, s: State<number>) => {
              const n = (s.getOption() ?? 0) + (v ?? 0);
              s.update(n);
              return [k, n] as [string, number];
            }),
          )
          .named('totals')
          .map((x) => x),
    });
    const next = d.deploy(mws);
    await expect(next.checkState()).resolves.toMatchObject({
      problems: [expect.objectContaining({ stream: 'totals' })],
    });
    const transformed = lines.map((l) => {
      const { key, value } = JSON.parse(l) as { key: string; value: number };
      return JSON.stringify({ stream: 'totals/0', key, state: value, time: d.clock });
    });
    expect(await next.importState(transformed)).toEqual([
      { stream: 'totals/0', storage: 'mapWithState', keys: 3 },
    ]);
    expect(await next.resetState({ streams: ['totals'] })).toEqual(['totals']);
    await d.step(next, ['a d']);
    expect(sortedPairs(d.latest('totals'))).toEqual([
      ['a', 3],
      ['d', 1],
    ]);
  });
});

describe('deploys while the pipeline runs', () => {
  const totalsOnly: Version = (ssc, out) =>
    out('totals', ssc.kinesisTextStream().flatMap(split).map(pair).updateStateByKey(sum).named('totals'));

  test('map-side data a new version cannot place refuses the batch; the previous version drains it', async () => {
    const d = new Deployment(inMemory);
    const old = d.deploy(totalsOnly);
    await d.step(old, ['a b']);
    await d.send(old, ['a c']); // mapped by the old version, batch still open
    // The new version feeds 'totals' from two inputs: which of them the old data was is ambiguous.
    const next = d.deploy((ssc, out) => {
      const words = ssc.kinesisTextStream().flatMap(split);
      const both = words
        .map(pair)
        .filter(([w]) => w < 'm')
        .union(words.map((w) => [w.toUpperCase(), 1] as [string, number]).filter(([w]) => w >= 'M'));
      out('totals', both.updateStateByKey(sum).named('totals'));
    });
    const refused = await d.close(next).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MapStageChangedError);
    expect((refused as Error).message).toMatch(/could feed .* which is ambiguous/);
    expect((refused as Error).message).toMatch(/deploy the previous version until this batch has closed/);
    expect(sortedPairs(d.latest('totals'))).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
    d.clock += 1000;
    await old.closeReady(); // the previous version closes it
    expect(sortedPairs(d.latest('totals'))).toEqual([
      ['a', 2],
      ['b', 1],
      ['c', 1],
    ]);
    await d.step(next, ['a x']);
    expect(sortedPairs(d.latest('totals'))).toEqual([
      ['X', 1],
      ['a', 3],
      ['b', 1],
      ['c', 1],
    ]);
  });

  test('a closer of the previous version stops once a newer one registered its streams', async () => {
    const d = new Deployment(inMemory);
    const old = d.deploy(totalsOnly);
    await d.step(old, ['a']);
    const next = d.deploy((ssc, out) => {
      totalsOnly(ssc, out);
      out(
        'lengths',
        ssc
          .kinesisTextStream()
          .map((l) => [l.length, 1] as [number, number])
          .updateStateByKey(sum)
          .named('lengths'),
      );
    });
    await d.step(next, ['bb']);
    await d.send(next, ['a']);
    d.clock = d.currentBatch();
    expect(await old.closeReady()).toEqual([]);
    expect(d.logs).toContain(
      "pipeline 'evo': a newer version of the pipeline's code now closes its batches; this closer stops.",
    );
    expect(await next.closeReady()).toHaveLength(1);
    expect(sortedPairs(d.latest('totals'))).toEqual([
      ['a', 2],
      ['bb', 1],
    ]);
  });

  test('an import and a reset reach a running (warm) closer at its next batch', async () => {
    const d = new Deployment(inMemory);
    const running = d.deploy(totalsOnly);
    await d.step(running, ['a b']);
    await d.step(running, ['a']);
    const cli = d.deploy(totalsOnly); // another process: `dstream state import`
    await cli.importState([
      JSON.stringify({ stream: 'totals', key: 'a', value: 100 }),
      JSON.stringify({ stream: 'totals', key: 'z', value: 7 }),
    ]);
    await d.step(running, ['a']);
    expect(sortedPairs(d.latest('totals'))).toEqual([
      ['a', 101],
      ['z', 7],
    ]);
    await d.step(running, ['z']);
    expect(sortedPairs(d.latest('totals'))).toEqual([
      ['a', 101],
      ['z', 8],
    ]);
    expect(await cli.resetState()).toEqual(['totals']);
    await d.step(running, ['q']);
    expect(sortedPairs(d.latest('totals'))).toEqual([['q', 1]]);
  });
});

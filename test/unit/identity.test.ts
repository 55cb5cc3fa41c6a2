import { InvalidStreamNameError, StateSpec, StreamingContext } from '../../lib';
import type { DStream, State } from '../../lib';
import { kindOf, streamIdentities, type StreamIdentity } from '../../lib/plan/identity';

// Stream ids come from the plan's structure and names, never from creation order (issue 12).

type Define = (ssc: StreamingContext) => Record<string, DStream<unknown>>;

/** The identity of each labelled stream of a definition (the context is started, as engines do). */
function idsOf(define: Define): Record<string, StreamIdentity> {
  const ssc = new StreamingContext({ batchInterval: 1, clock: 'manual' });
  const labelled = define(ssc);
  for (const s of Object.values(labelled)) s.foreachRDD(() => undefined);
  ssc.start();
  const ids = streamIdentities(ssc.graph);
  void ssc.stop();
  return Object.fromEntries(Object.entries(labelled).map(([k, s]) => [k, ids.get(s) as StreamIdentity]));
}

const pair = (w: string) => [w, 1] as [string, number];
const sum = (vs: number[], s?: number) => (s ?? 0) + vs.length;

const base: Define = (ssc) => {
  const words = ssc.kinesisTextStream().flatMap((l) => l.split(' '));
  return {
    totals: words.map(pair).updateStateByKey(sum),
    window: words.map(pair).reduceByKeyAndWindow(
      (a, b) => a + b,
      (a, b) => a - b,
      4,
      2,
    ),
  };
};

describe('stream ids', () => {
  test('do not change with function bodies, outputs, or streams that lead to no state', () => {
    const before = idsOf(base);
    const after = idsOf((ssc) => {
      ssc
        .kinesisTextStream()
        .count()
        .foreachRDD(() => undefined); // a new branch before the others
      const words = ssc.kinesisTextStream().flatMap((l) => l.trim().split(/ +/));
      words.map((w) => w.length).foreachRDD(() => undefined); // a look-alike leading to no state
      words.pprint();
      return {
        totals: words
          .map((w) => [w, 1] as [string, number])
          .updateStateByKey((vs: number[], s?: number) => vs.length + (s ?? 0)),
        window: words.map(pair).reduceByKeyAndWindow(
          (x, y) => y + x,
          (x, y) => x - y,
          4,
          2,
        ),
      };
    });
    expect(after.totals.id).toBe(before.totals.id);
    expect(after.window.id).toBe(before.window.id);
    expect(before.totals.id).toMatch(/^updateStateByKey@[0-9a-f]{10}$/);
  });

  test('change with the structure above them and with window parameters, up to a named stream', () => {
    const before = idsOf(base);
    const filtered = idsOf((ssc) => {
      const words = ssc.kinesisTextStream().flatMap((l) => l.split(' '));
      return {
        totals: words
          .filter((w) => w !== 'x')
          .map(pair)
          .updateStateByKey(sum),
        window: words.map(pair).reduceByKeyAndWindow(
          (a, b) => a + b,
          (a, b) => a - b,
          6,
          2,
        ),
      };
    });
    expect(filtered.totals.id).not.toBe(before.totals.id);
    expect(filtered.window.id).not.toBe(before.window.id);
    expect(filtered.window.params).toEqual({ windowMs: 6000, slideMs: 2000 });
    const named = idsOf((ssc) => {
      const words = ssc
        .kinesisTextStream()
        .flatMap((l) => l.split(' '))
        .filter(Boolean);
      return { totals: words.map(pair).updateStateByKey(sum).named('totals') };
    });
    expect(named.totals).toMatchObject({ id: 'totals', named: true, display: "'totals' (updateStateByKey)" });
  });

  test('a name leaves the structure-only id (sid) as it was, so the named stream can adopt its state', () => {
    const before = idsOf(base);
    const after = idsOf((ssc) => {
      const words = ssc.kinesisTextStream().flatMap((l) => l.split(' '));
      return {
        totals: words.map(pair).updateStateByKey(sum).named('totals'),
        window: words.map(pair).reduceByKeyAndWindow(
          (a, b) => a + b,
          (a, b) => a - b,
          4,
          2,
        ),
      };
    });
    expect(after.totals.sid).toBe(before.totals.sid);
    expect(after.totals.id).toBe('totals');
  });

  test('look-alikes are told apart by the state they lead to, and marked ambiguous when that is alike too', () => {
    const ids = idsOf((ssc) => {
      const pairs = ssc.kinesisTextStream().map(pair);
      return {
        a: pairs.updateStateByKey(sum),
        b: pairs.updateStateByKey((vs: number[], s?: number) => Math.max(s ?? 0, vs.length)),
        c: pairs.reduceByKey((x, y) => x + y).updateStateByKey(sum),
      };
    });
    expect(ids.a.ambiguous).toBe(true);
    expect(ids.b.ambiguous).toBe(true);
    expect(ids.c.ambiguous).toBe(false);
    expect(new Set([ids.a.id, ids.b.id, ids.c.id]).size).toBe(3);
  });

  test('naming a composite names its inner stored streams after it', () => {
    const ids = idsOf((ssc) => {
      const pairs = ssc.kinesisTextStream().map(pair);
      const sessions = pairs.mapWithState(
        StateSpec.function((k: string, v: number | undefined, s: State<number>) => {
          s.update((s.getOption() ?? 0) + (v ?? 0));
          return k;
        }),
      );
      const recent = pairs
        .reduceByKeyAndWindow(
          (a, b) => a + b,
          (a, b) => a - b,
          4,
          2,
        )
        .named('recent', { schema: 'v1' });
      return {
        sessions: sessions.named('sessions'),
        internal: (sessions.parts as DStream<unknown>[])[0],
        recent,
        reduced: (recent.parts as DStream<unknown>[])[0],
      };
    });
    expect(ids.sessions.id).toBe('sessions');
    expect(ids.internal).toMatchObject({ id: 'sessions/0', kind: 'mapWithState' });
    expect(ids.recent).toMatchObject({ id: 'recent', kind: 'reduceByKeyAndWindow' });
    expect(ids.reduced).toMatchObject({ id: 'recent/0', kind: 'combineByKey' });
  });

  test('every operator of the API has a kind of its own (never a class name a bundler may minify)', () => {
    const ssc = new StreamingContext({ batchInterval: 1, clock: 'manual' });
    const lines = ssc.kinesisTextStream();
    const pairs = lines.map(pair);
    const streams: DStream<unknown>[] = [
      lines,
      ssc.queueStream([]),
      lines.flatMap((l) => [l]),
      lines.filter(Boolean),
      pairs.mapValues((v) => v),
      pairs.flatMapValues((v) => [v]),
      lines.mapPartitions((p) => p),
      lines.glom(),
      lines.repartition(2),
      lines.union(lines),
      lines.transform((r) => r),
      pairs.reduceByKey((a, b) => a + b),
      lines.count(),
      lines.map((l) => l.length).reduce((a, b) => a + b),
      pairs.cogroup(pairs),
      lines.window(2, 1),
      pairs.reduceByKeyAndWindow(
        (a, b) => a + b,
        (a, b) => a - b,
        2,
        1,
      ),
      pairs.updateStateByKey(sum),
      ...((pairs.mapWithState(StateSpec.function((k: string) => k)).parts ?? []) as DStream<unknown>[]),
    ];
    const kinds = streams.map(kindOf);
    expect(kinds).toEqual([
      'kinesis',
      'queue',
      'flatMap',
      'filter',
      'mapValues',
      'flatMapValues',
      'mapPartitions',
      'glom',
      'repartition',
      'union',
      'transform',
      'combineByKey',
      'count',
      'reduce',
      'cogroup',
      'window',
      'reduceByKeyAndWindow',
      'updateStateByKey',
      'mapWithState',
    ]);
  });
});

describe('named()', () => {
  test('refuses invalid and repeated names, and naming after start', () => {
    const ssc = new StreamingContext({ batchInterval: 1, clock: 'manual' });
    const lines = ssc.kinesisTextStream();
    expect(() => lines.named('has space')).toThrow(InvalidStreamNameError);
    expect(() => lines.named('a/b')).toThrow(/a stream name is 1-64 letters, digits, '_', '-' or '\.'/);
    expect(() => lines.named('x', { schema: '' })).toThrow(/schema must be a non-empty string/);
    lines.named('lines');
    expect(() => lines.named('again')).toThrow(/this stream is already named 'lines'/);
    const other = lines.map((l) => l);
    expect(() => other.named('lines')).toThrow(/another stream \(.*\) already has this name/);
    other.pprint();
    ssc.start();
    expect(() => ssc.kinesisTextStream()).toThrow(/after the StreamingContext has started/);
    expect(() => other.named('late')).toThrow(/Cannot name a stream after the StreamingContext has started/);
    void ssc.stop();
  });

  test('returns the same stream, typed as it was', () => {
    const ssc = new StreamingContext({ batchInterval: 1, clock: 'manual' });
    const pairs = ssc.kinesisTextStream().map(pair);
    const named: DStream<[string, number]> = pairs.named('pairs');
    expect(named).toBe(pairs);
  });
});

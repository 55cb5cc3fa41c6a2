import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DStream, RDD, StreamingContext } from '../../lib';

const manual = () => new StreamingContext({ batchInterval: 1, clock: 'manual' });

describe('API contracts and errors', () => {
  test('pair operations are compile errors on non-pair streams', () => {
    const ssc = manual();
    const words: DStream<string> = ssc.queueStream([['a']]);
    // Checked by tsc in `npm test`: the line below must not compile.
    // @ts-expect-error reduceByKey needs a DStream<[K, V]>
    const notPairs = () => words.reduceByKey((a: unknown, b: unknown) => a ?? b);
    expect(typeof notPairs).toBe('function');
    const pairs = words.map((w) => [w, 1] as [string, number]);
    const summed: DStream<[string, number]> = pairs.reduceByKey((a, b) => a + b);
    // @ts-expect-error values are numbers, not strings
    const bad: DStream<[string, string]> = summed;
    expect(bad).toBe(summed);
    const joined: DStream<[string, [number, string]]> = pairs.join(
      words.map((w) => [w, w] as [string, string]),
    );
    expect(joined).toBeInstanceOf(DStream);
  });

  test('updateStateByKey options forms and ssc.transform: types flow, misuse does not compile', () => {
    const ssc = manual();
    const words: DStream<string> = ssc.queueStream([['a']]);
    const pairs = words.map((w) => [w, 1] as [string, number]);
    const lastSeen: DStream<[string, number]> = pairs.updateStateByKey({
      updateFunc: (time, _key, values, state: number | undefined) => (values.length ? time : state),
    });
    const totals: DStream<[string, number]> = pairs.updateStateByKey({
      iteratorFunc: (entries: Iterable<[string, number[], number | undefined]>) =>
        Array.from(entries, ([k, vs, s]): [string, number] => [k, vs.length + (s ?? 0)]),
      initialState: [['a', 1]],
    });
    // @ts-expect-error the options form needs a pair stream too
    const notPairs = () => words.updateStateByKey({ updateFunc: () => 1 });
    // @ts-expect-error values are numbers: the update function cannot take strings
    const badValues = () => pairs.updateStateByKey({ updateFunc: (_t, _k, vs: string[]) => vs.length });
    const mixed: DStream<string> = ssc.transform([words, pairs], ([w, p], time) =>
      w.union(p.map(([k, n]) => `${k}${n}${time}`)),
    );
    // @ts-expect-error the second RDD holds pairs, not strings
    const badRdds = () => ssc.transform([words, pairs], ([w, p]) => w.union(p));
    expect([lastSeen, totals, mixed].every((s) => s instanceof DStream)).toBe(true);
    expect([notPairs, badValues, badRdds].every((f) => typeof f === 'function')).toBe(true);
  });

  test('updateStateByKey and ssc.transform name what is wrong with their arguments', () => {
    const ssc = manual();
    const pairs = ssc.queueStream([[['a', 1] as [string, number]]]);
    const spec = (x: unknown) => () => pairs.updateStateByKey(x as never);
    expect(spec({})).toThrow(/exactly one of updateFunc and iteratorFunc, got neither/);
    expect(spec({ updateFunc: () => 1, iteratorFunc: () => [] })).toThrow(/got both/);
    expect(spec({ updateFunc: 3 })).toThrow(/updateStateByKey\(\) needs a updateFunc/);
    expect(spec(undefined)).toThrow(/updateStateByKey\(\) needs a update function/);
    const untyped = pairs.updateStateByKey as unknown as (spec: unknown, options: unknown) => unknown;
    expect(() => untyped.call(pairs, { updateFunc: () => 1 }, {})).toThrow(/in the same object/);
    expect(() => ssc.transform([], () => RDD.empty())).toThrow(/at least one DStream/);
    expect(() => ssc.transform([pairs, 'x' as never], () => RDD.empty())).toThrow(/must be a DStream/);
    expect(() => ssc.transform([pairs, manual().queueStream([[1]])], () => RDD.empty())).toThrow(
      /belong to this StreamingContext/,
    );
    expect(() => ssc.transform([pairs, pairs.window(2, 2)], () => RDD.empty())).toThrow(
      /same slide duration/,
    );
    expect(() => ssc.transform([pairs], 'f' as never)).toThrow(/transform\(\) needs a function/);
  });

  test('an iterator update function must return pairs: the batch fails with a clear error', async () => {
    const ssc = manual();
    ssc
      .queueStream([[['a', 1] as [string, number]]])
      .updateStateByKey({ iteratorFunc: () => 42 as never })
      .collect();
    ssc.start();
    await expect(ssc.runBatches(1)).rejects.toThrow(
      /returned number, not an iterable of \[key, state\] pairs/,
    );
  });

  test('window and slide must be multiples of the batch interval, with an error naming both', () => {
    const ssc = new StreamingContext({ batchInterval: 2, clock: 'manual' });
    const s = ssc.queueStream<number>([]);
    expect(() => s.window(3, 2)).toThrow(/window duration \(3 s\) must be a multiple of .*\(2 s\)/);
    expect(() => s.window(4, 3)).toThrow(/slide duration \(3 s\) must be a multiple of .*\(2 s\)/);
    expect(() => s.countByWindow(5, 2)).toThrow(/window duration \(5 s\)/);
  });

  test('defining operations after start is an error; start needs an output', async () => {
    const ssc = manual();
    const s = ssc.queueStream([[1]]);
    expect(() => ssc.start()).toThrow(/No output operations/);
    const ssc2 = manual();
    const s2 = ssc2.queueStream([[1]]);
    s2.collect();
    ssc2.start();
    expect(() => s2.map((x) => x)).toThrow(/after the StreamingContext has started/);
    expect(() => s2.pprint()).toThrow(/after the StreamingContext has started/);
    expect(s).toBeDefined();
    await ssc2.stop();
  });

  test('bad arguments name the problem', () => {
    const ssc = manual();
    const s = ssc.queueStream([[1]]);
    expect(() => s.map(undefined as unknown as (x: number) => number)).toThrow(/map\(\) needs a function/);
    expect(() => new StreamingContext({ batchInterval: 0 })).toThrow(
      /batchInterval must be a positive number/,
    );
    expect(() => ssc.queueStream([1] as unknown as number[][])).toThrow(/array of batches/);
    expect(() => s.repartition(0)).toThrow(/positive whole number/);
  });

  test('first batch time is one interval after start (manual clock, startTime)', async () => {
    const ssc = new StreamingContext({ batchInterval: 2, clock: 'manual', startTime: 10000 });
    const out = ssc.queueStream([[1], [2]]).collect();
    ssc.start();
    await ssc.runBatches(2);
    expect(out.times).toEqual([12000, 14000]);
    expect(out.batches).toEqual([[1], [2]]);
  });

  test('a narrow chain is fused: intermediate streams keep no batches; shared streams are computed once', async () => {
    const ssc = manual();
    let calls = 0;
    const src = ssc.queueStream([['a b', 'c'], ['a']]);
    const words = src
      .flatMap((l) => l.split(' '))
      .map((w) => {
        calls++;
        return w;
      });
    const pairs = words.map((w) => [w, 1] as [string, number]);
    const counts = pairs.reduceByKey((a, b) => a + b).collect();
    const n = words.count().collect(); // words now has two consumers: computed once per batch
    ssc.start();
    await ssc.runBatches(2);
    expect(counts.batches).toEqual([
      [
        ['a', 1],
        ['b', 1],
        ['c', 1],
      ],
      [['a', 1]],
    ]);
    expect(n.batches).toEqual([[3], [1]]);
    expect(calls).toBe(4);
    expect(pairs.generated.size).toBe(0);
  });

  test('tuple keys are compared by value, as Spark compares keys with equals', async () => {
    const ssc = manual();
    const out = ssc
      .queueStream([
        [[['a', 1], 2] as [[string, number], number], [['a', 1], 3] as [[string, number], number]],
      ])
      .reduceByKey((a, b) => a + b)
      .collect();
    ssc.start();
    await ssc.runBatches(1);
    expect(out.batches).toEqual([[[['a', 1], 5]]]);
  });

  test('user function errors reject runBatches with the original error', async () => {
    const ssc = manual();
    ssc
      .queueStream([[1]])
      .map(() => {
        throw new Error('boom');
      })
      .collect();
    ssc.start();
    await expect(ssc.runBatches(1)).rejects.toThrow('boom');
  });

  test('textFileStream reads new files each batch; saveAsTextFiles writes prefix-<time>.suffix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dstream-in-'));
    const outDir = mkdtempSync(join(tmpdir(), 'dstream-out-'));
    const ssc = manual();
    const counts = ssc
      .textFileStream(dir)
      .flatMap((l) => l.split(' '))
      .countByValue();
    counts.saveAsTextFiles(join(outDir, 'counts'), 'txt');
    ssc.start();
    writeFileSync(join(dir, 'a.txt'), 'x y\nx\n');
    writeFileSync(join(dir, '.hidden'), 'ignored\n');
    await ssc.runBatches(1);
    await ssc.runBatches(1); // no new file: empty batch
    expect(readdirSync(outDir).sort()).toEqual(['counts-1000.txt', 'counts-2000.txt']);
    expect(readFileSync(join(outDir, 'counts-1000.txt'), 'utf8')).toBe("('x', 2)\n('y', 1)\n");
    expect(readFileSync(join(outDir, 'counts-2000.txt'), 'utf8')).toBe('');
  });

  test('RDD methods', () => {
    const r = new RDD([[3, 1], [2]]);
    expect(r.collect()).toEqual([3, 1, 2]);
    expect(r.count()).toBe(3);
    expect(r.take(2)).toEqual([3, 1]);
    expect(r.first()).toBe(3);
    expect(r.isEmpty()).toBe(false);
    expect(r.reduce((a, b) => a + b)).toBe(6);
    expect(r.sortBy((x) => x).collect()).toEqual([1, 2, 3]);
    expect(r.sortBy((x) => x, false).collect()).toEqual([3, 2, 1]);
    expect(r.union(RDD.of([9])).collect()).toEqual([3, 1, 2, 9]);
    expect(
      r
        .filter((x) => x > 1)
        .map((x) => x * 2)
        .flatMap((x) => [x, x])
        .collect(),
    ).toEqual([6, 6, 4, 4]);
    const kv = RDD.of<[string, number]>([
      ['a', 1],
      ['b', 2],
      ['a', 3],
    ]);
    expect(kv.reduceByKey((a, b) => a + b).collect()).toEqual([
      ['a', 4],
      ['b', 2],
    ]);
    expect(kv.join(RDD.of<[string, string]>([['a', 'x']])).collect()).toEqual([
      ['a', [1, 'x']],
      ['a', [3, 'x']],
    ]);
    const seen: number[] = [];
    r.foreach((x) => seen.push(x));
    expect(seen).toEqual([3, 1, 2]);
    expect(() => RDD.empty().first()).toThrow(/empty/);
    expect(() => RDD.empty<number>().reduce((a, b) => a + b)).toThrow(/empty/);
  });

  test('system clock: batches run at interval multiples; awaitTermination(timeout) resolves false', async () => {
    const ssc = new StreamingContext({ batchInterval: 0.2 });
    const out = ssc.queueStream([[1], [2]]).collect();
    ssc.start();
    expect(await ssc.awaitTermination(0.7)).toBe(false);
    await ssc.stop();
    expect(out.batches.slice(0, 2)).toEqual([[1], [2]]);
    for (const t of out.times) expect(t % 200).toBe(0);
    expect(await ssc.awaitTermination()).toBe(true);
  });
});

import fc from 'fast-check';
import { StateSpec } from '../../lib';
import type { State } from '../../lib';
import type { Template } from '../serverless/harness';
import { runTemplateDifferential, WORDS } from './differential';

const split = (l: string) => l.split(' ').filter((w) => w.length > 0);
const pair = (x: string) => [x, 1] as [string, number];
const plus = (a: number, c: number) => a + c;
const minus = (a: number, c: number) => a - c;

/** Pipelines the shipped differential templates do not cover (slide > batch, nesting, union, transform, 2 sources). */
export function reviewTemplates(b: number): Template[] {
  return [
    {
      name: 'window(4,2).reduceByKeyAndWindow(+,-,6,2) nested',
      build: (ssc, out) =>
        out(
          0,
          ssc
            .kinesisTextStream()
            .flatMap(split)
            .window(4 * b, 2 * b)
            .map(pair)
            .reduceByKeyAndWindow(plus, minus, 6 * b, 2 * b),
        ),
    },
    {
      name: 'window(2,4) slide > window, and reduceByKeyAndWindow(+,-,2,3)',
      build: (ssc, out) => {
        const words = ssc.kinesisTextStream().flatMap(split);
        out(0, words.window(2 * b, 4 * b).countByValue());
        out(1, words.map(pair).reduceByKeyAndWindow(plus, minus, 2 * b, 3 * b));
      },
    },
    {
      name: 'countByWindow slide 3, reduceByWindow without inverse slide 3',
      build: (ssc, out) => {
        const words = ssc.kinesisTextStream().flatMap(split);
        out(0, words.countByWindow(6 * b, 3 * b));
        out(1, words.map((w) => w.length).reduceByWindow(plus, null, 3 * b, 3 * b));
      },
    },
    {
      name: 'transform with sortBy, transformWith of two derived streams',
      build: (ssc, out) => {
        const words = ssc.kinesisTextStream().flatMap(split);
        const sorted = words.transform((rdd) => rdd.sortBy((w) => w));
        out(0, sorted);
        const lens = words.map((w) => [w, w.length] as [string, number]);
        const counts = words.map(pair).reduceByKey(plus);
        out(
          1,
          lens.transformWith(counts, (a, c) => a.join(c)),
        );
        out(2, sorted.map(pair).reduceByKey(plus));
      },
    },
    {
      name: 'union of two derived streams; windowed union',
      build: (ssc, out) => {
        const words = ssc.kinesisTextStream().flatMap(split);
        const u = words.filter((w) => w.length > 1).union(words.map((w) => w.toUpperCase()));
        out(0, u.countByValue());
        out(1, u.window(3 * b, 2 * b).count());
      },
    },
    {
      name: 'two kinesisTextStream() calls, union',
      build: (ssc, out) => {
        const a = ssc.kinesisTextStream().flatMap(split);
        const c = ssc
          .kinesisTextStream()
          .flatMap(split)
          .map((w) => w + '!');
        out(0, a.union(c).countByValue());
        out(
          1,
          ssc
            .union(a, c)
            .window(2 * b, 2 * b)
            .count(),
        );
      },
    },
    {
      name: 'updateStateByKey over window(4,2); window over state',
      build: (ssc, out) => {
        const words = ssc.kinesisTextStream().flatMap(split);
        out(
          0,
          words
            .window(4 * b, 2 * b)
            .map(pair)
            .updateStateByKey((vs: number[], s: number | undefined) => (s ?? 0) + vs.length),
        );
        const st = words
          .map(pair)
          .updateStateByKey((vs: number[], s: number | undefined) => (s ?? 0) + vs.length);
        out(1, st.window(3 * b, 2 * b).reduceByKey(plus));
        out(
          2,
          st.map(([k, v]) => [k, v] as [string, number]).reduceByKeyAndWindow(plus, minus, 4 * b, 2 * b),
        );
      },
    },
    {
      name: 'mapWithState on window(2,2), then window',
      build: (ssc, out) => {
        const mapped = ssc
          .kinesisTextStream()
          .flatMap(split)
          .window(2 * b, 2 * b)
          .map(pair)
          .mapWithState(
            StateSpec.function((k: string, v: number | undefined, st: State<number>) => {
              if (st.isTimingOut()) return [k, -1] as [string, number];
              const n = (st.getOption() ?? 0) + (v ?? 0);
              st.update(n);
              return [k, n] as [string, number];
            }).timeout(4 * b),
          );
        out(0, mapped);
        out(
          1,
          mapped
            .stateSnapshots()
            .window(4 * b, 2 * b)
            .count(),
        );
      },
    },
  ];
}

const lineArb = fc.record({
  shard: fc.nat(3),
  offsetMs: fc.integer({ min: 0, max: 20_000 }),
  words: fc.array(fc.nat(WORDS.length - 1), { maxLength: 4 }),
});

describe('review: serverless equals in-memory on pipelines the shipped templates miss', () => {
  const templatesCount = reviewTemplates(1).length;
  for (let i = 0; i < templatesCount; i++) {
    const name = reviewTemplates(1)[i].name;
    test(name, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(1, 2),
          fc.constantFrom(1, 2, 4),
          fc.array(lineArb, { minLength: 1, maxLength: 30 }),
          fc.integer(),
          fc.boolean(),
          async (b, shards, lines, seed, faults) => {
            const t = reviewTemplates(b)[i];
            expect(await runTemplateDifferential(t, { b, shards, lines, seed, faults, tail: 10 })).toEqual(
              [],
            );
          },
        ),
        { numRuns: Number(process.env.REVIEW_RUNS ?? 25) },
      );
    });
  }
});

/**
 * The reference models checked against hand examples from Spark's WindowOperationsSuite and
 * MapWithStateSuite (batch interval 1 s, default window 2 s, slide 1 s), and the closed-form
 * inverse-window model against a literal transcription of ReducedWindowedDStream.
 */
import fc from 'fast-check';
import {
  countByValueAndWindowModel,
  countByWindowModel,
  groupByKeyAndWindowModel,
  mapWithStateModel,
  reduceByKeyAndWindowInvModel,
  reduceByKeyAndWindowModel,
  sparkReducedWindowed,
  updateStateByKeyModel,
  windowModel,
} from './brute-force';
import type { Emission, ModelState, WindowShape } from './brute-force';

const shape = (w = 2, s = 1): WindowShape => ({ batchMs: 1000, windowMs: w * 1000, slideMs: s * 1000 });
const items = <T>(es: Emission<T>[]) => es.map((e) => e.items);
const sorted = <T>(es: Emission<T>[]) => es.map((e) => e.items.map((x) => JSON.stringify(x)).sort());
const asSorted = (xs: unknown[][]) => xs.map((b) => b.map((x) => JSON.stringify(x)).sort());
const sum = (a: number, b: number) => a + b;
const minus = (a: number, b: number) => a - b;

const six = [[0], [1], [2], [3], [4], [5]];

describe('window model (WindowOperationsSuite)', () => {
  test.each([
    ['basic window', 2, 1, [[0], [0, 1], [1, 2], [2, 3], [3, 4], [4, 5]]],
    [
      'tumbling window',
      2,
      2,
      [
        [0, 1],
        [2, 3],
        [4, 5],
      ],
    ],
    [
      'larger window',
      4,
      2,
      [
        [0, 1],
        [0, 1, 2, 3],
        [2, 3, 4, 5],
      ],
    ],
    [
      'non-overlapping window',
      2,
      3,
      [
        [1, 2],
        [4, 5],
      ],
    ],
  ])('%s', (_name, w, s, expected) => {
    // Spark's "larger window" expects a 4th output [4, 5] at t = 8, after 8 batches; we run 6.
    expect(items(windowModel(six, shape(w, s)))).toEqual(expected);
  });

  test('emits at t = s, 2s, ... only', () => {
    expect(windowModel(six, shape(2, 3)).map((e) => e.time)).toEqual([3000, 6000]);
  });
});

const largerSlideInput = [[['a', 1]], [['a', 2]], [['a', 3]], [['a', 4]], [['a', 5]], [['a', 6]], [], []] as [
  string,
  number,
][][];
const bigInput = [
  [['a', 1]],
  [
    ['a', 1],
    ['b', 1],
  ],
  [
    ['a', 1],
    ['b', 1],
    ['c', 1],
  ],
  [
    ['a', 1],
    ['b', 1],
  ],
  [['a', 1]],
  [],
  [['a', 1]],
  [
    ['a', 1],
    ['b', 1],
  ],
  [
    ['a', 1],
    ['b', 1],
    ['c', 1],
  ],
  [
    ['a', 1],
    ['b', 1],
  ],
  [['a', 1]],
  [],
] as [string, number][][];
const bigReduceOutput = [
  [['a', 1]],
  [
    ['a', 2],
    ['b', 1],
  ],
  [
    ['a', 2],
    ['b', 2],
    ['c', 1],
  ],
  [
    ['a', 2],
    ['b', 2],
    ['c', 1],
  ],
  [
    ['a', 2],
    ['b', 1],
  ],
  [['a', 1]],
  [['a', 1]],
  [
    ['a', 2],
    ['b', 1],
  ],
  [
    ['a', 2],
    ['b', 2],
    ['c', 1],
  ],
  [
    ['a', 2],
    ['b', 2],
    ['c', 1],
  ],
  [
    ['a', 2],
    ['b', 1],
  ],
  [['a', 1]],
];
const bigReduceInvOutput = [
  [['a', 1]],
  [
    ['a', 2],
    ['b', 1],
  ],
  [
    ['a', 2],
    ['b', 2],
    ['c', 1],
  ],
  [
    ['a', 2],
    ['b', 2],
    ['c', 1],
  ],
  [
    ['a', 2],
    ['b', 1],
    ['c', 0],
  ],
  [
    ['a', 1],
    ['b', 0],
    ['c', 0],
  ],
  [
    ['a', 1],
    ['b', 0],
    ['c', 0],
  ],
  [
    ['a', 2],
    ['b', 1],
    ['c', 0],
  ],
  [
    ['a', 2],
    ['b', 2],
    ['c', 1],
  ],
  [
    ['a', 2],
    ['b', 2],
    ['c', 1],
  ],
  [
    ['a', 2],
    ['b', 1],
    ['c', 0],
  ],
  [
    ['a', 1],
    ['b', 0],
    ['c', 0],
  ],
];

describe('reduceByKeyAndWindow models (WindowOperationsSuite)', () => {
  test('key removed from window: naive drops it, inverse keeps it at 0', () => {
    const input = [[['a', 1]], [['a', 1]], [], []] as [string, number][][];
    expect(items(reduceByKeyAndWindowModel(input, sum, shape()))).toEqual([
      [['a', 1]],
      [['a', 2]],
      [['a', 1]],
      [],
    ]);
    expect(items(reduceByKeyAndWindowInvModel(input, sum, 0, shape()))).toEqual([
      [['a', 1]],
      [['a', 2]],
      [['a', 1]],
      [['a', 0]],
    ]);
  });

  test('larger slide time (window 4, slide 2)', () => {
    const expected = [[['a', 3]], [['a', 10]], [['a', 18]], [['a', 11]]];
    expect(items(reduceByKeyAndWindowModel(largerSlideInput, sum, shape(4, 2)))).toEqual(expected);
    expect(items(reduceByKeyAndWindowInvModel(largerSlideInput, sum, 0, shape(4, 2)))).toEqual(expected);
  });

  test('big test: naive, with inverse, with inverse and filter', () => {
    expect(sorted(reduceByKeyAndWindowModel(bigInput, sum, shape()))).toEqual(asSorted(bigReduceOutput));
    expect(sorted(reduceByKeyAndWindowInvModel(bigInput, sum, 0, shape()))).toEqual(
      asSorted(bigReduceInvOutput),
    );
    const nonZero = ([, v]: [string, number]) => v !== 0;
    expect(sorted(reduceByKeyAndWindowInvModel(bigInput, sum, 0, shape(), nonZero))).toEqual(
      asSorted(bigReduceOutput),
    );
  });

  test('groupByKeyAndWindow big test', () => {
    const expected = bigReduceOutput.map((b) => b.map(([k, n]) => [k, Array(n).fill(1)]));
    expect(sorted(groupByKeyAndWindowModel(bigInput, shape()))).toEqual(asSorted(expected));
  });

  test('countByWindow: [[1], [2], [3], [3], [1], [0]]', () => {
    const input = [[1], [1], [1, 2], [0], [], []];
    expect(items(countByWindowModel(input, shape()))).toEqual([[1], [2], [3], [3], [1], [0]]);
  });

  test('countByWindow: no element (not 0) before the first element', () => {
    expect(items(countByWindowModel([[], [], [7], [], [], []], shape()))).toEqual([
      [],
      [],
      [1],
      [1],
      [0],
      [0],
    ]);
  });

  test('countByValueAndWindow', () => {
    const input = [['a'], ['b', 'b'], ['a', 'b']];
    const expected = [
      [['a', 1]],
      [
        ['a', 1],
        ['b', 2],
      ],
      [
        ['a', 1],
        ['b', 3],
      ],
    ];
    expect(sorted(countByValueAndWindowModel(input, shape()))).toEqual(asSorted(expected));
  });

  test('a filter that drops a key with data in the window is refused (Spark would throw later)', () => {
    const input = [[['a', 1]], [], [], []] as [string, number][][];
    expect(() => reduceByKeyAndWindowInvModel(input, sum, 0, shape(3, 1), ([k]) => k !== 'a')).toThrow(
      /drops key a/,
    );
    expect(sparkReducedWindowed(input, sum, minus, shape(3, 1), ([k]) => k !== 'a')).toBe('spark-throws');
  });
});

describe('closed-form inverse model = literal ReducedWindowedDStream', () => {
  const shapeArb = fc
    .record({ j: fc.integer({ min: 1, max: 4 }), e: fc.integer({ min: 0, max: 4 }) })
    .map(({ j, e }) => shape(j + e, j));
  const batches = (v: fc.Arbitrary<number>) =>
    fc.array(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), v), { maxLength: 4 }), { maxLength: 30 });

  test('without a filter, any values (slide <= window)', () => {
    fc.assert(
      fc.property(shapeArb, batches(fc.integer({ min: -3, max: 3 })), (sh, input) => {
        expect(sorted(reduceByKeyAndWindowInvModel(input, sum, 0, sh))).toEqual(
          sorted(sparkReducedWindowed(input, sum, minus, sh) as Emission<[string, number]>[]),
        );
      }),
      { numRuns: 300 },
    );
  });

  test('with filter v != 0 and positive values (slide <= window)', () => {
    const nonZero = ([, v]: [string, number]) => v !== 0;
    fc.assert(
      fc.property(shapeArb, batches(fc.integer({ min: 1, max: 3 })), (sh, input) => {
        expect(sorted(reduceByKeyAndWindowInvModel(input, sum, 0, sh, nonZero))).toEqual(
          sorted(sparkReducedWindowed(input, sum, minus, sh, nonZero) as Emission<[string, number]>[]),
        );
      }),
      { numRuns: 300 },
    );
  });

  test('Spark`s algorithm is not a window reduction when slide > window (documented divergence)', () => {
    const input = [[['a', 1]], []] as [string, number][][];
    expect(
      items(sparkReducedWindowed(input, sum, minus, shape(1, 2)) as Emission<[string, number]>[]),
    ).toEqual([[['a', 1]]]);
    expect(items(reduceByKeyAndWindowModel(input, sum, shape(1, 2)))).toEqual([[]]);
  });
});

describe('state models (MapWithStateSuite, StateDStream)', () => {
  const runningCount = (key: string, value: number | undefined, state: ModelState<number>) => {
    const s = (value ?? 0) + (state.getOption() ?? 0);
    state.update(s);
    return [key, s];
  };
  const input = [[], ['a'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'b'], ['a'], []].map((b) =>
    b.map((k) => [k, 1] as [string, number]),
  );

  test('mapWithState - states as mapped data', () => {
    const out = mapWithStateModel(input, runningCount, 1000);
    expect(sorted(out.mapped)).toEqual(
      asSorted([
        [],
        [['a', 1]],
        [
          ['a', 2],
          ['b', 1],
        ],
        [
          ['a', 3],
          ['b', 2],
          ['c', 1],
        ],
        [
          ['a', 4],
          ['b', 3],
        ],
        [['a', 5]],
        [],
      ]),
    );
    expect(sorted(out.snapshots)).toEqual(
      asSorted([
        [],
        [['a', 1]],
        [
          ['a', 2],
          ['b', 1],
        ],
        [
          ['a', 3],
          ['b', 2],
          ['c', 1],
        ],
        [
          ['a', 4],
          ['b', 3],
          ['c', 1],
        ],
        [
          ['a', 5],
          ['b', 3],
          ['c', 1],
        ],
        [
          ['a', 5],
          ['b', 3],
          ['c', 1],
        ],
      ]),
    );
  });

  test('mapWithState - state timing out (timeout 3 s): c at batch 5, b at batch 6, a never', () => {
    const timing = [['a', 'b', 'c'], ['a', 'b'], ['a'], [], [], ['a'], ...Array(20).fill(['a'])].map(
      (b: string[]) => b.map((k) => [k, 1] as [string, number]),
    );
    const fn = (key: string, value: number | undefined, state: ModelState<number>) => {
      if (value !== undefined) state.update(1);
      return state.isTimingOut() ? key : undefined;
    };
    const out = mapWithStateModel(timing, fn, 1000, 3000);
    // c last updated at 1000 ms: 1000 < t - 3000 first at t = 5000; b (2000 ms) at t = 6000.
    expect(out.mapped.filter((e) => e.items.length).map((e) => [e.time, e.items])).toEqual([
      [5000, ['c']],
      [6000, ['b']],
    ]);
    expect(out.snapshots[out.snapshots.length - 1].items).toEqual([['a', 1]]);
  });

  test('updateStateByKey running totals, fn called for idle keys too', () => {
    const calls: number[][] = [];
    const out = updateStateByKeyModel(
      [
        [['a', 1]],
        [],
        [
          ['a', 2],
          ['b', 5],
        ],
      ] as [string, number][][],
      (vs: number[], s: number | undefined) => {
        calls.push(vs);
        return (s ?? 0) + vs.reduce(sum, 0);
      },
      1000,
    );
    expect(items(out)).toEqual([
      [['a', 1]],
      [['a', 1]],
      [
        ['a', 3],
        ['b', 5],
      ],
    ]);
    expect(calls).toEqual([[1], [], [2], [5]]);
  });
});

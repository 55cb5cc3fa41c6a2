/**
 * Port of Apache Spark's streaming WindowOperationsSuite
 * (streaming/src/test/scala/org/apache/spark/streaming/WindowOperationsSuite.scala): same inputs,
 * expected outputs, window and slide durations (seconds), batch interval 1 s, and Spark's number of
 * batches (expected outputs x slide / batch interval). Also ported, for operations and shapes the
 * Scala suite does not cover: the window cases of Spark's JavaAPISuite (window with the default
 * slide, reduceByWindow with and without inverse, ...) and PySpark's WindowFunctionTests (batch
 * interval 0.5 s, as PySparkStreamingTestCase), plus nested windows and invalid durations.
 *
 * Adapted: Spark's useSet compares sets; we compare multisets (stricter, same expected data). For
 * groupByKeyAndWindow Spark compares each key's values as a set; we compare them sorted (a multiset).
 *
 * Skipped, and why:
 * - "window - persistence level": storage levels are Spark cluster internals; we have none.
 * - The `.checkpoint(Seconds(100))` / `.persist()` calls of the inverse-function helpers: RDD
 *   checkpointing and persistence do not exist here; they do not change results in Spark either.
 */
import { StreamingContext } from '../../lib';
import type { DStream } from '../../lib';
import { pyRange, sorted, testOperation } from '../helpers/spark';

type KV<K, V> = [K, V];
type Batches<T> = T[][];

const add = (a: number, b: number): number => a + b;
const sub = (a: number, b: number): number => a - b;

const largerSlideInput: Batches<KV<string, number>> = [
  [['a', 1]],
  [['a', 2]], // 1st window from here
  [['a', 3]],
  [['a', 4]], // 2nd window from here
  [['a', 5]],
  [['a', 6]], // 3rd window from here
  [],
  [], // 4th window from here
];

const largerSlideReduceOutput: Batches<KV<string, number>> = [
  [['a', 3]],
  [['a', 10]],
  [['a', 18]],
  [['a', 11]],
];

const bigInput: Batches<KV<string, number>> = [
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
];

const bigGroupByOutput: Batches<KV<string, number[]>> = [
  [['a', [1]]],
  [
    ['a', [1, 1]],
    ['b', [1]],
  ],
  [
    ['a', [1, 1]],
    ['b', [1, 1]],
    ['c', [1]],
  ],
  [
    ['a', [1, 1]],
    ['b', [1, 1]],
    ['c', [1]],
  ],
  [
    ['a', [1, 1]],
    ['b', [1]],
  ],
  [['a', [1]]],
  [['a', [1]]],
  [
    ['a', [1, 1]],
    ['b', [1]],
  ],
  [
    ['a', [1, 1]],
    ['b', [1, 1]],
    ['c', [1]],
  ],
  [
    ['a', [1, 1]],
    ['b', [1, 1]],
    ['c', [1]],
  ],
  [
    ['a', [1, 1]],
    ['b', [1]],
  ],
  [['a', [1]]],
];

const bigReduceOutput: Batches<KV<string, number>> = [
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

// With an inverse function and no filter function, keys whose value went back to 0 stay in the
// window's output (Spark's ReducedWindowedDStream never drops keys by itself).
const bigReduceInvOutput: Batches<KV<string, number>> = [
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

/** Spark: numBatches = expectedOutput.size * (slideDuration / batchDuration). */
const batchesFor = (expected: unknown[][], slideSec: number, batchSec = 1): number =>
  expected.length * Math.round(slideSec / batchSec);

const windowInput = [[0], [1], [2], [3], [4], [5]];

describe('WindowOperationsSuite', () => {
  // Spark: testWindow("basic window" | "tumbling window" | "larger window" | "non-overlapping window")
  // Spark's TestInputStream gives batch i the i-th input whether or not anything reads that batch;
  // in the non-overlapping case no output reads batches 1 s and 4 s, and they must still be consumed.
  test.each<[string, number[][], number, number]>([
    ['basic window', [[0], [0, 1], [1, 2], [2, 3], [3, 4], [4, 5]], 2, 1],
    [
      'tumbling window',
      [
        [0, 1],
        [2, 3],
        [4, 5],
      ],
      2,
      2,
    ],
    [
      'larger window',
      [
        [0, 1],
        [0, 1, 2, 3],
        [2, 3, 4, 5],
        [4, 5],
      ],
      4,
      2,
    ],
    [
      'non-overlapping window',
      [
        [1, 2],
        [4, 5],
      ],
      2,
      3,
    ],
  ])('window - %s', async (_name, expected, windowSec, slideSec) => {
    await testOperation(windowInput, (s: DStream<number>) => s.window(windowSec, slideSec), expected, {
      numBatches: batchesFor(expected, slideSec),
      useSet: true,
    });
  });

  // Spark: testReduceByKeyAndWindow(...) (naive, without an inverse function)
  // Spark: testReduceByKeyAndWindowWithInverse(...)
  const reduceCases: [
    string,
    Batches<KV<string, number>>,
    Batches<KV<string, number>>,
    Batches<KV<string, number>>,
    number,
    number,
  ][] = [
    [
      'basic reduction',
      [
        [
          ['a', 1],
          ['a', 3],
        ],
      ],
      [[['a', 4]]],
      [[['a', 4]]],
      2,
      1,
    ],
    [
      'key already in window and new value added into window',
      [[['a', 1]], [['a', 1]]],
      [[['a', 1]], [['a', 2]]],
      [[['a', 1]], [['a', 2]]],
      2,
      1,
    ],
    [
      'new key added into window',
      [
        [['a', 1]],
        [
          ['a', 1],
          ['b', 1],
        ],
      ],
      [
        [['a', 1]],
        [
          ['a', 2],
          ['b', 1],
        ],
      ],
      [
        [['a', 1]],
        [
          ['a', 2],
          ['b', 1],
        ],
      ],
      2,
      1,
    ],
    [
      'key removed from window',
      [[['a', 1]], [['a', 1]], [], []],
      [[['a', 1]], [['a', 2]], [['a', 1]], []],
      [[['a', 1]], [['a', 2]], [['a', 1]], [['a', 0]]],
      2,
      1,
    ],
    ['larger slide time', largerSlideInput, largerSlideReduceOutput, largerSlideReduceOutput, 4, 2],
    ['big test', bigInput, bigReduceOutput, bigReduceInvOutput, 2, 1],
  ];

  test.each(reduceCases)(
    'reduceByKeyAndWindow - %s',
    async (_name, input, expected, _inv, windowSec, slideSec) => {
      await testOperation(
        input,
        (s: DStream<KV<string, number>>) => s.reduceByKeyAndWindow(add, null, windowSec, slideSec),
        expected,
        { numBatches: batchesFor(expected, slideSec), useSet: true },
      );
    },
  );

  test.each(reduceCases)(
    'reduceByKeyAndWindow with inverse function - %s',
    async (_name, input, _naive, expected, windowSec, slideSec) => {
      await testOperation(
        input,
        (s: DStream<KV<string, number>>) => s.reduceByKeyAndWindow(add, sub, windowSec, slideSec),
        expected,
        { numBatches: batchesFor(expected, slideSec), useSet: true },
      );
    },
  );

  // Spark: testReduceByKeyAndWindowWithFilteredInverse("big test", bigInput, bigReduceOutput)
  test('reduceByKeyAndWindow with inverse and filter functions - big test', async () => {
    await testOperation(
      bigInput,
      (s: DStream<KV<string, number>>) => s.reduceByKeyAndWindow(add, sub, 2, 1, (p) => p[1] !== 0),
      bigReduceOutput,
      { numBatches: batchesFor(bigReduceOutput, 1), useSet: true },
    );
  });

  // The same, through the options form of reduceByKeyAndWindow.
  test('reduceByKeyAndWindow with inverse and filter functions - big test (options form)', async () => {
    await testOperation(
      bigInput,
      (s: DStream<KV<string, number>>) =>
        s.reduceByKeyAndWindow({
          reduceFunc: add,
          invReduceFunc: sub,
          windowDuration: 2,
          slideDuration: 1,
          filterFunc: (p) => p[1] !== 0,
        }),
      bigReduceOutput,
      { numBatches: batchesFor(bigReduceOutput, 1), useSet: true },
    );
  });

  // Spark: test("groupByKeyAndWindow"); values compared as multisets (Spark: as sets).
  test('groupByKeyAndWindow', async () => {
    const expected = bigGroupByOutput.map((b) => b.map(([k, vs]): KV<string, number[]> => [k, sorted(vs)]));
    await testOperation(
      bigInput,
      (s: DStream<KV<string, number>>) =>
        s.groupByKeyAndWindow(2, 1).map(([k, vs]): KV<string, number[]> => [k, sorted(vs)]),
      expected,
      { numBatches: batchesFor(expected, 1), useSet: true },
    );
  });

  // Spark: test("countByWindow")
  test('countByWindow', async () => {
    const input = [[1], [1], [1, 2], [0], [], []];
    const expected = [[1], [2], [3], [3], [1], [0]];
    await testOperation(input, (s: DStream<number>) => s.countByWindow(2, 1), expected, {
      numBatches: batchesFor(expected, 1),
      useSet: true,
    });
  });

  // Spark: test("countByValueAndWindow")
  test('countByValueAndWindow', async () => {
    const input = [['a'], ['b', 'b'], ['a', 'b']];
    const expected: Batches<KV<string, number>> = [
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
    await testOperation(input, (s: DStream<string>) => s.countByValueAndWindow(2, 1), expected, {
      numBatches: batchesFor(expected, 1),
      useSet: true,
    });
  });
});

describe('JavaAPISuite window operations', () => {
  const nums = [
    [1, 2, 3],
    [4, 5, 6],
    [7, 8, 9],
  ];
  const stringIntKVStream: Batches<KV<string, number>> = [
    [
      ['california', 1],
      ['california', 3],
      ['new york', 4],
      ['new york', 1],
    ],
    [
      ['california', 5],
      ['california', 5],
      ['new york', 3],
      ['new york', 1],
    ],
  ];

  // JavaAPISuite: testWindow (window(2 s), slide defaults to the batch interval)
  test('window with the default slide', async () => {
    await testOperation(
      nums,
      (s: DStream<number>) => s.window(2),
      [
        [1, 2, 3],
        [4, 5, 6, 1, 2, 3],
        [7, 8, 9, 4, 5, 6],
        [7, 8, 9],
      ],
      { useSet: true },
    );
  });

  // JavaAPISuite: testWindowWithSlideDuration
  test('window with a slide duration', async () => {
    const input = [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
      [10, 11, 12],
      [13, 14, 15],
      [16, 17, 18],
    ];
    await testOperation(
      input,
      (s: DStream<number>) => s.window(4, 2),
      [
        [1, 2, 3, 4, 5, 6],
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
        [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18],
        [13, 14, 15, 16, 17, 18],
      ],
      { numBatches: 8, useSet: true },
    );
  });

  // JavaAPISuite: testReduceByWindowWithInverse / testReduceByWindowWithoutInverse
  test.each<[string, ((a: number, b: number) => number) | null]>([
    ['with inverse', sub],
    ['without inverse', null],
  ])('reduceByWindow %s', async (_name, inv) => {
    await testOperation(nums, (s: DStream<number>) => s.reduceByWindow(add, inv, 2, 1), [
      [6],
      [21],
      [39],
      [24],
    ]);
  });

  // JavaAPISuite: testGroupByKeyAndWindow (values compared as sets in Spark; sorted here)
  test('groupByKeyAndWindow', async () => {
    await testOperation(
      stringIntKVStream,
      (s: DStream<KV<string, number>>) =>
        s.groupByKeyAndWindow(2, 1).map(([k, vs]): KV<string, number[]> => [k, sorted(vs)]),
      [
        [
          ['california', [1, 3]],
          ['new york', [1, 4]],
        ],
        [
          ['california', [1, 3, 5, 5]],
          ['new york', [1, 1, 3, 4]],
        ],
        [
          ['california', [5, 5]],
          ['new york', [1, 3]],
        ],
      ],
      { useSet: true },
    );
  });

  // JavaAPISuite: testReduceByKeyAndWindow / testReduceByKeyAndWindowWithInverse
  test.each<[string, ((a: number, b: number) => number) | null]>([
    ['without inverse', null],
    ['with inverse', sub],
  ])('reduceByKeyAndWindow %s', async (_name, inv) => {
    await testOperation(
      stringIntKVStream,
      (s: DStream<KV<string, number>>) => s.reduceByKeyAndWindow(add, inv, 2, 1),
      [
        [
          ['california', 4],
          ['new york', 5],
        ],
        [
          ['california', 14],
          ['new york', 9],
        ],
        [
          ['california', 10],
          ['new york', 4],
        ],
      ],
      { useSet: true },
    );
  });

  // JavaAPISuite: testCountByValueAndWindow
  test('countByValueAndWindow', async () => {
    await testOperation(
      [['hello', 'world'], ['hello', 'moon'], ['hello']],
      (s: DStream<string>) => s.countByValueAndWindow(2, 1),
      [
        [
          ['hello', 1],
          ['world', 1],
        ],
        [
          ['hello', 2],
          ['world', 1],
          ['moon', 1],
        ],
        [
          ['hello', 2],
          ['moon', 1],
        ],
      ],
      { useSet: true },
    );
  });
});

describe('nested windows', () => {
  // The operation of Spark's "rdd cleanup - map and window" (a window of a window), checked for
  // its results: the outer window at t unions the inner windows at t - 3 s .. t, so elements repeat.
  test('window(4, 2) of window(2, 1) unions the inner windows, with repeats', async () => {
    const expected = [
      [0, 0, 1],
      [0, 0, 1, 1, 2, 2, 3],
      [1, 2, 2, 3, 3, 4, 4, 5],
      [3, 4, 4, 5, 5],
    ];
    await testOperation(windowInput, (s: DStream<number>) => s.window(2, 1).window(4, 2), expected, {
      numBatches: 8,
      useSet: true,
    });
  });

  test('reduceByKeyAndWindow over a windowed stream counts each batch once per inner window', async () => {
    // Inner window(2, 1) holds batches t-1 and t; the outer reduce over 2 s sums inner windows at
    // t-1 and t: batch t-2 once, t-1 twice, t once.
    const input = [[1], [10], [100], [1000]].map((b) => b.map((v): KV<string, number> => ['k', v]));
    await testOperation(
      input,
      (s: DStream<KV<string, number>>) => s.window(2, 1).reduceByKeyAndWindow(add, sub, 2, 1),
      [[['k', 1]], [['k', 12]], [['k', 121]], [['k', 1210]], [['k', 2100]], [['k', 1000]], [['k', 0]]],
      { useSet: true },
    );
  });
});

describe('PySpark WindowFunctionTests (batch interval 0.5 s)', () => {
  const batchInterval = 0.5;
  const five = [pyRange(1), pyRange(2), pyRange(3), pyRange(4), pyRange(5)];
  const six = [...five, pyRange(6)];

  // PySpark: test_window
  test('window(1.5, 0.5).count()', async () => {
    await testOperation(
      five,
      (s: DStream<number>) => s.window(1.5, 0.5).count(),
      [[1], [3], [6], [9], [12], [9], [5]],
      {
        batchInterval,
      },
    );
  });

  // PySpark: test_count_by_window
  test('countByWindow(1.5, 0.5)', async () => {
    await testOperation(
      five,
      (s: DStream<number>) => s.countByWindow(1.5, 0.5),
      [[1], [3], [6], [9], [12], [9], [5]],
      {
        batchInterval,
      },
    );
  });

  // PySpark: test_count_by_window_large
  test('countByWindow(2.5, 0.5)', async () => {
    await testOperation(
      six,
      (s: DStream<number>) => s.countByWindow(2.5, 0.5),
      [[1], [3], [6], [10], [15], [20], [18], [15], [11], [6]],
      { batchInterval },
    );
  });

  // PySpark: test_count_by_value_and_window
  test('countByValueAndWindow(2.5, 0.5)', async () => {
    const counts = [
      [1],
      [2, 1],
      [3, 2, 1],
      [4, 3, 2, 1],
      [5, 4, 3, 2, 1],
      [5, 5, 4, 3, 2, 1],
      [4, 4, 4, 3, 2, 1],
      [3, 3, 3, 3, 2, 1],
      [2, 2, 2, 2, 2, 1],
      [1, 1, 1, 1, 1, 1],
    ];
    const expected = counts.map((b) => b.map((c, v): KV<number, number> => [v, c]));
    await testOperation(six, (s: DStream<number>) => s.countByValueAndWindow(2.5, 0.5), expected, {
      batchInterval,
      useSet: true,
    });
  });

  // PySpark: test_group_by_key_and_window (values compared in order, as PySpark does)
  test('groupByKeyAndWindow(1.5, 0.5)', async () => {
    await testOperation(
      pyRange(5).map((i): KV<string, number>[] => [['a', i]]),
      (s: DStream<KV<string, number>>) => s.groupByKeyAndWindow(1.5, 0.5),
      [
        [['a', [0]]],
        [['a', [0, 1]]],
        [['a', [0, 1, 2]]],
        [['a', [1, 2, 3]]],
        [['a', [2, 3, 4]]],
        [['a', [3, 4]]],
        [['a', [4]]],
      ],
      { batchInterval },
    );
  });

  // PySpark: test_reduce_by_key_and_window_with_none_invFunc
  test('reduceByKeyAndWindow(add, null, 5, 1) then filter and count', async () => {
    const expected = [[2], [4], [6], [6], [6], [6]];
    await testOperation(
      six,
      (s: DStream<number>) =>
        s
          .map((x): KV<number, number> => [x, 1])
          .reduceByKeyAndWindow(add, null, 5, 1)
          .filter((kv) => kv[1] > 0)
          .count(),
      expected,
      { batchInterval, numBatches: batchesFor(expected, 1, batchInterval) },
    );
  });
});

describe('invalid window durations', () => {
  /** Defines the streams with `define`, then starts: returns the error thrown by either, if any. */
  function definitionError(
    batchInterval: number,
    define: (s: DStream<number>) => DStream<unknown>,
  ): Error | undefined {
    const ssc = new StreamingContext({ batchInterval, clock: 'manual' });
    try {
      define(ssc.queueStream<number>([[1]])).collect();
      ssc.start();
    } catch (e) {
      return e as Error;
    } finally {
      void ssc.stop();
    }
    return undefined;
  }

  const pairs = (s: DStream<number>) => s.map((x): KV<number, number> => [x, 1]);

  // Spark's WindowedDStream and ReducedWindowedDStream require window and slide durations to be
  // multiples of the parent's slide; PySpark's test_reduce_by_invalid_window checks the same.
  test.each<[string, number, (s: DStream<number>) => DStream<unknown>, string]>([
    ['window length not a multiple of the batch interval', 1, (s) => s.window(2.5, 1), '2.5'],
    ['slide not a multiple of the batch interval', 1, (s) => s.window(2, 1.5), '1.5'],
    ['countByWindow window length', 1, (s) => s.countByWindow(2.5, 1), '2.5'],
    ['reduceByWindow slide', 1, (s) => s.reduceByWindow(add, null, 2, 0.5), '0.5'],
    ['reduceByKeyAndWindow window length', 1, (s) => pairs(s).reduceByKeyAndWindow(add, sub, 1.5, 1), '1.5'],
    ['groupByKeyAndWindow slide', 1, (s) => pairs(s).groupByKeyAndWindow(2, 0.5), '0.5'],
    ['countByValueAndWindow window length', 1, (s) => s.countByValueAndWindow(3.5, 1), '3.5'],
    // PySpark: test_reduce_by_invalid_window (batch interval 0.5 s)
    [
      'reduceByKeyAndWindow(w = 0.1, s = 0.1)',
      0.5,
      (s) => pairs(s).reduceByKeyAndWindow(add, null, 0.1, 0.1),
      '0.1',
    ],
    [
      'reduceByKeyAndWindow(w = 1, s = 0.1)',
      0.5,
      (s) => pairs(s).reduceByKeyAndWindow(add, null, 1, 0.1),
      '0.1',
    ],
  ])('%s throws a clear error', (_name, batchInterval, define, value) => {
    const error = definitionError(batchInterval, define);
    expect(error).toBeInstanceOf(Error);
    expect(error?.message).toMatch(/multiple/i);
    expect(error?.message).toContain(value);
  });

  test('valid windows on a 0.5 s batch interval do not throw', () => {
    expect(definitionError(0.5, (s) => s.window(1.5, 0.5))).toBeUndefined();
    expect(definitionError(0.5, (s) => pairs(s).reduceByKeyAndWindow(add, sub, 5, 1))).toBeUndefined();
  });
});

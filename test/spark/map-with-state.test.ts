/**
 * Port of the semantic cases of Apache Spark's streaming MapWithStateSuite
 * (streaming/src/test/scala/org/apache/spark/streaming/MapWithStateSuite.scala): same inputs,
 * expected mapped outputs and state snapshots, batch interval 1 s. As in Spark's helper, each input
 * word `x` becomes the pair `[x, 1]` before `mapWithState`, and both the mapped stream and its
 * `stateSnapshots()` are collected; each batch is compared ignoring order (Spark: as sets; we compare
 * multisets, which is stricter).
 *
 * Adapted, and why:
 * - Spark's "simple" and "advanced" mapping functions are one function here, `fn(key, value, state)`;
 *   an advanced function's `None` result is our `undefined` (left out of the mapped stream), `Some(x)`
 *   is `x`. The batch time argument of the advanced API does not exist and none of the ported cases
 *   use it.
 * - "state - get, exists, update, remove": Spark tests the internal StateImpl directly (wrap,
 *   wrapTimingOutState, isUpdated, isRemoved); we check the same rules through the public `State`
 *   given to a mapping function.
 *
 * Skipped, and why:
 * - "mapWithState - type inferencing and class tags": Scala ClassTag inference; TypeScript's types
 *   are checked by the compiler, not at run time.
 * - "mapWithState - checkpoint durations", "mapWithState - driver failure recovery": RDD
 *   checkpointing and driver recovery from checkpoints are Spark cluster features.
 */
import { StateSpec } from '../../lib';
import type { DStream, State } from '../../lib';
import { runStreams, verifyOutput } from '../helpers/spark';

type KV<K, V> = [K, V];

/** Spark's getOperationOutput: the mapped outputs and the state snapshots of `numBatches` batches. */
async function getOperationOutput<S, T>(
  input: string[][],
  spec: StateSpec<string, number, S, T>,
  numBatches: number,
): Promise<{ outputs: T[][]; snapshots: KV<string, S>[][] }> {
  const sinks = await runStreams(numBatches, (ssc) => {
    const stream = ssc
      .queueStream(input.map((b) => b.slice()))
      .map((x): KV<string, number> => [x, 1])
      .mapWithState(spec);
    return { outputs: stream.collect(), snapshots: stream.stateSnapshots().collect() };
  });
  return { outputs: sinks.outputs.batches, snapshots: sinks.snapshots.batches };
}

/** Spark's testOperation of MapWithStateSuite: outputs and state snapshots, batch by batch. */
async function testOperation<S, T>(
  input: string[][],
  spec: StateSpec<string, number, S, T>,
  expectedOutputs: T[][],
  expectedStateSnapshots: KV<string, S>[][],
): Promise<void> {
  expect(expectedOutputs).toHaveLength(expectedStateSnapshots.length);
  const { outputs, snapshots } = await getOperationOutput(input, spec, expectedOutputs.length);
  verifyOutput(outputs, expectedOutputs, true);
  verifyOutput(snapshots, expectedStateSnapshots, true);
}

const runningInput = [[], ['a'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'b'], ['a'], []];

const runningStateData: KV<string, number>[][] = [
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
];

describe('MapWithStateSuite', () => {
  // Spark: test("state - get, exists, update, remove, "), through the public State.
  test('state - get, exists, update, remove', async () => {
    const observed: string[] = [];
    const attempt = (what: string, f: () => unknown): void => {
      try {
        const r = f();
        observed.push(`${what} -> ${String(r)}`);
      } catch {
        observed.push(`${what} -> throws`);
      }
    };
    const fn = (key: string, value: number | undefined, state: State<number>): undefined => {
      const tag = `${key}${value === undefined ? ' (timing out)' : ''}`;
      if (state.isTimingOut()) {
        // A timing-out state is defined, readable, and can be neither updated nor removed.
        attempt(`${tag} exists`, () => state.exists());
        attempt(`${tag} get`, () => state.get());
        attempt(`${tag} update`, () => state.update(-1));
        attempt(`${tag} remove`, () => state.remove());
        return undefined;
      }
      attempt(`${tag} isTimingOut`, () => state.isTimingOut());
      attempt(`${tag} exists`, () => state.exists());
      attempt(`${tag} get`, () => state.get());
      attempt(`${tag} getOption`, () => state.getOption());
      if (!state.exists()) {
        state.update(2);
        attempt(`${tag} exists after update`, () => state.exists());
        attempt(`${tag} get after update`, () => state.get());
      } else if (key === 'a') {
        state.remove();
        attempt(`${tag} exists after remove`, () => state.exists());
        attempt(`${tag} get after remove`, () => state.get());
        attempt(`${tag} getOption after remove`, () => state.getOption());
        attempt(`${tag} remove after remove`, () => state.remove());
        attempt(`${tag} update after remove`, () => state.update(-1));
      }
      return undefined;
    };
    // 'a' is created, then removed; 'b' is created and times out (timeout 1 s).
    await getOperationOutput([['a', 'b'], ['a'], [], [], []], StateSpec.function(fn).timeout(1), 5);
    expect(observed).toEqual([
      'a isTimingOut -> false',
      'a exists -> false',
      'a get -> throws',
      'a getOption -> undefined',
      'a exists after update -> true',
      'a get after update -> 2',
      'b isTimingOut -> false',
      'b exists -> false',
      'b get -> throws',
      'b getOption -> undefined',
      'b exists after update -> true',
      'b get after update -> 2',
      'a isTimingOut -> false',
      'a exists -> true',
      'a get -> 2',
      'a getOption -> 2',
      'a exists after remove -> false',
      'a get after remove -> throws',
      'a getOption after remove -> undefined',
      'a remove after remove -> throws',
      'a update after remove -> throws',
      'b (timing out) exists -> true',
      'b (timing out) get -> 2',
      'b (timing out) update -> throws',
      'b (timing out) remove -> throws',
    ]);
  });

  // Spark: test("mapWithState - basic operations with simple API")
  test('mapWithState - basic operations with simple API', async () => {
    const outputData = [[], [1], [2, 1], [3, 2, 1], [4, 3], [5], []];
    // The state keeps a running count; the updated count is returned.
    const mappingFunc = (_key: string, value: number | undefined, state: State<number>): number => {
      const sum = (value ?? 0) + (state.getOption() ?? 0);
      state.update(sum);
      return sum;
    };
    await testOperation(runningInput, StateSpec.function(mappingFunc), outputData, runningStateData);
  });

  // Spark: test("mapWithState - basic operations with advanced API")
  test('mapWithState - basic operations with advanced API', async () => {
    const outputData = [[], ['aa'], ['aa', 'bb'], ['aa', 'bb', 'cc'], ['aa', 'bb'], ['aa'], []];
    // The state keeps a running count; the key, doubled, is returned.
    const mappingFunc = (
      key: string,
      value: number | undefined,
      state: State<number>,
    ): string | undefined => {
      const sum = (value ?? 0) + (state.getOption() ?? 0);
      state.update(sum);
      return key + key;
    };
    await testOperation(runningInput, StateSpec.function(mappingFunc), outputData, runningStateData);
  });

  // Spark: test("mapWithState - states as mapped data")
  test('mapWithState - states as mapped data', async () => {
    const outputData: KV<string, number>[][] = [
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
    ];
    const mappingFunc = (
      key: string,
      value: number | undefined,
      state: State<number>,
    ): KV<string, number> => {
      const sum = (value ?? 0) + (state.getOption() ?? 0);
      state.update(sum);
      return [key, sum];
    };
    await testOperation(runningInput, StateSpec.function(mappingFunc), outputData, runningStateData);
  });

  // Spark: test("mapWithState - initial states, with nothing returned as from mapping function")
  test('mapWithState - initial states, with nothing returned as from mapping function', async () => {
    const initialState: KV<string, number>[] = [
      ['a', 5],
      ['b', 10],
      ['c', -20],
      ['d', 0],
    ];
    const outputData: number[][] = runningInput.map(() => []);
    const stateData: KV<string, number>[][] = [
      [
        ['a', 5],
        ['b', 10],
        ['c', -20],
        ['d', 0],
      ],
      [
        ['a', 6],
        ['b', 10],
        ['c', -20],
        ['d', 0],
      ],
      [
        ['a', 7],
        ['b', 11],
        ['c', -20],
        ['d', 0],
      ],
      [
        ['a', 8],
        ['b', 12],
        ['c', -19],
        ['d', 0],
      ],
      [
        ['a', 9],
        ['b', 13],
        ['c', -19],
        ['d', 0],
      ],
      [
        ['a', 10],
        ['b', 13],
        ['c', -19],
        ['d', 0],
      ],
      [
        ['a', 10],
        ['b', 13],
        ['c', -19],
        ['d', 0],
      ],
    ];
    const mappingFunc = (
      _key: string,
      value: number | undefined,
      state: State<number>,
    ): number | undefined => {
      const sum = (value ?? 0) + (state.getOption() ?? 0);
      state.update(sum);
      return undefined; // Spark: None
    };
    await testOperation(
      runningInput,
      StateSpec.function(mappingFunc).initialState(initialState),
      outputData,
      stateData,
    );
  });

  // Spark: test("mapWithState - state removing")
  test('mapWithState - state removing', async () => {
    const inputData = [
      [],
      ['a'],
      ['a', 'b'], // a will be removed
      ['a', 'b', 'c'], // b will be removed
      ['a', 'b', 'c'], // a and c will be removed
      ['a', 'b'], // b will be removed
      ['a'], // a will be removed
      [],
    ];
    // The keys whose state was removed.
    const outputData = [[], [], ['a'], ['b'], ['a', 'c'], ['b'], ['a'], []];
    const stateData: KV<string, number>[][] = [
      [],
      [['a', 1]],
      [['b', 1]],
      [
        ['a', 1],
        ['c', 1],
      ],
      [['b', 1]],
      [['a', 1]],
      [],
      [],
    ];
    const mappingFunc = (
      key: string,
      value: number | undefined,
      state: State<number>,
    ): string | undefined => {
      if (state.exists()) {
        state.remove();
        return key;
      }
      state.update(value as number);
      return undefined;
    };
    await testOperation(inputData, StateSpec.function(mappingFunc), outputData, stateData);
  });

  // Spark: test("mapWithState - state timing out")
  test('mapWithState - state timing out', async () => {
    const inputData = [
      ['a', 'b', 'c'],
      ['a', 'b'],
      ['a'],
      [], // c will time out
      [], // b will time out
      ['a'], // a will not time out
      ...Array.from({ length: 20 }, () => ['a']), // a will continue to stay active
    ];
    const mappingFunc = (
      key: string,
      value: number | undefined,
      state: State<number>,
    ): string | undefined => {
      if (value !== undefined) state.update(1);
      return state.isTimingOut() ? key : undefined;
    };
    const { outputs, snapshots } = await getOperationOutput(
      inputData,
      StateSpec.function(mappingFunc).timeout(3),
      20,
    );
    const setOf = (batch: KV<string, number>[]) => new Set(batch.map(([k, v]) => `${k}=${v}`));

    // b and c are returned once each, when they time out.
    expect(outputs.flat().sort()).toEqual(['b', 'c']);
    // a, b and c have state at one point in time.
    expect(
      snapshots.some((b) => setOf(b).size === 3 && ['a=1', 'b=1', 'c=1'].every((x) => setOf(b).has(x))),
    ).toBe(true);
    // Finally only a has state.
    expect(snapshots).toHaveLength(20);
    verifyOutput([snapshots[snapshots.length - 1]], [[['a', 1]]], true);
  });
});

// Type-level check: mapWithState is a pair-stream operation only.
export function typeChecks(words: DStream<string>): void {
  const spec = StateSpec.function((_k: string, _v: number | undefined, _s: State<number>) => 0);
  // @ts-expect-error mapWithState needs a DStream<[K, V]>
  words.mapWithState(spec);
}

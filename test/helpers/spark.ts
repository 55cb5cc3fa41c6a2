/**
 * A TypeScript counterpart of Spark Streaming's TestSuiteBase: run an operation over in-memory
 * input batches on the manual clock and compare its output batch by batch.
 *
 * Conventions of the ports (test/spark): pairs are `[k, v]` arrays, Spark's `(a, Seq(1, 2))` is
 * `['a', [1, 2]]`, `None` is `undefined` and `Some(x)` is `x`. Spark's `TestInputStream` yields an
 * empty batch once its input is exhausted; `queueStream` without a default batch does the same. A
 * `null` input batch (Spark's test input returns `None`: no RDD at that time) is a `null` entry of
 * `queueStream`.
 */
import { StreamingContext } from '../../lib';
import type { DStream } from '../../lib';

/** How a test runs: Spark's `numBatches` and `useSet`, plus our batch interval in seconds. */
export interface OperationOptions {
  /** Batches to run. @default the number of expected output batches */
  numBatches?: number;
  /**
   * Compare each batch ignoring order (Spark's `useSet`). We compare multisets, which is stricter
   * than Spark's sets: the expected outputs of the ported suites have exact multiplicities.
   */
  useSet?: boolean;
  /** Batch interval in seconds (Spark's `batchDuration`). @default 1 */
  batchInterval?: number;
}

/** What a run collected: one array per batch time at which the stream produced a result. */
export interface Collected<U> {
  batches: U[][];
  times: number[];
}

/**
 * Builds a manual-clock context, lets `setup` define streams and outputs on it, runs `numBatches`
 * batches, stops the context, and returns what `setup` returned (typically collect sinks).
 */
export async function runStreams<R>(
  numBatches: number,
  setup: (ssc: StreamingContext) => R,
  batchInterval = 1,
): Promise<R> {
  const ssc = new StreamingContext({ batchInterval, clock: 'manual' });
  const result = setup(ssc);
  ssc.start();
  try {
    await ssc.runBatches(numBatches);
  } finally {
    await ssc.stop();
  }
  return result;
}

/** Input batches; `null` for a batch with no RDD (Spark's test input returning `None`). */
export type Input<T> = (T[] | null)[];

/** Copies input batches, so an input source that consumes its queue never touches test data. */
function copyBatches<T>(input: Input<T>): Input<T> {
  return input.map((b) => (b ? b.slice() : null));
}

/** Runs a unary operation over `input` for `numBatches` batches and returns its collected output. */
export async function runOperation<T, U>(
  input: Input<T>,
  operation: (s: DStream<T>) => DStream<U>,
  numBatches: number,
  batchInterval = 1,
): Promise<Collected<U>> {
  const sink = await runStreams(
    numBatches,
    (ssc) => operation(ssc.queueStream(copyBatches(input))).collect(),
    batchInterval,
  );
  return { batches: sink.batches, times: sink.times };
}

/** Runs a binary operation over two inputs for `numBatches` batches and returns its collected output. */
export async function runBinaryOperation<T, V, U>(
  input1: Input<T>,
  input2: Input<V>,
  operation: (s1: DStream<T>, s2: DStream<V>) => DStream<U>,
  numBatches: number,
  batchInterval = 1,
): Promise<Collected<U>> {
  const sink = await runStreams(
    numBatches,
    (ssc) => operation(ssc.queueStream(copyBatches(input1)), ssc.queueStream(copyBatches(input2))).collect(),
    batchInterval,
  );
  return { batches: sink.batches, times: sink.times };
}

/**
 * A canonical text for any test value: arrays, plain objects (keys sorted), numbers, strings,
 * booleans, null and undefined (kept distinct from null, unlike JSON). Used to compare batches as
 * multisets and to print readable diffs.
 */
export function canonical(x: unknown): string {
  if (x === undefined) return 'undefined';
  if (x === null) return 'null';
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  if (x instanceof Set) return `Set{${Array.from(x, canonical).sort().join(',')}}`;
  if (x instanceof Map) {
    return `Map{${Array.from(x, ([k, v]) => `${canonical(k)}=>${canonical(v)}`)
      .sort()
      .join(',')}}`;
  }
  if (typeof x === 'object') {
    const o = x as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  if (typeof x === 'string') return JSON.stringify(x);
  if (typeof x === 'number' && Object.is(x, -0)) return '0';
  return String(x);
}

/** The batches as canonical texts, each batch sorted when order does not matter. */
export function normalize(batches: unknown[][], useSet: boolean): string[][] {
  return batches.map((b) => {
    const texts = b.map(canonical);
    return useSet ? texts.sort() : texts;
  });
}

/** Spark's verifyOutput: same number of batches, and each batch equal (as a list or a multiset). */
export function verifyOutput<U>(output: U[][], expected: U[][], useSet = false): void {
  expect(normalize(output, useSet)).toEqual(normalize(expected, useSet));
}

/**
 * Spark's testOperation with one input: runs `expected.length` batches (or `numBatches`) and
 * checks the output batches against `expected`.
 */
export async function testOperation<T, U>(
  input: Input<T>,
  operation: (s: DStream<T>) => DStream<U>,
  expected: U[][],
  options: OperationOptions = {},
): Promise<void> {
  const numBatches = options.numBatches ?? expected.length;
  const { batches } = await runOperation(input, operation, numBatches, options.batchInterval);
  verifyOutput(batches, expected, options.useSet ?? false);
}

/** Spark's testOperation with two inputs (join, cogroup, union, transformWith). */
export async function testBinaryOperation<T, V, U>(
  input1: Input<T>,
  input2: Input<V>,
  operation: (s1: DStream<T>, s2: DStream<V>) => DStream<U>,
  expected: U[][],
  options: OperationOptions = {},
): Promise<void> {
  const numBatches = options.numBatches ?? expected.length;
  const { batches } = await runBinaryOperation(input1, input2, operation, numBatches, options.batchInterval);
  verifyOutput(batches, expected, options.useSet ?? false);
}

/** Scala's `a to b` (inclusive). */
export function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}

/** Python's `range(n)`: 0 until n. */
export function pyRange(n: number): number[] {
  return range(0, n - 1);
}

/** Sorts a numeric (or string) array, for comparing grouped values as multisets. */
export function sorted<V>(xs: Iterable<V>): V[] {
  return Array.from(xs).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Ports of the StreamingContext cases about failures, transform over several streams, slice and
 * remember: Apache Spark's StreamingContextSuite
 * (streaming/src/test/scala/org/apache/spark/streaming/StreamingContextSuite.scala: "awaitTermination
 * with error in task", "awaitTermination with error in job generation"), PySpark's
 * python/pyspark/streaming/tests/test_dstream.py (test_failed_func, test_failed_func2,
 * test_failed_func_with_resetting_failure, test_slice) and test_context.py (test_transform,
 * test_await_termination_or_timeout).
 *
 * As in Spark (JobScheduler reports a failed job to the ContextWaiter and carries on), a batch whose
 * function throws does not stop the context: later batches run, and awaitTermination raises the
 * error. These cases run on the system clock (batch interval 0.1 s), as their originals do.
 *
 * Adapted, and why:
 * - PySpark's `_collect` keeps only non-empty batches; we filter the collect sink the same way.
 * - test_slice runs on the manual clock (4 batches, then slices), where PySpark waits on the wall
 *   clock for 4 batches: same remember duration, same slices, no timing race.
 * - test_transform takes the first batch of the transformed stream (PySpark's `_take(dstream, 3)`
 *   takes 3 elements, all in that batch).
 * - Spark's "awaitTerminationOrTimeout(5000)" is our `awaitTermination(5)` (seconds, as PySpark's).
 */
import { ForgottenBatchError, StreamingContext, setPprintWriter } from '../../lib';
import type { PprintWriter } from '../../lib';

/** Polls `cond` every 10 ms until true (the system-clock cases wait for batches to run). */
async function waitFor(cond: () => boolean, timeoutMs = 10000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Spark's TestException. */
class TestException extends Error {}

describe('failed batches (system clock): later batches run, awaitTermination raises the error', () => {
  let stderr: jest.SpyInstance;
  let previousWriter: PprintWriter;
  const printed: string[] = [];
  let ssc: StreamingContext | undefined;

  beforeEach(() => {
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    previousWriter = setPprintWriter((t) => printed.push(t));
    printed.length = 0;
  });
  afterEach(async () => {
    await ssc?.stop();
    ssc = undefined;
    setPprintWriter(previousWriter);
    stderr.mockRestore();
  });

  const failedBatchLogs = () =>
    stderr.mock.calls.map((c) => String(c[0])).filter((l) => /StreamingContext: batch \d+ ms failed/.test(l));

  // PySpark: test_failed_func (failure in TransformFunction.apply(rdd, time)).
  test('test_failed_func', async () => {
    ssc = new StreamingContext({ batchInterval: 0.1 });
    const inputStream = ssc.queueStream([0, 1, 2, 3].map((d) => [d]));
    inputStream
      .map((): number => {
        throw new Error('This is a special error');
      })
      .pprint();
    ssc.start();
    await expect(ssc.awaitTermination(10)).rejects.toThrow('This is a special error');
    expect(failedBatchLogs()[0]).toMatch(/This is a special error/);
  });

  // PySpark: test_failed_func2 (failure in TransformFunction.apply(rdd, rdd2, time)).
  test('test_failed_func2', async () => {
    ssc = new StreamingContext({ batchInterval: 0.1 });
    const input = () => [0, 1, 2, 3].map((d) => [d]);
    const inputStream1 = ssc.queueStream(input());
    const inputStream2 = ssc.queueStream(input());
    inputStream1
      .transformWith(inputStream2, () => {
        throw new Error('This is a special error');
      })
      .pprint();
    ssc.start();
    await expect(ssc.awaitTermination(10)).rejects.toThrow('This is a special error');
  });

  // PySpark: test_failed_func_with_resetting_failure. The results of the 3rd and 4th batches are
  // seen although the 2nd fails; the error then surfaces from awaitTermination.
  test('test_failed_func_with_resetting_failure', async () => {
    ssc = new StreamingContext({ batchInterval: 0.1 });
    const inputStream = ssc.queueStream([0, 1, 2, 3].map((d) => [d]));
    const out = inputStream
      .map((i) => {
        if (i === 1) throw new Error('This is a special error'); // fails in the second batch
        return i;
      })
      .collect();
    ssc.start();
    const nonEmpty = () => out.batches.filter((b) => b.length > 0);
    await waitFor(() => nonEmpty().length >= 3);
    expect(nonEmpty()).toEqual([[0], [2], [3]]);
    // The failed batch has no output; the batches before and after it do.
    expect(out.times.slice(0, 3).map((t) => t - out.times[0])).toEqual([0, 200, 300]);
    expect(ssc.isActive).toBe(true);
    await expect(ssc.awaitTermination(10)).rejects.toThrow('This is a special error');
    expect(failedBatchLogs()).toHaveLength(1);
  });

  // Spark: test("awaitTermination with error in task")
  test('awaitTermination with error in task', async () => {
    ssc = new StreamingContext({ batchInterval: 0.1 });
    ssc
      .queueStream([[1, 2, 3]])
      .map((): number => {
        throw new TestException('error in map task');
      })
      .foreachRDD((rdd) => void rdd.count());
    ssc.start();
    await expect(ssc.awaitTermination(5)).rejects.toThrow(/map task/);
  });

  // Spark: test("awaitTermination with error in job generation")
  test('awaitTermination with error in job generation', async () => {
    ssc = new StreamingContext({ batchInterval: 0.1 });
    ssc
      .queueStream([[1, 2, 3]])
      .transform(() => {
        throw new TestException('error in transform');
      })
      .foreachRDD(() => undefined);
    ssc.start();
    await expect(ssc.awaitTermination(5)).rejects.toThrow(TestException);
  });

  test('awaitTermination raises an error that happened before it was called, the last one of several', async () => {
    ssc = new StreamingContext({ batchInterval: 0.1 });
    let n = 0;
    ssc.queueStream([[1], [2], [3]]).foreachRDD((rdd) => {
      if (rdd.count() > 0) throw new Error(`failure ${++n}`);
    });
    ssc.start();
    await waitFor(() => failedBatchLogs().length >= 3);
    await expect(ssc.awaitTermination()).rejects.toThrow('failure 3');
    await ssc.stop();
    // Stopped, the error still surfaces (Spark's ContextWaiter keeps it).
    await expect(ssc.awaitTermination()).rejects.toThrow('failure 3');
  });

  // PySpark: test_await_termination_or_timeout
  test('test_await_termination_or_timeout', async () => {
    ssc = new StreamingContext({ batchInterval: 0.1 });
    ssc.queueStream([[1]]).collect();
    ssc.start();
    expect(await ssc.awaitTermination(0.001)).toBe(false);
    await ssc.stop();
    expect(await ssc.awaitTermination(0.001)).toBe(true);
  });
});

describe('failed batches (manual clock)', () => {
  test('the other outputs of a failed batch run; runBatches rejects; the next call runs later batches', async () => {
    const ssc = new StreamingContext({ batchInterval: 1, clock: 'manual' });
    const s = ssc.queueStream([[1], [2], [3]]);
    s.foreachRDD((rdd) => {
      if (rdd.first() === 2) throw new Error('batch 2 fails');
    });
    const out = s.collect();
    ssc.start();
    await ssc.runBatches(1);
    await expect(ssc.runBatches(2)).rejects.toThrow('batch 2 fails');
    expect(out.times).toEqual([1000, 2000]); // the second output of the failed batch ran
    await ssc.runBatches(1);
    expect(out.batches).toEqual([[1], [2], [3]]);
    await expect(ssc.awaitTermination(0)).rejects.toThrow('batch 2 fails');
    await ssc.stop();
  });
});

describe('StreamingContext.transform, slice and remember (PySpark)', () => {
  // PySpark test_context.py: test_transform
  test('test_transform', async () => {
    const ssc = new StreamingContext({ batchInterval: 1, clock: 'manual' });
    const dstream1 = ssc.queueStream([[1]]);
    const dstream2 = ssc.queueStream([[2]]);
    const dstream3 = ssc.queueStream([[3]]);
    const dstream = ssc.transform([dstream1, dstream2, dstream3], ([rdd1, rdd2, rdd3]) =>
      rdd2.union(rdd3).union(rdd1),
    );
    const out = dstream.collect();
    ssc.start();
    await ssc.runBatches(1);
    await ssc.stop();
    expect(out.batches[0].slice(0, 3)).toEqual([2, 3, 1]);
  });

  // PySpark test_dstream.py: test_slice (remember 4 s, 4 batches of one element).
  test('test_slice', async () => {
    const ssc = new StreamingContext({ batchInterval: 1, clock: 'manual' });
    ssc.remember(4);
    const input = [[1], [2], [3], [4]];
    const stream = ssc.queueStream(input.map((d) => d.slice()));
    const timeVals: number[] = [];
    stream.foreachRDD((rdd, t) => {
      if (!rdd.isEmpty() && timeVals.length < input.length) timeVals.push(t);
    });
    ssc.start();
    await ssc.runBatches(4);
    const beginTime = timeVals[0];
    const getSliced = (beginDelta: number, endDelta: number): Set<number> =>
      new Set(
        stream.slice(beginTime + beginDelta * 1000, beginTime + endDelta * 1000).flatMap((r) => r.collect()),
      );
    expect(getSliced(0, 0)).toEqual(new Set([1]));
    expect(getSliced(1, 2)).toEqual(new Set([2, 3]));
    expect(getSliced(1, 4)).toEqual(new Set([2, 3, 4]));
    expect(getSliced(0, 4)).toEqual(new Set([1, 2, 3, 4]));
    await ssc.stop();
  });

  test('slice of batches a stream no longer remembers is an error that names ssc.remember', async () => {
    const ssc = new StreamingContext({ batchInterval: 1, clock: 'manual' });
    const stream = ssc.queueStream([[1], [2], [3], [4]]);
    const words = stream.map((x) => x * 10);
    words.collect();
    ssc.start();
    await ssc.runBatches(3);
    // The last batch is remembered (by the input; the fused map recomputes from it).
    expect(words.slice(3000, 3000).map((r) => r.collect())).toEqual([[30]]);
    expect(() => stream.slice(1000, 3000)).toThrow(ForgottenBatchError);
    expect(() => words.slice(1000, 3000)).toThrow(/call ssc.remember\(seconds\) before ssc.start\(\)/);
    // Nothing was consumed by the failed slices: the next batch gets the next queued array.
    await ssc.runBatches(1);
    expect(words.slice(4000, 4000).map((r) => r.collect())).toEqual([[40]]);
    await ssc.stop();
  });

  test('slice of batches not run yet computes them once: the scheduler then runs the same ones', async () => {
    const ssc = new StreamingContext({ batchInterval: 1, clock: 'manual' });
    const stream = ssc.queueStream([['a'], ['b'], ['c']]);
    const out = stream.collect();
    ssc.start();
    expect(stream.slice(1000, 2000).map((r) => r.collect())).toEqual([['a'], ['b']]);
    expect(() => stream.slice(Number.NaN, 2000)).toThrow(/batch times in ms, got NaN and 2000/);
    await ssc.runBatches(3);
    expect(out.batches).toEqual([['a'], ['b'], ['c']]);
    await ssc.stop();
  });

  test('remember must be set before start, to a positive number of seconds', () => {
    const ssc = new StreamingContext({ batchInterval: 1, clock: 'manual' });
    expect(() => ssc.remember(0)).toThrow(/remember duration must be a positive number/);
    ssc.queueStream([[1]]).collect();
    ssc.start();
    expect(() => ssc.remember(5)).toThrow(/after the StreamingContext has started/);
  });
});

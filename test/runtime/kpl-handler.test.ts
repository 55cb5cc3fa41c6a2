import { definePipeline, runPipelineInMemory } from '../../lib';
import type { Pipeline } from '../../lib';
import { closerHandler, InMemoryEngineMetrics, kinesisHandler } from '../../lib/runtime';
import { recordFromEvent } from '../../lib/sources/kinesis-event';
import { InMemoryStateStore } from '../../lib/state/in-memory-store';
import { makeKinesisEvent, sequenceNumberOf, shardIdOf } from '../helpers/kinesis';
import { kplAggregate } from '../helpers/kpl';

/**
 * KPL-aggregated records (made by AWS Labs' aws-kinesis-agg) through the Lambda handler, as the
 * event source mapping delivers them: every user record counted; a corrupt aggregate is one decode
 * error naming its shard and sequence number, and the records around it are counted.
 */

const T0 = 1_700_000_000_000;
const lines = Array.from({ length: 100 }, (_, i) => `w${i % 10} line${i}`);

/** Lines and words counted per batch, through foreachRDD. */
function countingPipeline(
  counts: { lines: Map<number, number>; words: Map<string, number> },
  mapLine: (l: string) => string = (l) => l,
): Pipeline {
  return definePipeline({ name: 'kpl', batchInterval: 1, allowedLateness: 1 }, (ssc) => {
    const text = ssc.kinesisTextStream().map(mapLine);
    text.count().foreachRDD((rdd, time) => void counts.lines.set(time, rdd.collect()[0] ?? 0));
    text
      .flatMap((l) => l.split(' '))
      .map((w) => [w, 1] as [string, number])
      .reduceByKey((a, b) => a + b)
      .foreachRDD((rdd) => {
        for (const [w, n] of rdd.collect()) counts.words.set(w, (counts.words.get(w) ?? 0) + n);
      });
  });
}

function deploy(mapLine: (l: string) => string = (l) => l) {
  const counts = { lines: new Map<number, number>(), words: new Map<string, number>() };
  const pipeline = countingPipeline(counts, mapLine);
  const clock = { ms: T0 };
  const metrics = new InMemoryEngineMetrics();
  const options = {
    store: new InMemoryStateStore({ now: () => clock.ms }),
    now: () => clock.ms,
    metrics,
  };
  return {
    pipeline,
    counts,
    clock,
    metrics,
    handler: kinesisHandler(pipeline, options),
    closer: closerHandler(pipeline, options),
  };
}

const total = (m: Map<number, number>) => Array.from(m.values()).reduce((a, b) => a + b, 0);

let errorLog: jest.SpyInstance;
beforeEach(() => (errorLog = jest.spyOn(console, 'error').mockImplementation(() => undefined)));
afterEach(() => errorLog.mockRestore());

function loggedJson(): Record<string, unknown>[] {
  return errorLog.mock.calls.map((args) => JSON.parse(String(args[0])) as Record<string, unknown>);
}

describe('kinesisHandler: KPL-aggregated records', () => {
  test('one aggregated record of 100 lines counts 100 lines, as the in-memory engine does', async () => {
    const { data, partitionKey } = kplAggregate(lines);
    const event = makeKinesisEvent([{ data, partitionKey, arrivalMs: T0 + 100 }]);
    const { clock, counts, metrics, handler, closer } = deploy();

    clock.ms = T0 + 200;
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    clock.ms = T0 + 2500; // the batch's end plus its lateness: the idle shard no longer holds it
    expect(await closer()).toEqual({ closed: [T0 + 1000] });

    expect(counts.lines).toEqual(new Map([[T0 + 1000, 100]]));
    expect(counts.words.get('w3')).toBe(10);
    expect(counts.words.get('line99')).toBe(1);
    expect(metrics.totals).toMatchObject({ RecordsIn: 100, BatchesClosed: 1 });
    expect(metrics.totals.DecodeErrors).toBeUndefined();

    const reference = { lines: new Map<number, number>(), words: new Map<string, number>() };
    await runPipelineInMemory(countingPipeline(reference), event.Records.map(recordFromEvent));
    expect(reference).toEqual(counts);
  });

  test('a re-delivered aggregate (a Lambda retry) is not counted again', async () => {
    const event = makeKinesisEvent([
      { data: kplAggregate(lines).data, arrivalMs: T0 + 100 },
      { data: kplAggregate(lines.slice(0, 7)).data, arrivalMs: T0 + 300 },
    ]);
    const { clock, counts, metrics, handler, closer } = deploy();
    clock.ms = T0 + 400;
    await handler(event);
    await handler(event);
    await handler({ Records: event.Records.slice(1) });
    clock.ms = T0 + 2500;
    await closer();
    expect(counts.lines).toEqual(new Map([[T0 + 1000, 107]]));
    expect(metrics.totals.RecordsIn).toBe(107);
  });

  test('a bad MD5 and a truncated aggregate are one decode error each, with shard and sequence; the other records count', async () => {
    const good = kplAggregate(lines).data;
    const badMd5 = Buffer.from(good);
    badMd5[badMd5.length - 1] ^= 0xff;
    const truncated = good.subarray(0, good.length - 100);
    const event = makeKinesisEvent(
      [
        { data: good, arrivalMs: T0 + 100 },
        { data: badMd5, arrivalMs: T0 + 110 },
        { data: 'a plain line', arrivalMs: T0 + 120 },
        { data: truncated, arrivalMs: T0 + 130 },
        { data: good, arrivalMs: T0 + 140 },
      ],
      { shardId: shardIdOf(1) },
    );
    const { clock, counts, metrics, handler, closer } = deploy();

    clock.ms = T0 + 200;
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    clock.ms = T0 + 2500;
    await closer();

    expect(total(counts.lines)).toBe(201);
    expect(metrics.totals).toMatchObject({ RecordsIn: 203, DecodeErrors: 2 });
    const errors = loggedJson().filter((l) => /undecodable/.test(String(l.message)));
    expect(errors.map((e) => [e.shardId, e.sequenceNumber])).toEqual([
      [shardIdOf(1), sequenceNumberOf(1)],
      [shardIdOf(1), sequenceNumberOf(3)],
    ]);
    for (const e of errors) {
      expect(String(e.error)).toMatch(
        new RegExp(
          `cannot decode record ${e.sequenceNumber} of ${shardIdOf(1)}: corrupt KPL aggregated record: the MD5 digest does not match`,
        ),
      );
    }
  });

  // Positions are (sequence number, sub-sequence number): user records 0-1 of the aggregate are
  // committed, the failure is reported at the aggregate's sequence number, and Lambda's retry
  // skips 0-1 and fails at 2 again (records 3-4 wait behind it, as Lambda's order requires).
  test('a user function failing on user record 2 of an aggregate is reported again on every retry', async () => {
    const boom = (l: string) => {
      if (l === 'boom') throw new Error('cannot handle boom');
      return l;
    };
    const { clock, handler, counts, closer } = deploy(boom);
    const event = makeKinesisEvent([
      { data: kplAggregate(['a', 'b', 'boom', 'c', 'd']).data, arrivalMs: T0 + 100 },
    ]);
    clock.ms = T0 + 200;
    const failed = { batchItemFailures: [{ itemIdentifier: sequenceNumberOf(0) }] };
    expect(await handler(event)).toEqual(failed);
    expect(await handler(event)).toEqual(failed); // Lambda's retry of the same record
    clock.ms = T0 + 2500;
    await closer();
    expect(total(counts.lines)).toBe(2); // 'a' and 'b', applied once
  });
});

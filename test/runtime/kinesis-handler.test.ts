import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { definePipeline, runPipelineInMemory, setPprintWriter } from '../../lib';
import type { Pipeline, StateStore, StoreItem, StreamingContext } from '../../lib';
import { InMemoryEngineMetrics, kinesisHandler, closerHandler, engineFor } from '../../lib/runtime';
import type { HandlerOptions } from '../../lib/runtime';
import { recordsByShard } from '../../lib/sources/kinesis-event';
import { InMemoryStateStore } from '../../lib/state/in-memory-store';
import { ForwardingStore } from '../../lib/state/forwarding-store';
import wordcount from '../../functions/network-wordcount/pipeline';
import { makeKinesisEvent, makeKinesisRecord, shardIdOf } from '../helpers/kinesis';

/**
 * The Lambda entry points driven with real KinesisStreamEvent objects, as the
 * event source mapping delivers them, on an in-memory store and a manual clock.
 */

const T0 = 1_700_000_000_000; // 2023-11-14 22:13:20 UTC, a multiple of every batch interval used here
const SHARD0 = shardIdOf(0);
const SHARD1 = shardIdOf(1);
const DASHES = '-------------------------------------------';

/**
 * Python's `str(datetime.fromtimestamp(s))` for whole seconds, in this process's time zone (the
 * zone cannot be switched from inside a jest worker: its process.env is a copy).
 */
function localTime(ms: number): string {
  const shifted = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return shifted.toISOString().slice(0, 19).replace('T', ' ');
}

/** A handler, a closer and what they share (store, clock, metrics), as two Lambdas of one pipeline. */
function deploy(pipeline: Pipeline, extra: Partial<HandlerOptions> = {}) {
  const clock = { ms: T0, now: () => clock.ms };
  const metrics = new InMemoryEngineMetrics();
  const options: HandlerOptions = {
    store: new InMemoryStateStore({ now: clock.now }),
    now: clock.now,
    metrics,
    allowedLateness: 1,
    ...extra,
  };
  return {
    clock,
    metrics,
    options,
    handler: kinesisHandler(pipeline, options),
    closer: closerHandler(pipeline, options),
  };
}

/** Word counts per batch, captured by foreachRDD (the output of record-level tests). */
type Counts = Map<number, Record<string, number>>;

/** A word count over `kinesisTextStream(sourceOptions)`, `mapLine` run on every line first. */
function countingPipeline(
  counts: Counts,
  mapLine: (l: string) => string = (l) => l,
  sourceOptions?: { maxLineBytes?: number },
): Pipeline {
  return definePipeline({ name: 'handler-test', batchInterval: 1 }, (ssc: StreamingContext) => {
    ssc
      .kinesisTextStream(sourceOptions)
      .map(mapLine)
      .flatMap((l) => l.split(' ').filter((w) => w.length > 0))
      .map((w) => [w, 1] as [string, number])
      .reduceByKey((a, b) => a + b)
      .foreachRDD((rdd, time) => {
        counts.set(time, Object.fromEntries(rdd.collect()));
      });
  });
}

let pprinted: string[];
let restorePprint: ReturnType<typeof setPprintWriter>;
let errorLog: jest.SpyInstance;

beforeAll(() => (restorePprint = setPprintWriter((text) => pprinted.push(text))));
afterAll(() => setPprintWriter(restorePprint));
beforeEach(() => {
  pprinted = [];
  errorLog = jest.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterEach(() => errorLog.mockRestore());

/** An event of records taken from other events (a re-delivery, or Lambda's next batch). */
function eventOf(records: KinesisStreamRecord[]): KinesisStreamEvent {
  return { Records: records };
}

function sequenceNumbers(event: KinesisStreamEvent): string[] {
  return event.Records.map((r) => r.kinesis.sequenceNumber);
}

/** A store that can hold the next write of map-phase partials until the test resumes it. */
class PausingStore extends ForwardingStore {
  private pause: { arrived: () => void; gate: Promise<void> } | undefined;

  /** The next map-phase commit waits until `resume()`; `reached` resolves when it is waiting. */
  pauseNextCommit(): { reached: Promise<void>; resume: () => void } {
    let arrived!: () => void;
    let resume!: () => void;
    const reached = new Promise<void>((r) => (arrived = r));
    const gate = new Promise<void>((r) => (resume = r));
    this.pause = { arrived, gate };
    return { reached, resume };
  }
  override async put(item: StoreItem, condition?: Parameters<StateStore['put']>[1]) {
    const pause = this.pause;
    if (pause && item.pk.includes('#log#')) {
      this.pause = undefined;
      pause.arrived();
      await pause.gate;
    }
    return this.inner.put(item, condition);
  }
}

/** The JSON log lines written with console.error. */
function loggedJson(): Record<string, unknown>[] {
  return errorLog.mock.calls.map((args) => JSON.parse(String(args[0])) as Record<string, unknown>);
}

describe('kinesisHandler: records to closed batches', () => {
  test('pprints the word counts of every batch exactly as the in-memory engine does', async () => {
    const { clock, handler, closer } = deploy(wordcount);
    const event = makeKinesisEvent([
      { data: 'a b a', arrivalMs: T0 + 100 },
      { data: 'b c', arrivalMs: T0 + 500 },
      { data: 'a', arrivalMs: T0 + 1200 },
      { data: 'c c d', arrivalMs: T0 + 2500 },
    ]);

    clock.ms = T0 + 2600;
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    // Batches T0+1 s and T0+2 s closed after the map phase (watermark T0+2.5 s passed them); T0+3 s waits.
    expect(pprinted).toHaveLength(2);
    clock.ms = T0 + 4000; // T0+3 s plus the allowed lateness (1 s): the idle shard no longer holds it
    expect(await closer()).toEqual({ closed: [T0 + 3000] });

    const reference: string[] = [];
    setPprintWriter((text) => reference.push(text));
    await runPipelineInMemory(wordcount, Array.from(recordsByShard(event).values()).flat());
    setPprintWriter((text) => pprinted.push(text));

    expect(pprinted).toEqual(reference);
    expect(pprinted.join('')).toBe(
      [
        `${DASHES}\nTime: ${localTime(T0 + 1000)}\n${DASHES}\n('a', 2)\n('b', 2)\n('c', 1)\n\n`,
        `${DASHES}\nTime: ${localTime(T0 + 2000)}\n${DASHES}\n('a', 1)\n\n`,
        `${DASHES}\nTime: ${localTime(T0 + 3000)}\n${DASHES}\n('c', 2)\n('d', 1)\n\n`,
      ].join(''),
    );
  });

  test('counts RecordsIn and BatchesClosed in the injected metrics, records when their batch closes', async () => {
    const { clock, metrics, handler, closer } = deploy(wordcount);
    clock.ms = T0 + 1500;
    const event = makeKinesisEvent([
      { data: 'x', arrivalMs: T0 + 100 },
      { data: 'y', arrivalMs: T0 + 1100 },
    ]);
    await handler(event);
    expect(metrics.totals).toMatchObject({ RecordsIn: 1, BatchesClosed: 1 }); // 'y' is in an open batch
    await handler(event); // a re-delivery counts nothing
    clock.ms = T0 + 9000;
    await closer();
    expect(metrics.totals.RecordsIn).toBe(2);
    expect(metrics.totals.DecodeErrors).toBeUndefined();
  });
});

describe('kinesisHandler: who closes', () => {
  test('with env DSTREAM_CLOSE_AFTER_MAP=false (as the construct sets it) the handler only maps; the closer closes', async () => {
    const counts: Counts = new Map();
    const { clock, handler, closer } = deploy(countingPipeline(counts));
    process.env.DSTREAM_CLOSE_AFTER_MAP = 'false';
    try {
      clock.ms = T0 + 2500;
      await handler(
        makeKinesisEvent([
          { data: 'a', arrivalMs: T0 + 100 },
          { data: 'b', arrivalMs: T0 + 1100 },
        ]),
      );
      expect(counts.size).toBe(0);
      expect(await closer()).toEqual({ closed: [T0 + 1000] });
      expect(counts.get(T0 + 1000)).toEqual({ a: 1 });
    } finally {
      delete process.env.DSTREAM_CLOSE_AFTER_MAP;
    }
  });
});

describe('kinesisHandler: a user function that throws', () => {
  const boom = (l: string) => {
    if (l === 'boom') throw new Error('cannot handle boom');
    return l;
  };

  test('reports exactly the failing record; records before it apply, nothing after it does', async () => {
    const counts: Counts = new Map();
    const { clock, metrics, handler, closer } = deploy(countingPipeline(counts, boom), {
      closeAfterMap: false,
    });
    const event = makeKinesisEvent([
      { data: 'a', arrivalMs: T0 + 100 },
      { data: 'b', arrivalMs: T0 + 200 },
      { data: 'boom', arrivalMs: T0 + 300 },
      { data: 'c', arrivalMs: T0 + 400 },
      { data: 'd', arrivalMs: T0 + 500 },
    ]);
    const [, , failed] = sequenceNumbers(event);
    clock.ms = T0 + 600;

    expect(await handler(event)).toEqual({ batchItemFailures: [{ itemIdentifier: failed }] });
    // Lambda retries from the failed record (ReportBatchItemFailures). Nothing is fixed, so it fails
    // again, identically: bounding these retries (MaximumRetryAttempts, BisectBatchOnFunctionError,
    // the on-failure destination) is the event source mapping's job, not the handler's.
    const retry = eventOf(event.Records.slice(2));
    expect(await handler(retry)).toEqual({ batchItemFailures: [{ itemIdentifier: failed }] });

    clock.ms = T0 + 2000;
    expect(await closer()).toEqual({ closed: [T0 + 1000] });
    expect(counts.get(T0 + 1000)).toEqual({ a: 1, b: 1 });
    expect(metrics.totals).toMatchObject({ RecordsIn: 2, UserFunctionErrors: 2, FailedRecords: 6 });
    expect(loggedJson()).toContainEqual(
      expect.objectContaining({ shardId: SHARD0, sequenceNumber: failed, error: 'cannot handle boom' }),
    );
  });

  test('the shard moves on once Lambda gives up on the failed records (the next event is applied)', async () => {
    const counts: Counts = new Map();
    const { clock, handler, closer } = deploy(countingPipeline(counts, boom), { closeAfterMap: false });
    clock.ms = T0 + 600;
    const { Records } = makeKinesisEvent([
      { data: 'a', arrivalMs: T0 + 100 },
      { data: 'boom', arrivalMs: T0 + 200 },
      { data: 'e', arrivalMs: T0 + 300 },
    ]);
    expect((await handler(eventOf(Records.slice(0, 2)))).batchItemFailures).toHaveLength(1);
    // Retries exhausted: the records go to the on-failure destination and Lambda reads on.
    expect(await handler(eventOf(Records.slice(2)))).toEqual({ batchItemFailures: [] });
    clock.ms = T0 + 2000;
    await closer();
    expect(counts.get(T0 + 1000)).toEqual({ a: 1, e: 1 });
  });
});

describe('kinesisHandler: records that cannot be decoded', () => {
  test('invalid UTF-8 and oversize lines are counted, logged with shard and sequence number, skipped; never a failure', async () => {
    const counts: Counts = new Map();
    const { clock, metrics, handler, closer } = deploy(
      countingPipeline(counts, undefined, { maxLineBytes: 16 }),
    );
    const at = T0 + 100;
    const event = makeKinesisEvent([
      { data: new Uint8Array([0x61, 0x20, 0xff, 0xfe, 0x62]), arrivalMs: at }, // invalid UTF-8
      { data: new Uint8Array(0), arrivalMs: at }, // empty record: no line, not an error
      { data: 'a b\nc\n', arrivalMs: at }, // several lines, final newline adds none
      { data: 'a\r\nb\r\n', arrivalMs: at }, // CRLF lines: no '\r' in the words
      { data: `${'x'.repeat(17)}\nlost`, arrivalMs: at }, // a 17-byte line: the whole record is skipped
      { data: 'é'.repeat(9), arrivalMs: at }, // 9 characters but 18 bytes: oversize too
      { data: `${'y'.repeat(16)}\nd`, arrivalMs: at }, // exactly 16 bytes: fine
    ]);
    const seqs = sequenceNumbers(event);
    clock.ms = T0 + 2000;

    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    // The shard applied records just now, so the batch waits one lateness period for more of them.
    clock.ms += 1000;
    await closer();
    expect(counts.get(T0 + 1000)).toEqual({ a: 2, b: 2, c: 1, d: 1, ['y'.repeat(16)]: 1 });
    expect(metrics.totals).toMatchObject({ RecordsIn: 7, DecodeErrors: 3 });
    expect(metrics.totals.FailedRecords).toBeUndefined();
    const logged = loggedJson().filter((l) => l.message === 'undecodable record skipped');
    expect(logged.map((l) => [l.shardId, l.sequenceNumber])).toEqual([
      [SHARD0, seqs[0]],
      [SHARD0, seqs[4]],
      [SHARD0, seqs[5]],
    ]);
    expect(String(logged[0].error)).toMatch(/invalid UTF-8/);
    expect(String(logged[1].error)).toMatch(/longer than 16 bytes/);

    // The skipped records are behind the checkpoint: a re-delivery neither counts nor logs them again.
    errorLog.mockClear();
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    expect(metrics.totals.DecodeErrors).toBe(3);
    expect(errorLog).not.toHaveBeenCalled();
    expect(metrics.totals.LateRecords).toBeUndefined();
  });

  test("a CRLF line of exactly maxLineBytes is accepted: the '\\r' ends the line, it is not part of it", async () => {
    const counts: Counts = new Map();
    const { clock, metrics, handler, closer } = deploy(
      countingPipeline(counts, undefined, { maxLineBytes: 16 }),
    );
    clock.ms = T0 + 2000;
    const line = 'z'.repeat(16);
    expect(
      await handler(makeKinesisEvent([{ data: `${line}\r\n${line}\r\n`, arrivalMs: T0 + 100 }])),
    ).toEqual({
      batchItemFailures: [],
    });
    expect(metrics.totals.DecodeErrors).toBeUndefined();
    clock.ms += 1000; // past the lateness since the shard's last records: the batch closes
    await closer();
    expect(counts.get(T0 + 1000)).toEqual({ [line]: 2 });
  });
});

describe('kinesisHandler: exactly-once under re-delivery', () => {
  test('the same event delivered twice counts once', async () => {
    const counts: Counts = new Map();
    const { clock, handler, closer } = deploy(countingPipeline(counts), { closeAfterMap: false });
    const event = makeKinesisEvent([
      { data: 'a b', arrivalMs: T0 + 100 },
      { data: 'a', arrivalMs: T0 + 200 },
    ]);
    clock.ms = T0 + 300;
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    clock.ms = T0 + 2000;
    await closer();
    expect(counts.get(T0 + 1000)).toEqual({ a: 2, b: 1 });
  });

  test('a replay starting below the checkpoint applies only the records after it', async () => {
    const counts: Counts = new Map();
    const { clock, metrics, handler, closer } = deploy(countingPipeline(counts), { closeAfterMap: false });
    const [r1, r2, r3, r4, r5] = makeKinesisEvent(['a', 'b', 'c', 'd', 'e'], {
      arrivalMs: T0 + 100,
      arrivalStepMs: 100,
    }).Records;
    clock.ms = T0 + 600;
    await handler(eventOf([r1, r2, r3]));
    await handler(eventOf([r2, r3, r4, r5])); // Lambda replays from r2 after a timeout
    clock.ms = T0 + 2000;
    await closer();
    expect(counts.get(T0 + 1000)).toEqual({ a: 1, b: 1, c: 1, d: 1, e: 1 });
    expect(metrics.totals.RecordsIn).toBe(5);
  });

  test('compares sequence numbers as BigInt: a 56-digit number after a 55-digit one is new, though it sorts first as a string', async () => {
    const counts: Counts = new Map();
    const { clock, handler, closer } = deploy(countingPipeline(counts), { closeAfterMap: false });
    const nines = '9'.repeat(55);
    const next = '1' + '0'.repeat(55); // nines + 1
    expect(next < nines).toBe(true); // string order is the opposite of numeric order
    const record = (sequenceNumber: string, data: string) =>
      makeKinesisRecord({ sequenceNumber, data, arrivalMs: T0 + 100 });
    clock.ms = T0 + 600;
    await handler(eventOf([record(nines, 'a')]));
    await handler(eventOf([record(nines, 'a'), record(next, 'b')]));
    await handler(eventOf([record(next, 'b')]));
    clock.ms = T0 + 2000;
    await closer();
    expect(counts.get(T0 + 1000)).toEqual({ a: 1, b: 1 });
  });
});

describe('kinesisHandler: late records', () => {
  test('a record for a batch already closed goes to the oldest open batch and counts as LateRecords', async () => {
    const counts: Counts = new Map();
    const { clock, metrics, handler, closer } = deploy(countingPipeline(counts));
    clock.ms = T0 + 1200;
    await handler(
      makeKinesisEvent([
        { data: 'a', arrivalMs: T0 + 100 },
        { data: 'b', arrivalMs: T0 + 1100 },
      ]),
    );
    expect(Array.from(counts.keys())).toEqual([T0 + 1000]); // closed: the only shard seen has passed it

    // A lagging shard delivers a record that arrived in T0+1 s, already closed.
    const late = makeKinesisEvent([{ data: 'late', arrivalMs: T0 + 900, shardId: SHARD1 }]);
    expect(await handler(late)).toEqual({ batchItemFailures: [] });
    expect(await handler(late)).toEqual({ batchItemFailures: [] }); // delivered twice: counted once
    clock.ms = T0 + 3000;
    expect(await closer()).toEqual({ closed: [T0 + 2000] });
    expect(metrics.totals.LateRecords).toBe(1); // counted when its batch closes
    expect(counts.get(T0 + 1000)).toEqual({ a: 1 });
    expect(counts.get(T0 + 2000)).toEqual({ b: 1, late: 1 });
  });

  test('a record whose batch closes by lateness while its map phase is in flight still counts, late (the next cut includes it)', async () => {
    // "A record that arrives for a batch already closed (late) goes to the oldest open
    // batch ... nothing is dropped silently". The closer cuts the shard logs when it claims a batch;
    // an entry committed after that cut belongs to the next batch whose cut includes it.
    const counts: Counts = new Map();
    const clock = { ms: T0 + 500, now: () => clock.ms };
    const store = new PausingStore(new InMemoryStateStore({ now: clock.now }));
    const options: HandlerOptions = {
      store,
      now: clock.now,
      metrics: new InMemoryEngineMetrics(),
      allowedLateness: 1,
    };
    const pipeline = countingPipeline(counts);
    await kinesisHandler(pipeline, options)(makeKinesisEvent([{ data: 'a', arrivalMs: T0 + 100 }]));

    // SHARD1's invocation (started just after 'b' arrived) stops before committing its entry, as a
    // throttled write retried with backoff would...
    clock.ms = T0 + 1000;
    const paused = store.pauseNextCommit();
    const inFlight = kinesisHandler(pipeline, { ...options, closeAfterMap: false })(
      makeKinesisEvent([{ data: 'b', arrivalMs: T0 + 900, shardId: SHARD1 }]),
    );
    await paused.reached;
    // ...while the scheduled closer finds T0+1 s past its lateness and closes it without 'b'.
    clock.ms = T0 + 2000;
    expect(await closerHandler(pipeline, options)()).toEqual({ closed: [T0 + 1000] });
    paused.resume();
    expect(await inFlight).toEqual({ batchItemFailures: [] });

    clock.ms = T0 + 10_000;
    await closerHandler(pipeline, options)();
    const seen = Array.from(counts.values()).reduce((n, c) => n + (c.b ?? 0), 0);
    expect(seen).toBe(1); // 'b' counted once, in T0+1 s or (late) in a later batch
  });
});

describe('closerHandler', () => {
  test('has nothing to close before the stream sent any record', async () => {
    const { clock, closer } = deploy(wordcount);
    clock.ms = T0 + 60_000;
    expect(await closer()).toEqual({ closed: [] });
    expect(pprinted).toEqual([]);
  });

  test('closes the batches of an idle stream in order once their lateness has passed', async () => {
    const { clock, handler, closer } = deploy(wordcount, {
      allowedLateness: 2,
      listShards: async () => [SHARD0, SHARD1], // SHARD1 sends nothing: only the clock closes batches
    });
    clock.ms = T0 + 2600;
    await handler(
      makeKinesisEvent([
        { data: 'a', arrivalMs: T0 + 100 },
        { data: 'b', arrivalMs: T0 + 1500 },
        { data: 'c', arrivalMs: T0 + 2500 },
      ]),
    );
    expect(pprinted).toEqual([]);

    clock.ms = T0 + 2999;
    expect(await closer()).toEqual({ closed: [] });
    clock.ms = T0 + 4000;
    expect(await closer()).toEqual({ closed: [T0 + 1000, T0 + 2000] });
    clock.ms = T0 + 5000;
    expect(await closer()).toEqual({ closed: [T0 + 3000] });
    clock.ms = T0 + 7500; // empty batches of the idle stream close too (windows need them)
    expect(await closer()).toEqual({ closed: [T0 + 4000, T0 + 5000] });

    const header = (s: number) => `${DASHES}\nTime: ${localTime(T0 + s * 1000)}\n${DASHES}\n`;
    expect(pprinted).toEqual([
      `${header(1)}('a', 1)\n\n`,
      `${header(2)}('b', 1)\n\n`,
      `${header(3)}('c', 1)\n\n`,
      `${header(4)}\n`,
      `${header(5)}\n`,
    ]);
  });
});

describe('configuration errors', () => {
  const prevTable = process.env.DSTREAM_TABLE;
  beforeEach(() => delete process.env.DSTREAM_TABLE);
  afterEach(() => {
    if (prevTable === undefined) delete process.env.DSTREAM_TABLE;
    else process.env.DSTREAM_TABLE = prevTable;
  });

  test('without a store and without DSTREAM_TABLE, the handler fails with an error naming DSTREAM_TABLE', async () => {
    const handler = kinesisHandler(wordcount, { metrics: false });
    const event: KinesisStreamEvent = makeKinesisEvent([{ data: 'a', arrivalMs: T0 }]);
    await expect(handler(event)).rejects.toThrow(/DSTREAM_TABLE/);
    await expect(closerHandler(wordcount, { metrics: false })()).rejects.toThrow(/DSTREAM_TABLE/);
    expect(() => engineFor(wordcount)).toThrow(/set env DSTREAM_TABLE/);
  });
});

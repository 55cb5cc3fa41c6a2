import { definePipeline } from '../../lib';
import { closerHandler, kinesisHandler } from '../../lib/runtime';
import { InMemoryStateStore } from '../../lib/state/in-memory-store';
import { makeKinesisEvent, sequenceNumberOf, shardIdOf } from '../helpers/kinesis';

/** In Lambda the handlers log through the Powertools logger: one JSON object per line, fields included. */

const T0 = 1_700_000_000_000;
const saved = { ...process.env };
let lines: Record<string, unknown>[];
const spies: jest.SpyInstance[] = [];

beforeEach(() => {
  // As in Lambda; POWERTOOLS_DEV makes the logger write through the global console (capturable).
  process.env.AWS_LAMBDA_FUNCTION_NAME = 'logger-test';
  process.env.POWERTOOLS_DEV = 'true';
  lines = [];
  for (const level of ['info', 'warn', 'error', 'log'] as const) {
    spies.push(
      jest
        .spyOn(console, level)
        .mockImplementation((...args: unknown[]) => void lines.push(JSON.parse(String(args[0])))),
    );
  }
});
afterEach(() => {
  process.env = { ...saved };
  for (const s of spies.splice(0)) s.mockRestore();
});

test('decode errors and completed batches are structured Powertools log lines', async () => {
  const pipeline = definePipeline({ name: 'logged', batchInterval: 1, allowedLateness: 1 }, (ssc) =>
    ssc
      .kinesisTextStream()
      .count()
      .foreachRDD(() => undefined),
  );
  const clock = { ms: T0 + 500 };
  const options = {
    store: new InMemoryStateStore({ now: () => clock.ms }),
    now: () => clock.ms,
    metrics: false as const,
  };
  const handler = kinesisHandler(pipeline, options);
  await handler(
    makeKinesisEvent([
      { data: 'fine', arrivalMs: T0 + 100 },
      { data: Buffer.from([0xff]), arrivalMs: T0 + 200 },
    ]),
  );
  clock.ms = T0 + 2500;
  await closerHandler(pipeline, options)();

  const warning = lines.find((l) => l.message === 'undecodable record skipped');
  expect(warning).toMatchObject({
    level: 'WARN',
    service: 'logged',
    shardId: shardIdOf(0),
    sequenceNumber: sequenceNumberOf(1),
    error: expect.stringMatching(/invalid UTF-8/),
  });
  expect(lines.find((l) => l.message === 'batch completed')).toMatchObject({
    level: 'INFO',
    service: 'logged',
    batchTime: T0 + 1000,
    batch: new Date(T0 + 1000).toISOString(),
    records: 2, // records in: the undecodable one counts too (and as a decode error)
    schedulingDelayMs: 1500,
    processingTimeMs: 0,
    totalDelayMs: 1500,
  });
});

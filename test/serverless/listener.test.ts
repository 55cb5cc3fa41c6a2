import { definePipeline, ServerlessEngine } from '../../lib';
import type { BatchCompletedInfo, BatchStartedInfo, MapPhaseInfo } from '../../lib';
import { InMemoryStateStore } from '../../lib/state';
import { record } from './harness';

const T0 = 1_700_000_000_000;
const SHARD0 = 'shardId-000000000000';

function setup() {
  const clock = { ms: T0 };
  const pipeline = definePipeline({ name: 'events', batchInterval: 1, allowedLateness: 2 }, (ssc) => {
    const counts = ssc
      .kinesisTextStream()
      .flatMap((l) => l.split(' '))
      .countByValue();
    counts.pprint();
    counts.foreachRDD(() => undefined);
  });
  const events: { map: MapPhaseInfo[]; started: BatchStartedInfo[]; completed: BatchCompletedInfo[] } = {
    map: [],
    started: [],
    completed: [],
  };
  const engine = new ServerlessEngine(pipeline, {
    store: new InMemoryStateStore({ now: () => clock.ms }),
    now: () => clock.ms,
    listShards: async () => [SHARD0],
    log: () => undefined,
    listeners: [
      {
        onMapPhaseCompleted: (i) => events.map.push(i),
        onBatchStarted: (i) => events.started.push(i),
      },
    ],
  });
  engine.addListener({ onBatchCompleted: (i) => events.completed.push(i) });
  return { clock, engine, events };
}

describe('engine listener events', () => {
  test('a map phase and a close report records, shards, timings and output counts', async () => {
    const { clock, engine, events } = setup();
    const write = process.stdout.write;
    process.stdout.write = () => true;
    try {
      clock.ms = T0 + 1500;
      await engine.mapPhase([record(SHARD0, 1n, T0 + 100, 'a b a'), record(SHARD0, 2n, T0 + 1100, 'c')]);
      expect(events.map).toHaveLength(1);
      expect(events.map[0]).toMatchObject({
        shardId: SHARD0,
        records: 2,
        duplicates: 0,
        failed: false,
        batches: [
          { batchTime: T0 + 1000, records: 1 },
          { batchTime: T0 + 2000, records: 1 },
        ],
        startedAt: T0 + 1500,
      });
      expect(await engine.closeReady()).toEqual([T0 + 1000]);
    } finally {
      process.stdout.write = write;
    }
    expect(events.started).toEqual([
      { batchTime: T0 + 1000, owner: expect.any(String), startedAt: T0 + 1500, schedulingDelayMs: 500 },
    ]);
    expect(events.completed).toHaveLength(1);
    expect(events.completed[0]).toMatchObject({
      batchTime: T0 + 1000,
      records: 1,
      late: 0,
      shards: [{ shardId: SHARD0, partials: 1, records: 1, late: 0 }],
      schedulingDelayMs: 500,
      processingTimeMs: 0,
      totalDelayMs: 500,
      outputs: [
        { kind: 'pprint', elements: 2 },
        { kind: 'foreachRDD', elements: 2 },
      ],
    });
  });

  test('a listener that throws never fails the batch', async () => {
    const { clock, engine } = setup();
    engine.addListener({
      onBatchStarted: () => {
        throw new Error('boom');
      },
    });
    clock.ms = T0 + 1500;
    const write = process.stdout.write;
    process.stdout.write = () => true;
    try {
      await engine.mapPhase([record(SHARD0, 1n, T0 + 100, 'a'), record(SHARD0, 2n, T0 + 1100, 'c')]);
      expect(await engine.closeReady()).toEqual([T0 + 1000]);
    } finally {
      process.stdout.write = write;
    }
  });
});

import { definePipeline, ServerlessEngine } from '../../lib';
import { InMemoryStateStore } from '../../lib/state';
import { record } from './harness';

// Engine rules not covered by the differential runs (which close by watermarks only).
const T0 = 1_700_000_000_000;
const SHARD0 = 'shardId-000000000000';
const SHARD1 = 'shardId-000000000001';

function setup() {
  const clock = { ms: T0 };
  const out = new Map<number, [string, number][]>();
  const pipeline = definePipeline({ name: 'rules', batchInterval: 1, allowedLateness: 2 }, (ssc) =>
    ssc
      .kinesisTextStream()
      .countByValue()
      .foreachRDD((rdd, t) => void out.set(t, rdd.collect())),
  );
  const store = new InMemoryStateStore({ now: () => clock.ms });
  const engine = new ServerlessEngine(pipeline, {
    store,
    now: () => clock.ms,
    listShards: async () => [SHARD0, SHARD1],
    log: () => undefined,
  });
  return { clock, out, engine };
}

describe('closing by lateness', () => {
  test('waits for a shard that is still working through a backlog, then closes once it is idle', async () => {
    const { clock, out, engine } = setup();
    // SHARD1 is idle (never sent); SHARD0 has a backlog: its map phases run at T0+5 s on records of T0.
    clock.ms = T0 + 5000;
    await engine.mapPhase([record(SHARD0, 100n, T0 + 100, 'a')]);
    expect(await engine.closeReady()).toEqual([]); // lateness passed, but SHARD0 applied records just now
    clock.ms = T0 + 5500;
    await engine.mapPhase([record(SHARD0, 101n, T0 + 600, 'a')]);
    expect(await engine.closeReady()).toEqual([]);
    expect(out.size).toBe(0);
    clock.ms = T0 + 7600; // SHARD0 idle for the lateness: batches close, with both records, none late
    expect(await engine.closeReady()).toEqual([T0 + 1000, T0 + 2000, T0 + 3000, T0 + 4000, T0 + 5000]);
    expect(out.get(T0 + 1000)).toEqual([['a', 2]]);
  });

  test('every shard past the batch closes it at once; a late record counts once and lands in the oldest open batch', async () => {
    const { clock, out, engine } = setup();
    clock.ms = T0 + 1200;
    await engine.mapPhase([record(SHARD0, 1n, T0 + 100, 'a'), record(SHARD0, 2n, T0 + 1100, 'b')]);
    await engine.mapPhase([record(SHARD1, 1n, T0 + 1150, 'c')]);
    expect(await engine.closeReady()).toEqual([T0 + 1000]);
    expect(out.get(T0 + 1000)).toEqual([['a', 1]]);
    // A record of T0+1 s on SHARD1 arrives now (its shard had passed it: out of order): late.
    const r = await engine.mapPhase([record(SHARD1, 2n, T0 + 900, 'late')]);
    expect(r.processed).toBe(1);
    clock.ms = T0 + 9000;
    await engine.closeReady();
    expect(out.get(T0 + 2000)?.sort()).toEqual([
      ['b', 1],
      ['c', 1],
      ['late', 1],
    ]);
  });
});

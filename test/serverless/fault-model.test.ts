import { runFaultModel } from './fault-model';

/**
 * The enumerated fault model (fault-model.ts) on InMemoryStateStore: for each shard count, small
 * generated delivery plans over the pipeline templates (at least three), each run once per (write,
 * fault kind). FAULT_SCHEDULES raises the number of schedules per shard count (default 200),
 * FAULT_LATENESS_SCHEDULES those of the runs with late records (default 1,000).
 */
const perShardCount = Number(process.env.FAULT_SCHEDULES ?? 200);
/** Schedules per shard count of the lateness mode (cheaper runs: more plans). */
const latePerShardCount = Number(process.env.FAULT_LATENESS_SCHEDULES ?? 1000);

describe('fault model, enumerated at every write (InMemoryStateStore)', () => {
  for (const shards of [1, 2, 4]) {
    test(`${shards} shard(s): crash before, crash after, ambiguous error, delayed write at each write`, async () => {
      const { problems, schedules, templates } = await runFaultModel(
        shards,
        perShardCount,
        undefined,
        undefined,
        3,
      );
      expect(problems.slice(0, 5)).toEqual([]);
      expect(schedules).toBeGreaterThanOrEqual(perShardCount);
      expect(templates.length).toBeGreaterThanOrEqual(3);
      console.log(
        `${shards} shard(s): ${schedules} schedules over ${templates.length} pipelines (${templates.join('; ')})`,
      );
    }, 600_000);
  }
});

describe('fault model with records arriving late (closes by lateness, InMemoryStateStore)', () => {
  for (const shards of [1, 2, 4]) {
    test(`${shards} shard(s): every run of a batch's outputs is the same; every word counted once`, async () => {
      const late = await runFaultModel(shards, latePerShardCount, undefined, undefined, 1, 'lateness');
      expect(late.problems.slice(0, 5)).toEqual([]);
      expect(late.schedules).toBeGreaterThanOrEqual(latePerShardCount);
      console.log(`${shards} shard(s), records late: ${late.schedules} schedules over ${late.plans} plans`);
    }, 600_000);
  }
});

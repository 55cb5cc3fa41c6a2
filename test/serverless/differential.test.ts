import fc from 'fast-check';
import { Plan, planArb, runDifferential } from './differential';

// Differential tests on InMemoryStateStore: see ./differential.ts for the run and its faults.
const runs = Number(process.env.DIFF_RUNS ?? 60);

describe('serverless engine equals the in-memory engine (InMemoryStateStore)', () => {
  for (const shards of [1, 2, 4]) {
    test(`${shards} shard(s), no faults`, async () => {
      await fc.assert(
        fc.asyncProperty(planArb([shards], false), async (plan) => {
          expect(await runDifferential(plan)).toEqual([]);
        }),
        { numRuns: Math.ceil(runs / 2) },
      );
    });
    test(`${shards} shard(s), duplicates, bisected retries, crashes after any write, racing closers`, async () => {
      await fc.assert(
        fc.asyncProperty(planArb([shards], true), async (plan) => {
          expect(await runDifferential(plan)).toEqual([]);
        }),
        { numRuns: runs },
      );
    });
  }

  // Compaction at every point of a run (a snapshot every batch, after every delta, or deltas only),
  // with one closer warm and one cold (a new engine every call), switching between them at random.
  test.each([
    ['a snapshot every batch', { compactionRatio: 0 }],
    ['a snapshot after every delta', { maxDeltas: 1 }],
    ['a snapshot after three deltas', { maxDeltas: 3 }],
    ['deltas only (never by size)', { compactionRatio: 1e9, maxDeltas: 1e9 }],
    ['small snapshot pages (many items)', { pageBytes: 64 }],
  ])('%s, warm and cold closers, 1-4 shards, with faults', async (_, tuning) => {
    await fc.assert(
      fc.asyncProperty(planArb([1, 2, 4], true), async (plan) => {
        expect(await runDifferential(plan, undefined, { ...tuning, coldCloser: true })).toEqual([]);
      }),
      { numRuns: Math.ceil(runs / 2) },
    );
  });

  test('every template is exercised (a smoke run of each)', async () => {
    for (let template = 0; template < 8; template++) {
      const plan: Plan = {
        template,
        b: 1,
        w: 3,
        s: 1,
        timeout: 2,
        shards: 2,
        seed: template,
        faults: true,
        lines: Array.from({ length: 30 }, (_, i) => ({
          shard: i % 3,
          offsetMs: i * 350,
          words: [i % 5, (i * 3) % 5, 1],
        })),
      };
      expect(await runDifferential(plan)).toEqual([]);
    }
  });
});

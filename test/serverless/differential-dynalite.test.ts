import fc from 'fast-check';
import { startDynalite, type Dynalite } from '../helpers/dynalite';
import { planArb, runDifferential } from './differential';

// The same differential runs on DynamoDbStateStore against dynalite in process (a smaller set:
// every request goes over HTTP).
let db: Dynalite;

beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.stop();
});

const runs = Number(process.env.DIFF_DYNALITE_RUNS ?? 4);

describe('serverless engine equals the in-memory engine (DynamoDbStateStore on dynalite)', () => {
  for (const shards of [1, 2, 4]) {
    test(`${shards} shard(s), with faults`, async () => {
      await fc.assert(
        fc.asyncProperty(planArb([shards], true, 15), async (plan) => {
          expect(await runDifferential(plan, await db.newStoreFactory('diff'))).toEqual([]);
        }),
        { numRuns: runs },
      );
    });
  }
});

describe('compaction at every point, warm and cold closers (DynamoDbStateStore on dynalite)', () => {
  test.each([
    ['a snapshot every batch', { compactionRatio: 0 }],
    ['a snapshot after every delta', { maxDeltas: 1 }],
    ['deltas only (never by size)', { compactionRatio: 1e9, maxDeltas: 1e9 }],
    ['small snapshot pages (many items)', { pageBytes: 64 }],
  ])('%s', async (_, tuning) => {
    await fc.assert(
      fc.asyncProperty(planArb([1, 2, 4], true, 15), async (plan) => {
        expect(
          await runDifferential(plan, await db.newStoreFactory('diff'), { ...tuning, coldCloser: true }),
        ).toEqual([]);
      }),
      { numRuns: runs },
    );
  });
});

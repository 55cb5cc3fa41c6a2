import { DynamoDbStateStore, createStateTable } from '../../lib/state';
import { startDynalite, type Dynalite } from '../helpers/dynalite';
import { runFaultModel } from './fault-model';

/**
 * The enumerated fault model (fault-model.ts) on DynamoDbStateStore against dynalite: the same
 * schedules as on the in-memory store, every request over HTTP. One table; each schedule runs as
 * its own pipeline (keys start with the pipeline's name). FAULT_DYNALITE_SCHEDULES raises the count.
 */
const perShardCount = Number(process.env.FAULT_DYNALITE_SCHEDULES ?? 200);
let db: Dynalite;
const table = 'faults';

beforeAll(async () => {
  db = await startDynalite();
  await createStateTable(db.client, table);
});
afterAll(async () => {
  await db.stop();
});

describe('fault model, enumerated at every write (DynamoDbStateStore on dynalite)', () => {
  for (const shards of [1, 2, 4]) {
    test(`${shards} shard(s): crash before, crash after, ambiguous error, delayed write at each write`, async () => {
      const { problems, schedules } = await runFaultModel(
        shards,
        perShardCount,
        (now) => new DynamoDbStateStore({ client: db.client, tableName: table, now }),
        (i) => `s${shards}-${i}`,
      );
      expect(problems.slice(0, 5)).toEqual([]);
      expect(schedules).toBeGreaterThanOrEqual(perShardCount);
    }, 900_000);
  }
});

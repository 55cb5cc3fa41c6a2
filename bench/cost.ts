/**
 * DynamoDB cost of word count per batch (issue 3), measured on dynalite's
 * ConsumedCapacity in one run: a 10,000-record event (10 words a record, about 4,000 distinct
 * words) through kinesisHandler + closing the batch on DynamoDbStateStore, against a naive handler
 * that sends one UpdateItem ADD per word (and, for reference, one per distinct word of the event).
 */
import { UpdateItemCommand, CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { kinesisHandler } from '../lib/runtime';
import { DynamoDbStateStore, createStateTable } from '../lib/state';
import { generateLines } from './data';
import { kinesisEvent, wordCountPipeline } from './events';
import { startDynalite } from './metered';

export interface CostResult {
  records: number;
  words: number;
  distinctWords: number;
  engine: {
    requests: number;
    writeUnits: number;
    readUnits: number;
    itemsWritten: number;
    bytesWritten: number;
  };
  naivePerWord: { requests: number; writeUnits: number };
  naivePerDistinctWord: { requests: number; writeUnits: number };
  ratioPerWord: number;
  /** Bytes of the batch's result (the changed state: one [word, count] per distinct word, as JSON). */
  changedStateBytes: number;
  ratioPerDistinctWord: number;
}

export async function runCost(records = 10_000, vocabulary = 4_100): Promise<CostResult> {
  const lines = generateLines(records, 10, vocabulary, 11);
  const words = lines.flatMap((l) => l.split(' '));
  const distinct = new Map<string, number>();
  for (const w of words) distinct.set(w, (distinct.get(w) ?? 0) + 1);
  const arrival = 1_700_000_000_000;
  const event = kinesisEvent(lines, arrival);

  const db = await startDynalite();
  try {
    await createStateTable(db.client, 'state');
    let now = arrival + 600;
    const store = new DynamoDbStateStore({ client: db.client, tableName: 'state', now: () => now });
    const pipeline = wordCountPipeline('wordcount');
    const handler = kinesisHandler(pipeline, { store, now: () => now, metrics: false, allowedLateness: 1 });
    const res = await handler(event);
    if (res.batchItemFailures.length) throw new Error('map phase failed');
    now = arrival + 5_000; // the batch is past its lateness: the next invocation closes it
    await handler({ Records: [] });
    const s = store.stats();

    await db.client.send(
      new CreateTableCommand({
        TableName: 'naive',
        KeySchema: [{ AttributeName: 'word', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'word', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const update = async (word: string, n: number) => {
      const out = await db.client.send(
        new UpdateItemCommand({
          TableName: 'naive',
          Key: { word: { S: word } },
          UpdateExpression: 'ADD #c :n',
          ExpressionAttributeNames: { '#c': 'count' },
          ExpressionAttributeValues: { ':n': { N: String(n) } },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      return out.ConsumedCapacity?.CapacityUnits ?? 0;
    };
    const runAll = async (jobs: [string, number][]) => {
      let units = 0;
      let i = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (i < jobs.length) {
            const [w, n] = jobs[i++];
            const u = await update(w, n);
            units += u;
          }
        }),
      );
      return units;
    };
    const perWordUnits = await runAll(words.map((w) => [w, 1]));
    const perDistinctUnits = await runAll(Array.from(distinct));
    const engineWrites = s.writeCapacityUnits;
    return {
      records,
      words: words.length,
      distinctWords: distinct.size,
      engine: {
        requests: s.totalRequests,
        writeUnits: engineWrites,
        readUnits: s.readCapacityUnits,
        itemsWritten: s.itemsWritten,
        bytesWritten: s.bytesWritten,
      },
      naivePerWord: { requests: words.length, writeUnits: perWordUnits },
      naivePerDistinctWord: { requests: distinct.size, writeUnits: perDistinctUnits },
      ratioPerWord: perWordUnits / engineWrites,
      changedStateBytes: Buffer.byteLength(JSON.stringify(Array.from(distinct))),
      ratioPerDistinctWord: perDistinctUnits / engineWrites,
    };
  } finally {
    await db.stop();
  }
}

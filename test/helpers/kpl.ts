/**
 * KPL-aggregated records made and read by AWS Labs' `aws-kinesis-agg` (the reference
 * implementation of the format), so that tests never check our decoder against our encoder only.
 *
 * @example const data = kplAggregate(lines); // one Kinesis record's bytes, 100 user records inside
 */
import * as agg from 'aws-kinesis-agg';

/** The part of aws-kinesis-agg's RecordAggregator the tests use (its typings leave it out). */
interface RecordAggregator {
  addUserRecord(record: { partitionKey: string; data: Buffer }): void;
  build(): { partitionKey: string; data: Buffer };
}

const { RecordAggregator } = agg as unknown as { RecordAggregator: new () => RecordAggregator };

/**
 * One aggregated record holding `lines` (UTF-8), user record i with partition key `keyOf(i)`.
 * Returns the Kinesis record's data and the partition key aws-kinesis-agg gives the aggregate.
 */
export function kplAggregate(
  lines: readonly string[],
  keyOf: (i: number) => string = (i) => `user-key-${i % 3}`,
): { data: Buffer; partitionKey: string } {
  const aggregator = new RecordAggregator();
  lines.forEach((line, i) => aggregator.addUserRecord({ partitionKey: keyOf(i), data: Buffer.from(line) }));
  return aggregator.build();
}

/** The user records aws-kinesis-agg finds in `data` (MD5 checked); rejects if it refuses the record. */
export function kplDeaggregate(
  data: Uint8Array,
): { partitionKey: string; subSequenceNumber?: number; data: Buffer }[] {
  let out: { partitionKey: string; subSequenceNumber?: number; data: Buffer }[] = [];
  agg.deaggregateSync(
    {
      data: Buffer.from(data).toString('base64'),
      partitionKey: 'aggregate',
      sequenceNumber: '1',
      approximateArrivalTimestamp: 0,
      kinesisSchemaVersion: '1.0',
    },
    true,
    (err, records) => {
      if (err) throw err;
      out = (records ?? []).map((r) => ({
        partitionKey: r.partitionKey,
        subSequenceNumber: r.subSequenceNumber,
        data: Buffer.from(r.data, 'base64'),
      }));
    },
  );
  return out;
}

/**
 * The Kinesis Producer Library's aggregation format (KPL `aggregation-format.md`): one Kinesis
 * record carrying many user records, as the KPL and AWS Labs' `aws-kinesis-agg` write it. Bytes:
 * the magic number F3 89 9A C2, an `AggregatedRecord` protobuf message, then the MD5 of that message.
 *
 * De-aggregation happens before any engine sees the records (Spark's Kinesis receiver and Flink's
 * connector do the same through the KCL): user records keep their Kinesis record's shard, sequence
 * number and arrival time, and get a sub-sequence number (their index in the aggregate). A corrupt
 * aggregate (bad MD5, truncated or invalid protobuf) stays one record, marked with `decodeError`:
 * every source's decode then throws a RecordDecodeError for it (counted, logged, skipped).
 *
 * The protobuf message is read and written with protobufjs, from the format's published schema.
 */
import { createHash } from 'node:crypto';
import { Root, type Type } from 'protobufjs/light';
import type { KinesisInputRecord } from './kinesis';

/** The first four bytes of every aggregated record. */
export const KPL_MAGIC: Readonly<Buffer> = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);

/** Bytes of the MD5 digest that ends an aggregated record. */
const DIGEST_BYTES = 16;

/** The KPL's `messages.proto` (proto2), as protobufjs JSON. */
const AggregatedRecord: Type = Root.fromJSON({
  nested: {
    Tag: {
      fields: {
        key: { rule: 'required', type: 'string', id: 1 },
        value: { rule: 'optional', type: 'string', id: 2 },
      },
    },
    Record: {
      fields: {
        partition_key_index: { rule: 'required', type: 'uint64', id: 1 },
        explicit_hash_key_index: { rule: 'optional', type: 'uint64', id: 2 },
        data: { rule: 'required', type: 'bytes', id: 3 },
        tags: { rule: 'repeated', type: 'Tag', id: 4 },
      },
    },
    AggregatedRecord: {
      fields: {
        partition_key_table: { rule: 'repeated', type: 'string', id: 1 },
        explicit_hash_key_table: { rule: 'repeated', type: 'string', id: 2 },
        records: { rule: 'repeated', type: 'Record', id: 3 },
      },
    },
  },
}).lookupType('AggregatedRecord');

/** A decoded `AggregatedRecord` (protobufjs reads uint64 as a Long object, or a number without `long`). */
interface DecodedAggregate {
  partition_key_table: string[];
  records: { partition_key_index: number | { toNumber(): number }; data: Uint8Array }[];
}

/** True when `data` starts with the KPL magic number (it claims to be an aggregate). */
export function isAggregated(data: Uint8Array): boolean {
  return (
    data.length >= 4 &&
    data[0] === KPL_MAGIC[0] &&
    data[1] === KPL_MAGIC[1] &&
    data[2] === KPL_MAGIC[2] &&
    data[3] === KPL_MAGIC[3]
  );
}

/**
 * The user records of one Kinesis record: a plain record is returned as it is (no
 * `subSequenceNumber`); an aggregate gives one record per user record, in order, with
 * `subSequenceNumber` 0..n-1, the aggregate's shard, sequence number and arrival time, and the
 * partition key from the aggregate's key table. A corrupt aggregate is returned as one record with
 * its raw data and `decodeError` saying what is wrong. Never throws.
 * @example recordsByShard(event) // calls deaggregate on every record of a Lambda event
 */
export function deaggregate(record: KinesisInputRecord): KinesisInputRecord[] {
  if (!isAggregated(record.data)) return [record];
  const corrupt = (reason: string): KinesisInputRecord[] => [
    { ...record, decodeError: `corrupt KPL aggregated record: ${reason}` },
  ];
  const data = record.data;
  if (data.length < KPL_MAGIC.length + DIGEST_BYTES)
    return corrupt(`${data.length} bytes is shorter than the magic number and the MD5 digest`);
  const message = data.subarray(KPL_MAGIC.length, data.length - DIGEST_BYTES);
  const digest = data.subarray(data.length - DIGEST_BYTES);
  const expected = createHash('md5').update(message).digest();
  if (!expected.equals(digest)) return corrupt('the MD5 digest does not match (truncated or altered)');
  let decoded: DecodedAggregate;
  try {
    decoded = AggregatedRecord.decode(message) as unknown as DecodedAggregate;
  } catch (e) {
    return corrupt(`invalid protobuf message (${(e as Error).message})`);
  }
  const keys = decoded.partition_key_table;
  const out: KinesisInputRecord[] = new Array(decoded.records.length);
  for (let i = 0; i < decoded.records.length; i++) {
    const r = decoded.records[i];
    const index =
      typeof r.partition_key_index === 'number' ? r.partition_key_index : r.partition_key_index.toNumber();
    if (!(index >= 0 && index < keys.length))
      return corrupt(`user record ${i} names partition key ${index}, but the key table has ${keys.length}`);
    out[i] = {
      shardId: record.shardId,
      ...(record.streamArn === undefined ? {} : { streamArn: record.streamArn }),
      sequenceNumber: record.sequenceNumber,
      subSequenceNumber: i,
      partitionKey: keys[index],
      arrivalMs: record.arrivalMs,
      data: r.data,
    };
  }
  return out;
}

/** One user record to aggregate. */
export interface UserRecord {
  partitionKey: string;
  data: Uint8Array;
}

/**
 * Bytes that `userRecord` adds to an aggregate at most (its data and key, and the protobuf
 * framing of both), so that a producer can keep aggregates under a size without encoding them.
 */
export function maxAggregatedBytes(userRecord: UserRecord): number {
  // Each field: a tag byte and a length varint (at most 5 bytes below 4 GiB); the record's own frame too.
  return userRecord.data.length + Buffer.byteLength(userRecord.partitionKey, 'utf8') + 3 * 6 + 6;
}

/** Bytes of an aggregate besides its user records: the magic number and the MD5 digest. */
export const AGGREGATE_OVERHEAD_BYTES = KPL_MAGIC.length + DIGEST_BYTES;

/**
 * One aggregated record (KPL format) holding `records` in order, each partition key stored once.
 * `aws-kinesis-agg` and the KCL de-aggregate it; so does {@link deaggregate}.
 * @example const data = aggregate(lines.map((l) => ({ partitionKey: 'k', data: Buffer.from(l) })));
 */
export function aggregate(records: readonly UserRecord[]): Buffer {
  const keyIndex = new Map<string, number>();
  const userRecords = records.map((r) => {
    let index = keyIndex.get(r.partitionKey);
    if (index === undefined) keyIndex.set(r.partitionKey, (index = keyIndex.size));
    return { partition_key_index: index, data: r.data };
  });
  const message = AggregatedRecord.encode({
    partition_key_table: Array.from(keyIndex.keys()),
    explicit_hash_key_table: [],
    records: userRecords,
  }).finish();
  const digest = createHash('md5').update(message).digest();
  return Buffer.concat([KPL_MAGIC, message, digest]);
}

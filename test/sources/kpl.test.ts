import { createHash } from 'node:crypto';
import { StreamingContext } from '../../lib';
import { decodeLines, RecordDecodeError, type KinesisInputRecord } from '../../lib/sources/kinesis';
import { aggregate, deaggregate, isAggregated, KPL_MAGIC } from '../../lib/sources/kpl';
import { kplAggregate, kplDeaggregate } from '../helpers/kpl';
import { FIRST_ARRIVAL_MS, FIRST_SEQUENCE, shardIdOf } from '../helpers/kinesis';

/** KPL de-aggregation (lib/sources/kpl.ts) against records made by AWS Labs' aws-kinesis-agg. */

const lines = Array.from({ length: 100 }, (_, i) => `line ${i} of the aggregate`);

function kinesisRecord(data: Uint8Array): KinesisInputRecord {
  return {
    shardId: shardIdOf(3),
    sequenceNumber: FIRST_SEQUENCE.toString(),
    partitionKey: 'aggregate-key',
    arrivalMs: FIRST_ARRIVAL_MS,
    data,
  };
}

/** `magic + message + md5(message)`: an aggregate whose digest is right whatever the message holds. */
function framed(message: Buffer): Buffer {
  return Buffer.concat([KPL_MAGIC, message, createHash('md5').update(message).digest()]);
}

describe('deaggregate', () => {
  test("gives every user record of an aws-kinesis-agg aggregate, with the aggregate's position and its key table", () => {
    const { data } = kplAggregate(lines, (i) => `user-key-${i % 3}`);
    const users = deaggregate(kinesisRecord(data));
    expect(users).toHaveLength(100);
    users.forEach((u, i) => {
      expect(u).toEqual({
        shardId: shardIdOf(3),
        sequenceNumber: FIRST_SEQUENCE.toString(),
        subSequenceNumber: i,
        partitionKey: `user-key-${i % 3}`,
        arrivalMs: FIRST_ARRIVAL_MS,
        data: expect.any(Uint8Array),
      });
      expect(decodeLines(u)).toEqual([lines[i]]);
    });
  });

  test('returns a plain record as it is, with no sub-sequence number', () => {
    const plain = kinesisRecord(Buffer.from('just a line'));
    expect(deaggregate(plain)).toEqual([plain]);
    expect(deaggregate(plain)[0]).toBe(plain);
    expect(isAggregated(plain.data)).toBe(false);
  });

  test.each([
    [
      'a wrong MD5 digest',
      (d: Buffer) => Buffer.concat([d.subarray(0, -1), Buffer.from([d[d.length - 1] ^ 0xff])]),
      /MD5 digest does not match/,
    ],
    ['a truncated payload', (d: Buffer) => d.subarray(0, d.length - 40), /MD5 digest does not match/],
    ['only the magic number', () => Buffer.from(KPL_MAGIC), /shorter than the magic number and the MD5/],
    [
      'an invalid protobuf message (right digest)',
      () => framed(Buffer.from([0x1a, 0x7f, 0x01])),
      /invalid protobuf message/,
    ],
    [
      'a user record without its required data (right digest)',
      () => framed(Buffer.from([0x0a, 0x01, 0x6b, 0x1a, 0x02, 0x08, 0x00])),
      /invalid protobuf message/,
    ],
    [
      'a partition key index past the key table (right digest)',
      // partition_key_table ["k"], records [{ partition_key_index: 5, data: "x" }]
      () => framed(Buffer.from([0x0a, 0x01, 0x6b, 0x1a, 0x05, 0x08, 0x05, 0x1a, 0x01, 0x78])),
      /names partition key 5, but the key table has 1/,
    ],
  ])(
    'keeps a corrupt aggregate (%s) as one record with its raw data and the reason',
    (_, corrupt, reason) => {
      const data = corrupt(kplAggregate(lines).data);
      const [only, ...rest] = deaggregate(kinesisRecord(data));
      expect(rest).toEqual([]);
      expect(only.data).toBe(data);
      expect(only.subSequenceNumber).toBeUndefined();
      expect(only.decodeError).toMatch(/^corrupt KPL aggregated record: /);
      expect(only.decodeError).toMatch(reason);
    },
  );
});

describe('aggregate', () => {
  test('writes records that aws-kinesis-agg reads back, MD5 checked, keys stored once', () => {
    const data = aggregate(lines.map((l, i) => ({ partitionKey: `k${i % 2}`, data: Buffer.from(l) })));
    expect(isAggregated(data)).toBe(true);
    const read = kplDeaggregate(data);
    expect(read.map((r) => r.data.toString())).toEqual(lines);
    expect(read.map((r) => r.partitionKey)).toEqual(lines.map((_, i) => `k${i % 2}`));
    expect(read.map((r) => r.subSequenceNumber)).toEqual(lines.map((_, i) => i));
    expect(deaggregate(kinesisRecord(data)).map((u) => Buffer.from(u.data).toString())).toEqual(lines);
  });
});

describe('sources refuse a corrupt aggregate', () => {
  test('with a RecordDecodeError naming the shard, the sequence number and the reason', () => {
    const ssc = new StreamingContext({ batchInterval: 1, clock: 'manual' });
    const text = ssc.kinesisTextStream();
    const json = ssc.kinesisStream((bytes) => JSON.parse(Buffer.from(bytes).toString()) as unknown);
    const [corrupt] = deaggregate(kinesisRecord(kplAggregate(lines).data.subarray(0, 30)));
    for (const source of [text, json]) {
      let error: unknown;
      try {
        source.decode(corrupt);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(RecordDecodeError);
      expect(error).toMatchObject({ shardId: shardIdOf(3), sequenceNumber: FIRST_SEQUENCE.toString() });
      expect(String((error as Error).message)).toBe(
        `cannot decode record ${FIRST_SEQUENCE} of ${shardIdOf(3)}: ${corrupt.decodeError}`,
      );
    }
  });

  test('a user record that is not UTF-8 is named by its sub-sequence number', () => {
    const data = aggregate([
      { partitionKey: 'k', data: Buffer.from('fine') },
      { partitionKey: 'k', data: Buffer.from([0xff, 0xfe]) },
    ]);
    const users = deaggregate(kinesisRecord(data));
    expect(decodeLines(users[0])).toEqual(['fine']);
    expect(() => decodeLines(users[1])).toThrow(
      `cannot decode record ${FIRST_SEQUENCE} (user record 1) of ${shardIdOf(3)}: invalid UTF-8`,
    );
  });
});

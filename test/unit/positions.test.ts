import {
  ZERO_POSITION,
  compareToRecord,
  describePosition,
  positionOf,
  sequenceOf,
  shardKeyOf,
  splitPosition,
} from '../../lib/engine/serverless/positions';
import { decode, encode, storedJson } from '../../lib/engine/codec';

const rec = (sequenceNumber: string, subSequenceNumber?: number) => ({
  shardId: 'shardId-000000000000',
  sequenceNumber,
  subSequenceNumber,
  arrivalMs: 0,
  data: new Uint8Array(0),
});

describe('record positions', () => {
  test('order as (sequence number, sub-sequence number), numerically, as strings', () => {
    const seqs = ['9', '10', '49590338271490256608559692538361571095921575989136588898'];
    const positions = [
      positionOf(rec(seqs[0])),
      positionOf(rec(seqs[1])),
      positionOf(rec(seqs[1], 1)),
      positionOf(rec(seqs[1], 12)),
      positionOf(rec(seqs[2])),
    ];
    expect(positions.slice().sort()).toEqual(positions);
    expect(ZERO_POSITION < positions[0]).toBe(true);
    expect(compareToRecord('10', 0, '9', 5)).toBeGreaterThan(0);
    expect(compareToRecord('10', 1, '10', 2)).toBeLessThan(0);
    expect(compareToRecord('10', 2, '10', 2)).toBe(0);
    expect(compareToRecord('1', 0, '', 0)).toBeGreaterThan(0); // after ZERO_POSITION
  });

  test('split back to the sequence number Kinesis prints, and described for people', () => {
    const p = positionOf(rec('49590338271490256608559692538361571095921575989136588898', 3));
    expect(splitPosition(p)).toEqual({
      seq: '49590338271490256608559692538361571095921575989136588898',
      sub: 3,
    });
    expect(sequenceOf(p)).toBe('49590338271490256608559692538361571095921575989136588898');
    expect(describePosition(p)).toBe('49590338271490256608559692538361571095921575989136588898/3');
    expect(describePosition(positionOf(rec('42')))).toBe('42');
    expect(describePosition(ZERO_POSITION)).toBe('(start)');
    expect(() => positionOf(rec('12a'))).toThrow(/invalid Kinesis sequence number "12a"/);
  });

  test("a shard's key names its stream when the record carries the stream's ARN", () => {
    expect(shardKeyOf({ shardId: 'shardId-000000000000' })).toBe('shardId-000000000000');
    expect(
      shardKeyOf({ shardId: 'shardId-000000000000', streamArn: 'arn:aws:kinesis:us-east-1:1:stream/a' }),
    ).toBe('arn:aws:kinesis:us-east-1:1:stream/a|shardId-000000000000');
  });
});

describe('the storage codec', () => {
  test('plain JSON when nothing needs the replacer; the same stored form either way', () => {
    const plain = [['a', 1], { b: [true, null, 'x'] }];
    expect(storedJson(plain)).toBe(JSON.stringify(plain));
    const special = [['a', undefined], { n: NaN, i: -Infinity, nested: [[undefined]] }];
    expect(decode(encode(special))).toEqual(special);
    expect(storedJson({ d: new Date(0) })).toBe('{"d":"1970-01-01T00:00:00.000Z"}');
  });

  test('closer-written state packs harder (level 6) and reads back the same', () => {
    const value = Array.from({ length: 2000 }, (_, i) => [`k${i}`, i % 7]);
    expect(encode(value, 6).byteLength).toBeLessThanOrEqual(encode(value, 1).byteLength);
    expect(decode(encode(value, 6))).toEqual(value);
  });
});

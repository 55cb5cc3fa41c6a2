import { parseBatchResponse } from '../../lib/local/batch-response';
import { compareSequenceNumbers } from '../../lib/local/sequence';
import { makeKinesisEvent, recordText, sequenceNumberOf, shardIdOf } from '../helpers/kinesis';

// Sequence numbers of unequal length, where string order and numeric order disagree.
const SEQ = ['999', '1000', '1001', '49590338271490256608559692538361571095921575989136588898'];

describe('parseBatchResponse (ReportBatchItemFailures success and failure conditions)', () => {
  test.each([
    ['no response', undefined],
    ['a null response', null],
    ['an empty response', {}],
    ['a null batchItemFailures', { batchItemFailures: null }],
    ['an empty batchItemFailures', { batchItemFailures: [] }],
  ])('%s is a complete success', (_name, response) => {
    expect(parseBatchResponse(response, SEQ)).toEqual({ kind: 'success' });
  });

  test('several failures checkpoint at the lowest sequence number, compared as numbers', () => {
    const response = {
      batchItemFailures: [{ itemIdentifier: SEQ[3] }, { itemIdentifier: '1000' }, { itemIdentifier: '1001' }],
    };
    expect(parseBatchResponse(response, SEQ)).toEqual({ kind: 'partial', index: 1 });
  });

  test.each([
    [
      'an empty itemIdentifier',
      { batchItemFailures: [{ itemIdentifier: '' }] },
      /itemIdentifier "" is not a sequence number/,
    ],
    ['a null itemIdentifier', { batchItemFailures: [{ itemIdentifier: null }] }, /itemIdentifier null/],
    ['a wrong key name', { batchItemFailures: [{ itemId: '1000' }] }, /itemIdentifier undefined/],
    [
      'an identifier not in the batch',
      { batchItemFailures: [{ itemIdentifier: '5' }] },
      /5 is not the sequence number of a record/,
    ],
    ['batchItemFailures not an array', { batchItemFailures: '1000' }, /must be an array/],
  ])('%s fails the whole batch', (_name, response, message) => {
    const outcome = parseBatchResponse(response, SEQ);
    expect(outcome.kind).toBe('failed');
    expect(outcome.kind === 'failed' && outcome.error).toMatch(message);
  });
});

describe('compareSequenceNumbers', () => {
  test('orders by value, not by string', () => {
    expect(compareSequenceNumbers('999', '1000')).toBeLessThan(0);
    expect(compareSequenceNumbers(SEQ[3], '1000')).toBeGreaterThan(0);
    expect(compareSequenceNumbers('1000', '1000')).toBe(0);
  });
});

describe('makeKinesisEvent (test/helpers/kinesis)', () => {
  test('builds records as Lambda delivers them', () => {
    const event = makeKinesisEvent(['héllo', { data: 'b', partitionKey: 'k', arrivalMs: 1_500 }], {
      shardId: shardIdOf(3),
    });
    const [first, second] = event.Records;
    expect(first).toEqual({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: 'pk-0',
        sequenceNumber: sequenceNumberOf(0),
        data: Buffer.from('héllo').toString('base64'),
        approximateArrivalTimestamp: 1_700_000_000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000003:${sequenceNumberOf(0)}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/dstream-local-poller',
      awsRegion: 'us-east-1',
      eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/test-stream',
    });
    expect(recordText(first)).toBe('héllo');
    expect(second.kinesis).toMatchObject({
      partitionKey: 'k',
      approximateArrivalTimestamp: 1.5,
      sequenceNumber: sequenceNumberOf(1),
    });
  });
});

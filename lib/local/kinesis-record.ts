/**
 * Builds Lambda's Kinesis event records exactly as the event source mapping delivers them: data
 * base64-encoded, arrival time in seconds (a float), `eventID` = `<shardId>:<sequenceNumber>`.
 * The local poller and the test event factory both use this, so there is one shape to trust.
 */
import type { KinesisStreamRecord } from 'aws-lambda';

/** Where a record comes from: the fields shared by every record of a mapping. */
export interface EventSourceInfo {
  /** `arn:aws:kinesis:<region>:<account>:stream/<name>` */
  streamArn: string;
  /** e.g. `us-east-1` */
  awsRegion: string;
  /** The role Lambda invokes the function with. @default derived from the stream ARN's account */
  invokeIdentityArn?: string;
}

/** One Kinesis record, as read from a shard. */
export interface ShardRecord {
  shardId: string;
  sequenceNumber: string;
  partitionKey: string;
  /** Raw bytes (a string is taken as UTF-8). */
  data: Uint8Array | string;
  /** Milliseconds since the epoch. */
  approximateArrivalTimestamp: number;
}

/** The role ARN local invocations claim, in the stream's account. */
export function defaultInvokeIdentityArn(streamArn: string): string {
  const account = streamArn.split(':')[4] || '000000000000';
  return `arn:aws:iam::${account}:role/dstream-local-poller`;
}

/**
 * A `KinesisStreamRecord` as Lambda delivers it.
 *
 * @example
 * const record = toKinesisStreamRecord(
 *   { shardId: 'shardId-000000000000', sequenceNumber: '4959...', partitionKey: 'k', data: 'hello',
 *     approximateArrivalTimestamp: Date.now() },
 *   { streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/lines', awsRegion: 'us-east-1' });
 */
export function toKinesisStreamRecord(record: ShardRecord, source: EventSourceInfo): KinesisStreamRecord {
  const bytes = typeof record.data === 'string' ? Buffer.from(record.data, 'utf8') : Buffer.from(record.data);
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.partitionKey,
      sequenceNumber: record.sequenceNumber,
      data: bytes.toString('base64'),
      approximateArrivalTimestamp: record.approximateArrivalTimestamp / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${record.shardId}:${record.sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: source.invokeIdentityArn ?? defaultInvokeIdentityArn(source.streamArn),
    awsRegion: source.awsRegion,
    eventSourceARN: source.streamArn,
  };
}

/**
 * Bytes a record adds to the invocation payload (JSON of the record above), so that batches stay
 * under Lambda's 6 MB synchronous payload limit. An upper estimate: base64 data plus the fixed
 * fields, plus the partition key and ARNs.
 */
export function estimatedEventBytes(
  dataBytes: number,
  partitionKey: string,
  source: EventSourceInfo,
): number {
  const fixed = 400 + 2 * source.streamArn.length + (source.invokeIdentityArn?.length ?? 80);
  return fixed + Math.ceil(dataBytes / 3) * 4 + Buffer.byteLength(JSON.stringify(partitionKey));
}

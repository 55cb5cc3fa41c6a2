/**
 * Kinesis event factories for tests (STYLE: events come from one factory, never hand-written
 * JSON). Records are built by the same function the local poller uses, so they base64-encode and
 * carry sequence numbers, shard ids, event ids and arrival timestamps (seconds) like the service.
 *
 * @example
 * const event = makeKinesisEvent(['a b', 'b c']);
 * const event2 = makeKinesisEvent([{ data: 'x', arrivalMs: 1_500 }], { shardId: shardIdOf(1) });
 */
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { toKinesisStreamRecord } from '../../lib/local/kinesis-record';

/** A realistic 56-digit sequence number; record i of a factory event gets `FIRST_SEQUENCE + i`. */
export const FIRST_SEQUENCE = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;

/** Arrival time (ms) of the first record when none is given: 2023-11-14T22:13:20Z. */
export const FIRST_ARRIVAL_MS = 1_700_000_000_000;

/** One record's fields; only `data` is required. */
export interface TestRecord {
  /** A string is sent as UTF-8. */
  data: string | Uint8Array;
  /** @default `pk-<i>` */
  partitionKey?: string;
  /** @default FIRST_SEQUENCE (or the event's `firstSequence`) + i */
  sequenceNumber?: string;
  /** @default the event's shard */
  shardId?: string;
  /** Arrival time in ms since the epoch. @default the event's `arrivalMs` + i * `arrivalStepMs` */
  arrivalMs?: number;
}

/** Defaults for every record of an event. */
export interface KinesisEventOptions {
  /** @default shardIdOf(0) */
  shardId?: string;
  /** @default 'test-stream' */
  streamName?: string;
  /** @default `arn:aws:kinesis:<region>:000000000000:stream/<streamName>` */
  streamArn?: string;
  /** @default 'us-east-1' */
  region?: string;
  /** Sequence number of the first record. @default FIRST_SEQUENCE */
  firstSequence?: bigint | string;
  /** Arrival time (ms) of the first record. @default FIRST_ARRIVAL_MS */
  arrivalMs?: number;
  /** Milliseconds between arrivals of consecutive records. @default 1 */
  arrivalStepMs?: number;
}

/** `shardId-000000000003` for 3. */
export function shardIdOf(index: number): string {
  return `shardId-${String(index).padStart(12, '0')}`;
}

/** The sequence number of record `i` of an event starting at `first`. */
export function sequenceNumberOf(i: number, first: bigint | string = FIRST_SEQUENCE): string {
  return (BigInt(first) + BigInt(i)).toString();
}

/** One `KinesisStreamRecord`, as record `i` of an event with `opts`. */
export function makeKinesisRecord(
  input: string | Uint8Array | TestRecord,
  i = 0,
  opts: KinesisEventOptions = {},
): KinesisStreamRecord {
  const record: TestRecord =
    typeof input === 'string' || input instanceof Uint8Array ? { data: input } : input;
  const region = opts.region ?? 'us-east-1';
  const streamArn =
    opts.streamArn ?? `arn:aws:kinesis:${region}:000000000000:stream/${opts.streamName ?? 'test-stream'}`;
  return toKinesisStreamRecord(
    {
      shardId: record.shardId ?? opts.shardId ?? shardIdOf(0),
      sequenceNumber: record.sequenceNumber ?? sequenceNumberOf(i, opts.firstSequence),
      partitionKey: record.partitionKey ?? `pk-${i}`,
      data: record.data,
      approximateArrivalTimestamp:
        record.arrivalMs ?? (opts.arrivalMs ?? FIRST_ARRIVAL_MS) + i * (opts.arrivalStepMs ?? 1),
    },
    { streamArn, awsRegion: region },
  );
}

/** A `KinesisStreamEvent` of one record per input, in order. */
export function makeKinesisEvent(
  records: ReadonlyArray<string | Uint8Array | TestRecord>,
  opts: KinesisEventOptions = {},
): KinesisStreamEvent {
  return { Records: records.map((r, i) => makeKinesisRecord(r, i, opts)) };
}

/** The UTF-8 text of a record's data (base64-decoded). */
export function recordText(record: KinesisStreamRecord): string {
  return Buffer.from(record.kinesis.data, 'base64').toString('utf8');
}

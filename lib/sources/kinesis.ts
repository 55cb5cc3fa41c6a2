import { isUtf8 } from 'node:buffer';
import { StreamingContext } from '../dstream/context';
import { RDD } from '../dstream/rdd';
import { batchTimeOf } from '../plan/time';
import { InputDStream } from './input-dstream';

/**
 * One Kinesis record as the engines see it, independent of the Lambda event shape: the raw bytes,
 * the shard, the sequence number (a decimal string: compare with BigInt) and the arrival time. A
 * KPL-aggregated record reaches the engines as its user records (lib/sources/kpl.ts): each has the
 * aggregate's shard, sequence number and arrival time, and its own `subSequenceNumber`.
 */
export interface KinesisInputRecord {
  shardId: string;
  /** The stream's ARN (Lambda's `eventSourceARN`): records of two streams never share a checkpoint. */
  streamArn?: string;
  sequenceNumber: string;
  /**
   * The index of this user record in its KPL aggregate (0..n-1); absent on a plain record. A
   * position is (sequenceNumber, subSequenceNumber).
   */
  subSequenceNumber?: number;
  partitionKey?: string;
  /** Kinesis's ApproximateArrivalTimestamp, in epoch milliseconds. */
  arrivalMs: number;
  data: Uint8Array;
  /**
   * Set on a record that claims to be a KPL aggregate but is corrupt (bad MD5, truncated or
   * invalid protobuf): what is wrong. Every source refuses it with a RecordDecodeError.
   */
  decodeError?: string;
}

/** A record that cannot be decoded: counted, logged with shard and sequence number, skipped. */
export class RecordDecodeError extends Error {
  constructor(
    readonly shardId: string,
    readonly sequenceNumber: string,
    reason: string,
    /** The user record's index in its KPL aggregate, if it came from one. */
    readonly subSequenceNumber?: number,
  ) {
    const sub = subSequenceNumber === undefined ? '' : ` (user record ${subSequenceNumber})`;
    super(`cannot decode record ${sequenceNumber}${sub} of ${shardId}: ${reason}`);
    this.name = 'RecordDecodeError';
  }
}

/** The RecordDecodeError of `record` for `reason`. */
function decodeErrorOf(record: KinesisInputRecord, reason: string): RecordDecodeError {
  return new RecordDecodeError(record.shardId, record.sequenceNumber, reason, record.subSequenceNumber);
}

/** Lines longer than this many UTF-8 bytes are a decode error (Kinesis records are at most 1 MiB, 10 MiB if raised). */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

/**
 * The UTF-8 lines of a record (one record may carry several `\n`-separated lines; a final newline
 * does not add an empty line; `\r\n` is accepted). Throws RecordDecodeError on invalid UTF-8 or an
 * oversize line. An empty record has no line.
 */
export function decodeLines(record: KinesisInputRecord, maxLineBytes = DEFAULT_MAX_LINE_BYTES): string[] {
  if (record.data.length === 0) return [];
  const bytes = Buffer.isBuffer(record.data)
    ? record.data
    : Buffer.from(record.data.buffer, record.data.byteOffset, record.data.byteLength);
  if (!isUtf8(bytes)) throw decodeErrorOf(record, 'invalid UTF-8');
  const text = bytes.toString('utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    let l = lines[i];
    // The '\r' of a CRLF is part of the line ending, not of the line (it must not count toward the limit).
    if (l.endsWith('\r')) lines[i] = l = l.slice(0, -1);
    if (l.length > maxLineBytes / 4 && Buffer.byteLength(l, 'utf8') > maxLineBytes) {
      throw decodeErrorOf(
        record,
        `line ${i + 1} is longer than ${maxLineBytes} bytes (raise maxLineBytes in the pipeline options if intended)`,
      );
    }
  }
  return lines;
}

/**
 * The stream of a pipeline's Kinesis records, decoded by `decode` (one record to zero or more
 * elements). Engines feed it: the in-memory engine by arrival time (`addRecords`), the serverless
 * engine through its map phase. Records are user records (KPL aggregates de-aggregated first); a
 * record marked with `decodeError` (a corrupt aggregate) is refused with a RecordDecodeError.
 */
export class KinesisInputDStream<T> extends InputDStream<T> {
  private readonly pending = new Map<number, T[]>();
  /** Records that could not be decoded (in-memory engine), with their errors. */
  readonly decodeErrors: RecordDecodeError[] = [];
  /** One record to its elements; throws RecordDecodeError when it cannot be decoded. */
  readonly decode: (record: KinesisInputRecord) => T[];

  constructor(ssc: StreamingContext, decode: (record: KinesisInputRecord) => T[]) {
    super(ssc);
    this.decode = (record) => {
      if (record.decodeError !== undefined) throw decodeErrorOf(record, record.decodeError);
      return decode(record);
    };
  }

  /**
   * In-memory engine: adds records to the batch of their arrival time (the first
   * multiple of the batch interval strictly after the arrival). Undecodable records are counted
   * in `decodeErrors` and skipped.
   */
  addRecords(records: Iterable<KinesisInputRecord>): void {
    for (const r of records) {
      let items: T[];
      try {
        items = this.decode(r);
      } catch (e) {
        if (e instanceof RecordDecodeError) {
          this.decodeErrors.push(e);
          continue;
        }
        throw e;
      }
      const t = batchTimeOf(r.arrivalMs, this.ssc.batchIntervalMs);
      const list = this.pending.get(t);
      if (list) list.push(...items);
      else this.pending.set(t, items.slice());
    }
  }

  protected compute(time: number): RDD<T> {
    const items = this.pending.get(time) ?? [];
    this.pending.delete(time);
    return RDD.of(items);
  }
}

declare module '../dstream/context' {
  interface StreamingContext {
    /**
     * The pipeline's Kinesis stream as UTF-8 lines (a record may carry several `\n`-separated
     * lines). Records belong to the batch after their arrival time.
     * @example const lines = ssc.kinesisTextStream();
     */
    kinesisTextStream(options?: { maxLineBytes?: number }): KinesisInputDStream<string>;
    /**
     * The pipeline's Kinesis stream decoded by `decode(bytes, record)`, one element per record
     * (e.g. JSON). A decode function that throws marks the record undecodable: counted, skipped.
     * @example ssc.kinesisStream((bytes) => JSON.parse(Buffer.from(bytes).toString('utf8')))
     */
    kinesisStream<T>(decode: (data: Uint8Array, record: KinesisInputRecord) => T): KinesisInputDStream<T>;
  }
}

StreamingContext.prototype.kinesisTextStream = function (
  this: StreamingContext,
  options?: { maxLineBytes?: number },
): KinesisInputDStream<string> {
  const max = options?.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  return new KinesisInputDStream(this, (r) => decodeLines(r, max));
};

StreamingContext.prototype.kinesisStream = function <T>(
  this: StreamingContext,
  decode: (data: Uint8Array, record: KinesisInputRecord) => T,
): KinesisInputDStream<T> {
  if (typeof decode !== 'function')
    throw new TypeError('kinesisStream(decode) needs a function (bytes, record) => element.');
  return new KinesisInputDStream(this, (r) => {
    try {
      return [decode(r.data, r)];
    } catch (e) {
      throw decodeErrorOf(r, (e as Error).message);
    }
  });
};

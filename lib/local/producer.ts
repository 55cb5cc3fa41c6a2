/**
 * The `nc -lk` of the serverless world: sends lines to a Kinesis stream, one record per line, or
 * (with `aggregate`) many lines per record in the KPL's aggregation format, as high-volume
 * producers do.
 *
 * Lines go out in PutRecords calls of at most 500 records and 5 MiB (partition keys included),
 * one call at a time, so records of one partition key keep their order except around retries.
 * Only the entries a call reports as failed (e.g. ProvisionedThroughputExceededException) are
 * sent again, with exponential backoff and jitter, a bounded number of times.
 */
import { createHash, randomUUID } from 'crypto';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { PutRecordsCommandOutput, PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { aggregate, AGGREGATE_OVERHEAD_BYTES, maxAggregatedBytes } from '../sources/kpl';
import type { UserRecord } from '../sources/kpl';
import { backoffDelay, sleep } from '../util/backoff';
import { ProducerError, RecordTooLargeError } from './errors';

/** Kinesis limits for PutRecords (data plus partition key, in bytes). */
export const PUT_RECORDS_LIMITS = Object.freeze({
  recordsPerCall: 500,
  bytesPerCall: 5 * 1024 * 1024,
  bytesPerRecord: 1024 * 1024,
});

/** The one method the producer needs; a `KinesisClient` has it, and so can a test stub. */
export interface PutRecordsClient {
  send(command: PutRecordsCommand): Promise<PutRecordsCommandOutput>;
}

/** Progress after each PutRecords call. */
export interface ProduceProgress extends ProduceResult {
  /** Lines read from the input so far (sent, or waiting in the next call). */
  lines: number;
}

/** The KPL's default `AggregationMaxSize`: bytes of user records per aggregated record. */
export const DEFAULT_AGGREGATE_MAX_BYTES = 51_200;

/** What {@link produce} did. */
export interface ProduceResult {
  /** Records delivered. */
  sent: number;
  /** With `aggregate`: lines delivered (inside the `sent` aggregated records). */
  linesSent?: number;
  /** PutRecords calls made, retries included. */
  calls: number;
  /** Records sent again after their entry failed (one per record per retry). */
  retries: number;
}

/** Options of {@link produce}. */
export interface ProduceOptions {
  client: PutRecordsClient;
  streamName: string;
  /**
   * `random`: a random key per record, spreading records over all shards. `line`: the line itself
   * (its SHA-256 if it is empty or over 256 characters), so equal lines go to the same shard.
   * @default 'random'
   */
  partitionKey?: 'random' | 'line';
  /** Lines per second at most. @default unlimited */
  rate?: number;
  /**
   * Pack lines into KPL-aggregated records (magic number, protobuf, MD5: what the Kinesis Producer
   * Library and `aws-kinesis-agg` write), each with one random partition key; the pipeline's
   * handler de-aggregates them. Needs `partitionKey: 'random'`. @default false
   */
  aggregate?: boolean;
  /** With `aggregate`: bytes of lines per aggregated record at most. @default {@link DEFAULT_AGGREGATE_MAX_BYTES} */
  aggregateMaxBytes?: number;
  /** Called after every PutRecords call. */
  onProgress?: (progress: ProduceProgress) => void;
  /** Sends of one record before giving up, the first included. @default 8 */
  maxAttempts?: number;
  /** Backoff of the first retry (the ceiling of its random delay), doubling after. @default 100 */
  baseDelayMs?: number;
  /** Longest backoff. @default 5000 */
  maxDelayMs?: number;
  /**
   * How long to wait for more lines of an async input before sending what is buffered, so that
   * lines typed on a terminal go out at once while files are still sent 500 at a time.
   * @default 50
   */
  lingerMs?: number;
}

interface Pending {
  entry: PutRecordsRequestEntry;
  bytes: number;
  /** Lines the record holds (more than one when aggregated). */
  lines: number;
}

const LINGER = Symbol('linger');

/**
 * Sends every line as one record (UTF-8) and resolves when all are delivered.
 *
 * @throws {RecordTooLargeError} a line over 1 MiB (nothing of its call is sent)
 * @throws {ProducerError} records still failing after the retries, or a call rejected outright
 *
 * @example
 * const { sent } = await produce(readline.createInterface({ input: process.stdin }), {
 *   client: kinesisClient(), streamName: 'lines', partitionKey: 'random' });
 */
export async function produce(
  lines: AsyncIterable<string> | Iterable<string>,
  opts: ProduceOptions,
): Promise<ProduceResult> {
  validate(opts);
  const producer = new Producer(opts);
  await producer.consume(lines);
  return producer.result();
}

function validate(opts: ProduceOptions): void {
  const bad = (what: string) => new ProducerError(`produce: ${what}`, 0, 'InvalidOption', 0);
  if (!opts.streamName) throw bad('streamName is required (the Kinesis stream to send to).');
  if (opts.partitionKey !== undefined && opts.partitionKey !== 'random' && opts.partitionKey !== 'line') {
    throw bad(`partitionKey must be 'random' or 'line', got '${String(opts.partitionKey)}'.`);
  }
  if (opts.rate !== undefined && !(opts.rate > 0 && Number.isFinite(opts.rate))) {
    throw bad(`rate must be a positive number of lines per second, got ${opts.rate}.`);
  }
  if (opts.maxAttempts !== undefined && !(Number.isInteger(opts.maxAttempts) && opts.maxAttempts >= 1)) {
    throw bad(`maxAttempts must be an integer of at least 1, got ${opts.maxAttempts}.`);
  }
  if (opts.aggregate && opts.partitionKey === 'line') {
    throw bad(
      "aggregate puts many lines in one record, which goes to one shard: equal lines could not stay on one shard. Use partitionKey 'random' with aggregate.",
    );
  }
  const max = opts.aggregateMaxBytes;
  if (max !== undefined && !(Number.isInteger(max) && max > 0 && max <= PUT_RECORDS_LIMITS.bytesPerRecord)) {
    throw bad(
      `aggregateMaxBytes must be an integer from 1 to ${PUT_RECORDS_LIMITS.bytesPerRecord}, got ${max}.`,
    );
  }
}

/** The key of a line for `partitionKey: 'line'`: Kinesis keys are 1 to 256 characters. */
function lineKey(line: string): string {
  if (line.length >= 1 && line.length <= 256) return line;
  return createHash('sha256').update(line).digest('hex');
}

class Producer {
  private sent = 0;
  private linesSent = 0;
  /** Lines waiting to be sealed into the next aggregated record, with their bytes at most. */
  private aggregated: { key: string; records: UserRecord[]; bytes: number } | undefined;
  private calls = 0;
  private retries = 0;
  private lines = 0;
  private batch: Pending[] = [];
  private batchBytes = 0;
  private scheduled = 0;
  private startedAt = 0;
  private readonly recordsPerCall: number;

  constructor(private readonly opts: ProduceOptions) {
    // Under a rate limit, smaller calls (about ten a second) keep the flow smooth.
    this.recordsPerCall =
      opts.rate === undefined
        ? PUT_RECORDS_LIMITS.recordsPerCall
        : Math.max(1, Math.min(PUT_RECORDS_LIMITS.recordsPerCall, Math.ceil(opts.rate / 10)));
  }

  result(): ProduceResult {
    return {
      sent: this.sent,
      ...(this.opts.aggregate ? { linesSent: this.linesSent } : {}),
      calls: this.calls,
      retries: this.retries,
    };
  }

  private hasPending(): boolean {
    return this.batch.length > 0 || this.aggregated !== undefined;
  }

  async consume(lines: AsyncIterable<string> | Iterable<string>): Promise<void> {
    if (Symbol.asyncIterator in lines) await this.consumeAsync(lines[Symbol.asyncIterator]());
    else for (const line of lines) await this.add(line);
    await this.flush();
  }

  private async consumeAsync(it: AsyncIterator<string>): Promise<void> {
    let next: Promise<IteratorResult<string>> | undefined;
    let finished = false;
    try {
      for (;;) {
        next ??= it.next();
        const result = this.hasPending() ? await raceTimeout(next, this.opts.lingerMs ?? 50) : await next;
        if (result === LINGER) {
          await this.flush();
          continue;
        }
        next = undefined;
        if (result.done) {
          finished = true;
          return;
        }
        await this.add(result.value);
      }
    } finally {
      if (!finished) {
        next?.catch(() => undefined);
        void Promise.resolve(it.return?.()).catch(() => undefined);
      }
    }
  }

  private async add(line: string): Promise<void> {
    this.lines += 1;
    const data = Buffer.from(line, 'utf8');
    if (this.opts.aggregate) return this.addToAggregate(data);
    const key = this.opts.partitionKey === 'line' ? lineKey(line) : randomUUID();
    const bytes = data.length + Buffer.byteLength(key, 'utf8');
    if (bytes > PUT_RECORDS_LIMITS.bytesPerRecord) {
      throw new RecordTooLargeError(this.lines, bytes, PUT_RECORDS_LIMITS.bytesPerRecord, this.sent);
    }
    await this.enqueue({ entry: { Data: data, PartitionKey: key }, bytes, lines: 1 });
  }

  /** Adds a line to the aggregate being built; seals it first if the line would not fit. */
  private async addToAggregate(data: Buffer): Promise<void> {
    const key = this.aggregated?.key ?? randomUUID();
    const record = { partitionKey: key, data };
    const bytes = maxAggregatedBytes(record);
    const limit = PUT_RECORDS_LIMITS.bytesPerRecord - AGGREGATE_OVERHEAD_BYTES - Buffer.byteLength(key);
    if (bytes > limit) {
      throw new RecordTooLargeError(
        this.lines,
        bytes + AGGREGATE_OVERHEAD_BYTES,
        PUT_RECORDS_LIMITS.bytesPerRecord,
        this.sent,
      );
    }
    const max = Math.min(limit, this.opts.aggregateMaxBytes ?? DEFAULT_AGGREGATE_MAX_BYTES);
    if (this.aggregated && this.aggregated.bytes + bytes > max) await this.sealAggregate();
    this.aggregated ??= { key: randomUUID(), records: [], bytes: 0 };
    this.aggregated.records.push({ partitionKey: this.aggregated.key, data });
    this.aggregated.bytes += bytes;
  }

  /** Turns the lines gathered so far into one aggregated record in the next call. */
  private async sealAggregate(): Promise<void> {
    const pending = this.aggregated;
    if (!pending) return;
    this.aggregated = undefined;
    const data = aggregate(pending.records);
    await this.enqueue({
      entry: { Data: data, PartitionKey: pending.key },
      bytes: data.length + Buffer.byteLength(pending.key),
      lines: pending.records.length,
    });
  }

  /** Adds a record to the next call, sending the call first if the record would not fit in it. */
  private async enqueue(record: Pending): Promise<void> {
    if (
      this.batch.length >= this.recordsPerCall ||
      this.batchBytes + record.bytes > PUT_RECORDS_LIMITS.bytesPerCall
    ) {
      await this.send();
    }
    this.batch.push(record);
    this.batchBytes += record.bytes;
  }

  /** Sends every line read so far (an aggregate being built included). */
  private async flush(): Promise<void> {
    await this.sealAggregate();
    await this.send();
  }

  private async send(): Promise<void> {
    if (this.batch.length === 0) return;
    const records = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    await this.pace(records.reduce((n, r) => n + r.lines, 0));
    await this.deliver(records);
    this.opts.onProgress?.({ ...this.result(), lines: this.lines });
  }

  /** Under a rate limit, waits until the first line of this call is due. */
  private async pace(count: number): Promise<void> {
    if (this.opts.rate === undefined) return;
    if (this.scheduled === 0) this.startedAt = Date.now();
    const due = this.startedAt + (this.scheduled * 1000) / this.opts.rate;
    this.scheduled += count;
    await sleep(due - Date.now());
  }

  /** One call, then calls with only the failed entries, until all are in or attempts run out. */
  private async deliver(records: Pending[]): Promise<void> {
    const maxAttempts = this.opts.maxAttempts ?? 8;
    let pending = records;
    for (let attempt = 1; ; attempt += 1) {
      const output = await this.put(pending);
      const failed: Pending[] = [];
      let lastCode = '';
      let lastMessage = '';
      pending.forEach((record, i) => {
        const entry = output.Records?.[i];
        if (entry === undefined || entry.ErrorCode) {
          failed.push(record);
          lastCode = entry?.ErrorCode ?? 'MissingResultEntry';
          lastMessage = entry?.ErrorMessage ?? 'PutRecords returned fewer result entries than records sent';
        }
      });
      this.sent += pending.length - failed.length;
      this.linesSent += pending.reduce((n, r) => n + r.lines, 0) - failed.reduce((n, r) => n + r.lines, 0);
      if (failed.length === 0) return;
      if (attempt >= maxAttempts) throw this.exhausted(failed.length, attempt, lastCode, lastMessage);
      this.retries += failed.length;
      await sleep(backoffDelay(attempt, this.opts.baseDelayMs ?? 100, this.opts.maxDelayMs ?? 5000));
      pending = failed;
    }
  }

  private async put(records: Pending[]): Promise<PutRecordsCommandOutput> {
    this.calls += 1;
    try {
      return await this.opts.client.send(
        new PutRecordsCommand({ StreamName: this.opts.streamName, Records: records.map((r) => r.entry) }),
      );
    } catch (err) {
      throw this.rejected(err, records.length);
    }
  }

  private exhausted(failed: number, attempts: number, code: string, message: string): ProducerError {
    const hint = code.startsWith('ProvisionedThroughputExceeded')
      ? 'The stream is throttling: lower --rate, add shards, or send again later.'
      : code.startsWith('KMS')
        ? "Check the stream's KMS key and this identity's permission to use it."
        : 'Send the remaining lines again later.';
    return new ProducerError(
      `${failed} records could not be delivered to stream '${this.opts.streamName}' after ${attempts} attempts ` +
        `(last error ${code}: ${message}); ${this.sent} records were delivered. ${hint}`,
      failed,
      code,
      this.sent,
    );
  }

  private rejected(err: unknown, count: number): ProducerError {
    const code = (err as Error).name || 'Error';
    const message = (err as Error).message;
    const hint =
      code === 'ResourceNotFoundException'
        ? `Stream '${this.opts.streamName}' does not exist at this endpoint and region: create it first ` +
          `(e.g. aws kinesis create-stream --stream-name ${this.opts.streamName} --shard-count 1), ` +
          `or point --endpoint / --region at where it is.`
        : /credential/i.test(code + message)
          ? 'Set AWS credentials (AWS_ACCESS_KEY_ID / AWS_PROFILE), or --endpoint for an emulator.'
          : /ECONNREFUSED|ENOTFOUND|ETIMEDOUT/.test(message)
            ? 'Nothing answers at the endpoint: start the emulator or LocalStack, or fix --endpoint.'
            : 'Check the stream name, endpoint, region and credentials.';
    return new ProducerError(
      `PutRecords to stream '${this.opts.streamName}' failed for all ${count} records of the call ` +
        `(${code}: ${message}); ${this.sent} records were delivered before. ${hint}`,
      count,
      code,
      this.sent,
      { cause: err },
    );
  }
}

/** The next item of an iterator, or LINGER if it takes longer than `ms` (the timer is cleared). */
function raceTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof LINGER> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof LINGER>((resolve) => {
    timer = setTimeout(() => resolve(LINGER), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

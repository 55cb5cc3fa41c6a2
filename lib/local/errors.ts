/**
 * Typed errors of the local tools (emulators, producer, poller). Each message says what went
 * wrong, with the values, and what to do about it.
 */

/** An embedded emulator could not start, or a resource on it could not be prepared. */
export class EmulatorError extends Error {
  override readonly name = 'EmulatorError';
}

/**
 * The producer could not deliver every record: some entries still failed after the bounded
 * retries, or a whole PutRecords call was rejected (missing stream, bad credentials...).
 */
export class ProducerError extends Error {
  override readonly name = 'ProducerError';

  constructor(
    message: string,
    /** Records that were not delivered (of the call that failed, or left after retries). */
    readonly failedCount: number,
    /** The last error code seen (per-entry `ErrorCode`, or the SDK error's name). */
    readonly lastErrorCode: string,
    /** Records delivered before giving up. */
    readonly sent: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A line is larger than one Kinesis record can hold (1 MiB of data plus partition key). */
export class RecordTooLargeError extends Error {
  override readonly name = 'RecordTooLargeError';

  constructor(
    /** 1-based number of the offending line in the input. */
    readonly lineNumber: number,
    /** Bytes of data plus partition key (UTF-8). */
    readonly bytes: number,
    /** The limit in bytes. */
    readonly limit: number,
    /** Records delivered before the error (earlier calls only: nothing of this call was sent). */
    readonly sent: number,
  ) {
    super(
      `Line ${lineNumber} is ${bytes} bytes (data plus partition key), over the Kinesis record limit of ` +
        `${limit} bytes. Nothing of its PutRecords call was sent: ` +
        `${sent === 0 ? 'no line was delivered' : `lines 1 to ${sent} were delivered`}, ` +
        `lines ${sent + 1} to ${lineNumber} were not. Split or shorten line ${lineNumber}, then send again from line ${sent + 1}.`,
    );
  }
}

/** Invalid poller options, or the poller was used out of order (e.g. runUntilIdle before start). */
export class PollerConfigError extends Error {
  override readonly name = 'PollerConfigError';
}

/** The poller met an error it cannot retry (stream deleted, on-failure destination failing...). */
export class PollerError extends Error {
  override readonly name = 'PollerError';
}

/** `runUntilIdle` did not see every shard idle in time. */
export class PollerTimeoutError extends Error {
  override readonly name = 'PollerTimeoutError';
}

/** The Streaming UI could not start: every port tried was taken, or the client could not be built. */
export class UiServerError extends Error {
  override readonly name = 'UiServerError';
}

/**
 * Errors of the DStream library that user code can meet while batches run. Each says which stream
 * and batch time, and what to do.
 */

/**
 * An operator that needs a batch from every parent (union, transform, transformWith,
 * `ssc.transform`) found a parent with no RDD at that time (Spark's "Could not generate RDD from a
 * parent"): for example a queueStream given `null` for that batch.
 */
export class MissingBatchError extends Error {
  constructor(
    readonly operator: string,
    readonly stream: string,
    readonly time: number,
  ) {
    super(
      `${operator}: stream ${stream} has no batch at ${time} ms; every parent must produce each batch ` +
        `(give the source an empty batch instead of none, e.g. [] rather than null in queueStream).`,
    );
    this.name = 'MissingBatchError';
  }
}

/**
 * An input stream was asked for a batch before the one being run that it no longer has: computing
 * it again would take the data of another batch (a queue, a socket, files are consumed). Raised by
 * `stream.slice()` over times older than the stream remembers.
 */
export class ForgottenBatchError extends Error {
  constructor(
    readonly stream: string,
    readonly time: number,
    readonly rememberMs: number,
  ) {
    super(
      `${stream} has no stored batch at ${time} ms (it keeps ${rememberMs / 1000} s of batches, and a batch ` +
        `whose computation failed is not kept); an input stream computes only the batch being run. To ` +
        `slice older batches, call ssc.remember(seconds) before ssc.start() to keep batches longer.`,
    );
    this.name = 'ForgottenBatchError';
  }
}

/** A stream was used at a batch time before `ssc.start()` fixed its zero time (Spark: "has not been initialized"). */
export class NotInitializedError extends Error {
  constructor(readonly stream: string) {
    super(`${stream} has not been initialized: call ssc.start() first.`);
    this.name = 'NotInitializedError';
  }
}

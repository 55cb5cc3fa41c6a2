import { StreamingContext } from '../dstream/context';
import { RDD } from '../dstream/rdd';
import { InputDStream } from './input-dstream';

declare module '../dstream/context' {
  interface StreamingContext {
    /**
     * An input stream from in-memory batches (tests, demos), as Spark's queueStream: with
     * `oneAtATime` (default) each batch takes the next inner array; otherwise the first batch takes
     * them all. One at a time, a `null` entry gives that batch no RDD at all (Spark's `None`, as its
     * test input streams produce): operators that need every parent's batch (union, transform) fail
     * that batch, stateful ones update their keys with no values. Once the queue is empty, batches
     * get `defaultBatch`, or an empty batch. Arrays pushed to `batches` after start are picked up.
     * @example ssc.queueStream([['a b'], ['c']])
     */
    queueStream<T>(batches: (T[] | null)[], oneAtATime?: boolean, defaultBatch?: T[]): QueueInputDStream<T>;
  }
}

/** Spark's QueueInputDStream. */
export class QueueInputDStream<T> extends InputDStream<T> {
  constructor(
    ssc: StreamingContext,
    readonly queue: (T[] | null)[],
    readonly oneAtATime: boolean,
    readonly defaultBatch: T[] | undefined,
  ) {
    super(ssc);
  }

  protected compute(_time: number): RDD<T> | undefined {
    if (this.queue.length === 0) return RDD.of(this.defaultBatch ? this.defaultBatch.slice() : []);
    if (this.oneAtATime) {
      const batch = this.queue.shift();
      return batch ? RDD.of(batch.slice()) : undefined;
    }
    const all: T[] = [];
    for (const b of this.queue.splice(0)) if (b) all.push(...b);
    return RDD.of(all);
  }
}

StreamingContext.prototype.queueStream = function <T>(
  this: StreamingContext,
  batches: (T[] | null)[],
  oneAtATime = true,
  defaultBatch?: T[],
): QueueInputDStream<T> {
  if (!Array.isArray(batches) || !batches.every((b) => b === null || Array.isArray(b))) {
    throw new TypeError(
      'queueStream(batches) takes an array of batches, each an array (or null for a batch with no RDD): e.g. [["a"], ["b", "c"]].',
    );
  }
  return new QueueInputDStream(this, batches, oneAtATime, defaultBatch);
};

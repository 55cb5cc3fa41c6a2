import { StreamingContext } from '../dstream/context';
import type { DStream } from '../dstream/dstream';
import { UnionDStream } from '../dstream/union';

declare module '../dstream/context' {
  interface StreamingContext {
    /**
     * The union of several streams of the same type and slide, as Spark's `ssc.union`.
     * @example ssc.union(s1, s2, s3)
     */
    union<T>(...streams: DStream<T>[]): DStream<T>;
  }
}

StreamingContext.prototype.union = function <T>(
  this: StreamingContext,
  ...streams: DStream<T>[]
): DStream<T> {
  if (streams.length === 1 && Array.isArray(streams[0])) streams = streams[0] as unknown as DStream<T>[];
  return new UnionDStream(streams);
};

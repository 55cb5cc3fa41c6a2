import { DStream } from './dstream';
import { ForEachDStream } from './foreach-rdd';
import { emitMetric } from '../sinks/cloudwatch';

/** Options of toCloudWatch. */
export interface ToCloudWatchOptions {
  /** Extra dimensions of every datapoint (the pipeline name is a good one). */
  dimensions?: Record<string, string>;
}

declare module './dstream' {
  interface DStream<T> {
    /**
     * An output operation sending one CloudWatch metric datapoint per batch, timestamped with the
     * batch time (EMF through Powertools Metrics): the sum of `valueOf(x)` over the batch's elements
     * (default: the element itself when it is a number, else 1, i.e. a count).
     * @example words.count().toCloudWatch('WordCount', 'Words')
     */
    toCloudWatch(
      namespace: string,
      metricName: string,
      valueOf?: (x: T) => number,
      options?: ToCloudWatchOptions,
    ): void;
  }
}

DStream.prototype.toCloudWatch = function <T>(
  this: DStream<T>,
  namespace: string,
  metricName: string,
  valueOf?: (x: T) => number,
  options?: ToCloudWatchOptions,
): void {
  if (!namespace || !metricName)
    throw new Error('toCloudWatch(namespace, metricName, valueOf?) needs a namespace and a metric name.');
  const value = valueOf ?? ((x: T) => (typeof x === 'number' ? x : 1));
  new ForEachDStream(
    this,
    (rdd, time) => {
      let sum = 0;
      rdd.foreach((x) => (sum += value(x)));
      emitMetric({
        namespace,
        metricName,
        value: sum,
        timestamp: time,
        dimensions: options?.dimensions ?? {},
      });
    },
    'toCloudWatch',
  );
};

import type * as PowertoolsMetrics from '@aws-lambda-powertools/metrics';

/** One datapoint of a user metric, at a batch time. */
export interface MetricDatapoint {
  namespace: string;
  metricName: string;
  value: number;
  /** The batch time, epoch ms (the datapoint's timestamp). */
  timestamp: number;
  dimensions: Record<string, string>;
}

export type MetricEmitter = (d: MetricDatapoint) => void;

/**
 * The default emitter: CloudWatch Embedded Metric Format through Powertools Metrics, timestamped
 * with the batch time, written to stdout (the function log, where CloudWatch picks it up).
 */
export const powertoolsEmitter: MetricEmitter = (d) => {
  // Loaded on first use: in-memory pipelines without CloudWatch outputs never load it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Metrics, MetricUnit } = require('@aws-lambda-powertools/metrics') as typeof PowertoolsMetrics;
  const m = new Metrics({
    namespace: d.namespace,
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'dstream',
  });
  for (const [k, v] of Object.entries(d.dimensions)) m.addDimension(k, v);
  m.setTimestamp(d.timestamp);
  m.addMetric(d.metricName, MetricUnit.Count, d.value);
  m.publishStoredMetrics();
};

let emitter: MetricEmitter = powertoolsEmitter;

/** Redirects user CloudWatch outputs (tests, the local runner). Returns the previous emitter. */
export function setMetricEmitter(e: MetricEmitter): MetricEmitter {
  const prev = emitter;
  emitter = e;
  return prev;
}

/** Emits one datapoint through the current emitter. */
export function emitMetric(d: MetricDatapoint): void {
  emitter(d);
}

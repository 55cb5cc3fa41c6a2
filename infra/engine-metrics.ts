import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { EngineMetricName } from '../lib/engine/serverless';

/** CloudWatch namespace of the engine's metrics (docs/CONTRACTS.md; `POWERTOOLS_METRICS_NAMESPACE`). */
export const ENGINE_NAMESPACE = 'DStream';

/** Dimension every engine metric carries, valued with the pipeline's name (docs/CONTRACTS.md). */
export const ENGINE_DIMENSION = 'Pipeline';

/**
 * Powertools Metrics adds a default dimension `service` (= POWERTOOLS_SERVICE_NAME, which the
 * construct sets to the pipeline's name), so the EMF the engine writes has the dimension set
 * [service, Pipeline]. A CloudWatch metric is identified by all its dimensions: queries name both.
 */
export const POWERTOOLS_SERVICE_DIMENSION = 'service';

/** The metrics the engine emits as EMF: the engine's own list, so the two cannot drift apart. */
export type { EngineMetricName };

/**
 * One of the engine's metrics for one pipeline, summed per minute unless `options` say otherwise.
 * @example engineMetric('network-wordcount', 'LateRecords') // DStream/LateRecords{service=..., Pipeline=network-wordcount}, Sum, 1 min
 */
export function engineMetric(
  pipelineName: string,
  metricName: EngineMetricName,
  options: cloudwatch.MetricOptions = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: ENGINE_NAMESPACE,
    metricName,
    dimensionsMap: { [POWERTOOLS_SERVICE_DIMENSION]: pipelineName, [ENGINE_DIMENSION]: pipelineName },
    statistic: 'Sum',
    period: Duration.minutes(1),
    ...options,
  });
}

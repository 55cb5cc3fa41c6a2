import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { EngineMetricName, EngineMetrics } from '../engine/serverless';

/**
 * Engine metrics as CloudWatch EMF through Powertools Metrics: namespace from
 * POWERTOOLS_METRICS_NAMESPACE (default `DStream`), dimension `Pipeline`. Call `flush()` at the end
 * of each invocation.
 */
export class PowertoolsEngineMetrics implements EngineMetrics {
  private readonly metrics: Metrics;

  constructor(pipeline: string) {
    this.metrics = new Metrics({
      namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'DStream',
      serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? pipeline,
    });
    this.metrics.addDimension('Pipeline', pipeline);
  }

  count(name: EngineMetricName, value: number): void {
    this.metrics.addMetric(name, name.endsWith('Ms') ? MetricUnit.Milliseconds : MetricUnit.Count, value);
  }

  flush(): void {
    this.metrics.publishStoredMetrics();
  }
}

/** Engine metrics kept in memory (tests, the local runner's status line). */
export class InMemoryEngineMetrics implements EngineMetrics {
  readonly totals: Partial<Record<EngineMetricName, number>> = {};
  count(name: EngineMetricName, value: number): void {
    this.totals[name] = (this.totals[name] ?? 0) + value;
  }
  flush(): void {}
}

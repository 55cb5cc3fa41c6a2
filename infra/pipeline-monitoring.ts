import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { engineMetric, POWERTOOLS_SERVICE_DIMENSION } from './engine-metrics';

/**
 * A metric the pipeline itself writes to CloudWatch (`toCloudWatch(namespace, metricName, ...)`),
 * shown on the dashboard.
 * @example { namespace: 'WordCount', metricName: 'Words' } // for words.count().toCloudWatch('WordCount', 'Words')
 */
export interface UserMetric {
  /** CloudWatch namespace of the metric. */
  readonly namespace: string;
  /** Name of the metric. */
  readonly metricName: string;
  /**
   * Dimensions the pipeline gives (`toCloudWatch`'s `options.dimensions`). The `service` dimension
   * that Powertools adds to every datapoint (the pipeline's name) is added here unless given: a
   * CloudWatch metric is identified by all its dimensions.
   * @default - only `service`
   */
  readonly dimensionsMap?: Record<string, string>;
  /**
   * Statistic to graph.
   * @default 'Sum'
   */
  readonly statistic?: string;
  /**
   * Legend label.
   * @default - the metric name
   */
  readonly label?: string;
}

/** Props of {@link PipelineMonitoring}. */
export interface PipelineMonitoringProps {
  /** The pipeline's name: the `Pipeline` dimension of the engine metrics, and the dashboard's name suffix. */
  readonly pipelineName: string;
  /** The pipeline's input stream. */
  readonly stream: kinesis.IStream;
  /** The map-phase function (Kinesis event source). */
  readonly handler: lambda.IFunction;
  /** The scheduled batch closer. */
  readonly closer: lambda.IFunction;
  /** The state table. */
  readonly table: dynamodb.ITable;
  /** Log groups of the handler and the closer: the table of recent batches reads their `batch completed` lines. */
  readonly logGroups: logs.ILogGroup[];
  /**
   * Alarm when the handler's iterator age (its lag behind the stream) stays above this for 3 minutes.
   */
  readonly iteratorAgeAlarmThreshold: Duration;
  /**
   * Alarm when the oldest batch not yet closed is older than this (past its end) for 3 minutes:
   * the closer is falling behind or stuck.
   */
  readonly closerBehindAlarmThreshold: Duration;
  /**
   * E-mail address subscribed to the alarm topic.
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Metrics of the pipeline's own CloudWatch outputs, graphed on the dashboard.
   * @default - none
   */
  readonly userMetrics?: UserMetric[];
  /**
   * Removal policy of the alarm topic's KMS key.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

const MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);

/** The DynamoDB operations the state store sends (throttles and system errors are graphed per operation). */
export const STORE_OPERATIONS = ['GetItem', 'Query', 'PutItem', 'BatchWriteItem'] as const;

/** The message of the structured log line the handlers write per completed batch (lib/runtime/handlers.ts). */
export const BATCH_COMPLETED_MESSAGE = 'batch completed';

/**
 * The pipeline's CloudWatch dashboard and alarms, which notify an SNS topic encrypted with a KMS key.
 *
 * The dashboard's first row is Spark's Streaming tab: input rate per second, scheduling delay,
 * processing time and total delay per batch, batches waiting to close, and a table of the recent
 * batches (CloudWatch Logs Insights over the `batch completed` log lines). Then the pipeline's
 * records, lateness and errors; then an operator's view: Kinesis and DynamoDB throttles, DynamoDB
 * system errors, the closer's throttles, concurrency and dropped schedule events, failed deliveries
 * to the on-failure destination; DynamoDB capacity, the alarms, the pipeline's own metrics.
 *
 * Alarms: iterator age, function errors, failed records, decode errors, records lost to expiry
 * (LogGaps), Kinesis throttles,
 * DynamoDB throttles and system errors, and a closer falling behind (the oldest open batch).
 */
export class PipelineMonitoring extends Construct {
  /** The dashboard, named `DStream-<pipeline>`. */
  readonly dashboard: cloudwatch.Dashboard;
  /** SNS topic every alarm notifies (on ALARM and on OK). */
  readonly alarmTopic: sns.Topic;
  /** The handler's iterator age stays above the threshold: the pipeline falls behind the stream. */
  readonly iteratorAgeAlarm: cloudwatch.Alarm;
  /** The handler or the closer returned errors. */
  readonly errorsAlarm: cloudwatch.Alarm;
  /** The engine reported failed records (they are retried, then sent to the on-failure destination). */
  readonly failedRecordsAlarm: cloudwatch.Alarm;
  /** Records could not be decoded (invalid UTF-8, a corrupt KPL aggregate, a decode function that threw): skipped. */
  readonly decodeErrorsAlarm: cloudwatch.Alarm;
  /** Committed records expired before their batch closed (the closer was stopped past the retention): lost. */
  readonly logGapsAlarm: cloudwatch.Alarm;
  /** The stream throttled writes (producers) or reads (the event source) for 3 minutes. */
  readonly kinesisThrottlesAlarm: cloudwatch.Alarm;
  /** The state table throttled requests or returned system errors, for 3 minutes. */
  readonly dynamoDbAlarm: cloudwatch.Alarm;
  /** The oldest batch not yet closed is older than the threshold for 3 minutes: the closer falls behind. */
  readonly closerBehindAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    this.alarmTopic = this.createTopic(props);
    const errors = new cloudwatch.MathExpression({
      expression: 'FILL(handler, 0) + FILL(closer, 0)',
      usingMetrics: {
        handler: props.handler.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        closer: props.closer.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      },
      label: 'Function errors',
      period: Duration.minutes(5),
    });
    this.iteratorAgeAlarm = new cloudwatch.Alarm(this, 'IteratorAgeAlarm', {
      alarmDescription: `${props.pipelineName}: the handler lags the stream by more than ${props.iteratorAgeAlarmThreshold.toHumanString()}.`,
      metric: props.handler.metric('IteratorAge', { statistic: 'Maximum', period: MINUTE }),
      threshold: props.iteratorAgeAlarmThreshold.toMilliseconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.errorsAlarm = new cloudwatch.Alarm(this, 'ErrorsAlarm', {
      alarmDescription: `${props.pipelineName}: the handler or the closer failed.`,
      metric: errors,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.failedRecordsAlarm = new cloudwatch.Alarm(this, 'FailedRecordsAlarm', {
      alarmDescription: `${props.pipelineName}: records failed; after the retries they go to the on-failure destination.`,
      metric: engineMetric(props.pipelineName, 'FailedRecords', { period: FIVE_MINUTES }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.decodeErrorsAlarm = new cloudwatch.Alarm(this, 'DecodeErrorsAlarm', {
      alarmDescription: `${props.pipelineName}: records could not be decoded and were skipped (the handler's log names their shard and sequence number).`,
      metric: engineMetric(props.pipelineName, 'DecodeErrors', { period: FIVE_MINUTES }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.logGapsAlarm = new cloudwatch.Alarm(this, 'LogGapsAlarm', {
      alarmDescription: `${props.pipelineName}: records committed by the map phase expired before their batch closed and are lost (the closer's log names the shard and positions); batches must close within the pipeline's retention.`,
      metric: engineMetric(props.pipelineName, 'LogGaps', { period: FIVE_MINUTES }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.kinesisThrottlesAlarm = new cloudwatch.Alarm(this, 'KinesisThrottlesAlarm', {
      alarmDescription: `${props.pipelineName}: the stream throttled writes or reads for 3 minutes: add shards (or use on-demand mode), or slow the producers.`,
      metric: PipelineMonitoring.sumOf(this.kinesisThrottles(props), 'Kinesis throttles'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.dynamoDbAlarm = new cloudwatch.Alarm(this, 'DynamoDbAlarm', {
      alarmDescription: `${props.pipelineName}: the state table throttled requests or returned system errors for 3 minutes (the SDK retries them; the pipeline slows down).`,
      metric: PipelineMonitoring.sumOf(
        this.dynamoDbProblems(props),
        'DynamoDB throttled requests and system errors',
      ),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.closerBehindAlarm = new cloudwatch.Alarm(this, 'CloserBehindAlarm', {
      alarmDescription: `${props.pipelineName}: the oldest batch not yet closed ended more than ${props.closerBehindAlarmThreshold.toHumanString()} ago, for 3 minutes: the closer falls behind or a batch keeps failing (see the closer's log).`,
      metric: engineMetric(props.pipelineName, 'OldestOpenBatchAgeMs', {
        statistic: 'Maximum',
        period: MINUTE,
      }),
      threshold: props.closerBehindAlarmThreshold.toMilliseconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    for (const alarm of this.alarms()) {
      alarm.addAlarmAction(new SnsAction(this.alarmTopic));
      alarm.addOkAction(new SnsAction(this.alarmTopic));
    }
    this.dashboard = this.createDashboard(props);
  }

  /** Every alarm of the pipeline. */
  alarms(): cloudwatch.Alarm[] {
    return [
      this.iteratorAgeAlarm,
      this.errorsAlarm,
      this.failedRecordsAlarm,
      this.decodeErrorsAlarm,
      this.logGapsAlarm,
      this.kinesisThrottlesAlarm,
      this.dynamoDbAlarm,
      this.closerBehindAlarm,
    ];
  }

  private kinesisThrottles(props: PipelineMonitoringProps): Record<string, cloudwatch.IMetric> {
    return {
      writes: props.stream.metricWriteProvisionedThroughputExceeded({ statistic: 'Sum', period: MINUTE }),
      reads: props.stream.metricReadProvisionedThroughputExceeded({ statistic: 'Sum', period: MINUTE }),
    };
  }

  /**
   * ThrottledRequests and SystemErrors of the store's operations, one metric each (ids `throttled<Op>`,
   * `errors<Op>`): eight metrics, within an alarm's limit of ten.
   */
  private dynamoDbProblems(props: PipelineMonitoringProps): Record<string, cloudwatch.IMetric> {
    const metrics: Record<string, cloudwatch.IMetric> = {};
    for (const operation of STORE_OPERATIONS) {
      for (const [prefix, metricName] of [
        ['throttled', 'ThrottledRequests'],
        ['errors', 'SystemErrors'],
      ] as const) {
        metrics[`${prefix}${operation}`] = props.table.metric(metricName, {
          dimensionsMap: { TableName: props.table.tableName, Operation: operation },
          statistic: 'Sum',
          period: MINUTE,
        });
      }
    }
    return metrics;
  }

  /** A sum of metrics, each missing datapoint taken as 0. */
  private static sumOf(
    metrics: Record<string, cloudwatch.IMetric>,
    label: string,
  ): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: Object.keys(metrics)
        .map((id) => `FILL(${id}, 0)`)
        .join(' + '),
      usingMetrics: metrics,
      label,
      period: MINUTE,
    });
  }

  // CloudWatch alarms can publish to an encrypted topic only with a customer managed key whose
  // policy lets cloudwatch.amazonaws.com use it (the AWS managed aws/sns key does not).
  private createTopic(props: PipelineMonitoringProps): sns.Topic {
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: `Encrypts the alarm topic of the ${props.pipelineName} pipeline`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    const topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `DStream ${props.pipelineName} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    if (props.alarmEmail) topic.addSubscription(new EmailSubscription(props.alarmEmail));
    return topic;
  }

  private createDashboard(props: PipelineMonitoringProps): cloudwatch.Dashboard {
    const name = props.pipelineName;
    const graph = (
      title: string,
      left: cloudwatch.IMetric[],
      right: cloudwatch.IMetric[] = [],
      extra: Partial<cloudwatch.GraphWidgetProps> = {},
    ) => new cloudwatch.GraphWidget({ title, left, right, width: 8, height: 6, ...extra });
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `DStream-${name}`,
      defaultInterval: Duration.hours(3),
    });
    const ms = { label: 'ms', showUnits: false };
    // Spark's Streaming tab.
    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `## ${name}: streaming (Spark's Streaming tab)\nPer batch: scheduling delay (batch end to the start of its close), processing time (the close), total delay (both). Batches waiting: ended, not yet closed.`,
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      graph('Input rate (records/s)', [
        new cloudwatch.MathExpression({
          expression: 'records / PERIOD(records)',
          usingMetrics: { records: engineMetric(name, 'RecordsIn') },
          label: 'records/s into batches',
          period: MINUTE,
        }),
        new cloudwatch.MathExpression({
          expression: 'incoming / PERIOD(incoming)',
          usingMetrics: {
            incoming: props.stream.metricIncomingRecords({ statistic: 'Sum', period: MINUTE }),
          },
          label: 'records/s into the stream',
          period: MINUTE,
        }),
      ]),
      graph(
        'Batch delays (ms, average per minute)',
        [
          engineMetric(name, 'SchedulingDelayMs', { statistic: 'Average', label: 'scheduling delay' }),
          engineMetric(name, 'ProcessingTimeMs', { statistic: 'Average', label: 'processing time' }),
          engineMetric(name, 'TotalDelayMs', { statistic: 'Average', label: 'total delay' }),
          engineMetric(name, 'TotalDelayMs', { statistic: 'Maximum', label: 'total delay (max)' }),
        ],
        [],
        { leftYAxis: ms },
      ),
      graph(
        'Batches waiting to close',
        [engineMetric(name, 'BatchesWaiting', { statistic: 'Maximum', label: 'batches waiting (max)' })],
        [
          engineMetric(name, 'OldestOpenBatchAgeMs', {
            statistic: 'Maximum',
            label: 'oldest open batch, ms past its end (max)',
          }),
        ],
        {
          rightAnnotations: [
            {
              value: props.closerBehindAlarmThreshold.toMilliseconds(),
              label: 'closer-behind alarm',
              color: cloudwatch.Color.RED,
            },
          ],
        },
      ),
    );
    dashboard.addWidgets(
      new cloudwatch.LogQueryWidget({
        title: 'Recent batches (newest first)',
        logGroupNames: props.logGroups.map((g) => g.logGroupName),
        queryLines: [
          'fields batch, records, late, shards, schedulingDelayMs, processingTimeMs, totalDelayMs, closer',
          `filter message = '${BATCH_COMPLETED_MESSAGE}'`,
          'sort batchTime desc',
          'limit 30',
        ],
        view: cloudwatch.LogQueryVisualizationType.TABLE,
        width: 24,
        height: 8,
      }),
    );
    // The pipeline.
    dashboard.addWidgets(
      graph('Incoming records', [
        props.stream.metricIncomingRecords({
          statistic: 'Sum',
          period: MINUTE,
          label: 'Kinesis IncomingRecords',
        }),
      ]),
      graph('Iterator age (ms)', [
        props.handler.metric('IteratorAge', {
          statistic: 'Maximum',
          period: MINUTE,
          label: 'Lambda IteratorAge (max)',
        }),
        props.stream.metricGetRecordsIteratorAgeMilliseconds({
          statistic: 'Maximum',
          period: MINUTE,
          label: 'Kinesis GetRecords iterator age (max)',
        }),
      ]),
      graph('Batch latency (ms)', [
        engineMetric(name, 'BatchLatencyMs', { statistic: 'Average', label: 'average' }),
        engineMetric(name, 'BatchLatencyMs', { statistic: 'p99', label: 'p99' }),
      ]),
    );
    dashboard.addWidgets(
      graph(
        'Records processed',
        [engineMetric(name, 'RecordsIn', { label: 'RecordsIn' })],
        [engineMetric(name, 'BatchesClosed', { label: 'BatchesClosed' })],
      ),
      graph('Late records', [engineMetric(name, 'LateRecords', { label: 'LateRecords' })]),
      graph('Errors', [
        props.handler.metricErrors({ statistic: 'Sum', period: MINUTE, label: 'Handler errors' }),
        props.closer.metricErrors({ statistic: 'Sum', period: MINUTE, label: 'Closer errors' }),
        props.handler.metricThrottles({ statistic: 'Sum', period: MINUTE, label: 'Handler throttles' }),
        engineMetric(name, 'FailedRecords', { label: 'FailedRecords' }),
        engineMetric(name, 'DecodeErrors', { label: 'DecodeErrors' }),
        engineMetric(name, 'UserFunctionErrors', { label: 'UserFunctionErrors' }),
      ]),
    );
    // An operator's view.
    const dynamo = this.dynamoDbProblems(props);
    dashboard.addWidgets(
      graph('Kinesis throttles', [
        props.stream.metricWriteProvisionedThroughputExceeded({
          statistic: 'Sum',
          period: MINUTE,
          label: 'WriteProvisionedThroughputExceeded (producers)',
        }),
        props.stream.metricReadProvisionedThroughputExceeded({
          statistic: 'Sum',
          period: MINUTE,
          label: 'ReadProvisionedThroughputExceeded (event source)',
        }),
      ]),
      graph('DynamoDB throttles and system errors', [
        PipelineMonitoring.sumOf(
          pick(dynamo, 'throttled'),
          `ThrottledRequests (${STORE_OPERATIONS.join(', ')})`,
        ),
        props.table.metric('ReadThrottleEvents', {
          statistic: 'Sum',
          period: MINUTE,
          label: 'ReadThrottleEvents',
        }),
        props.table.metric('WriteThrottleEvents', {
          statistic: 'Sum',
          period: MINUTE,
          label: 'WriteThrottleEvents',
        }),
        PipelineMonitoring.sumOf(pick(dynamo, 'errors'), 'SystemErrors'),
      ]),
      graph(
        'Closer: throttles, concurrency, dropped ticks',
        [
          props.closer.metricThrottles({ statistic: 'Sum', period: MINUTE, label: 'Closer throttles' }),
          props.closer.metric('AsyncEventsDropped', {
            statistic: 'Sum',
            period: MINUTE,
            label: 'Schedule events dropped (AsyncEventsDropped)',
          }),
        ],
        [
          props.closer.metric('ConcurrentExecutions', {
            statistic: 'Maximum',
            period: MINUTE,
            label: 'Closer concurrency (max)',
          }),
        ],
      ),
    );
    dashboard.addWidgets(
      graph('Failed-record destination', [
        props.handler.metric('DestinationDeliveryFailures', {
          statistic: 'Sum',
          period: MINUTE,
          label: 'DestinationDeliveryFailures (records not saved)',
        }),
        engineMetric(name, 'FailedRecords', { label: 'FailedRecords (retried, then sent there)' }),
      ]),
      graph('DynamoDB consumed capacity', [
        props.table.metricConsumedReadCapacityUnits({
          statistic: 'Sum',
          period: MINUTE,
          label: 'Read units',
        }),
        props.table.metricConsumedWriteCapacityUnits({
          statistic: 'Sum',
          period: MINUTE,
          label: 'Write units',
        }),
      ]),
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: this.alarms(),
        width: 8,
        height: 6,
      }),
      ...this.userMetricsWidgets(name, props.userMetrics ?? []),
    );
    return dashboard;
  }

  private userMetricsWidgets(pipelineName: string, userMetrics: UserMetric[]): cloudwatch.IWidget[] {
    if (userMetrics.length === 0) return [];
    const metrics = userMetrics.map(
      (m) =>
        new cloudwatch.Metric({
          namespace: m.namespace,
          metricName: m.metricName,
          dimensionsMap: { [POWERTOOLS_SERVICE_DIMENSION]: pipelineName, ...m.dimensionsMap },
          statistic: m.statistic ?? 'Sum',
          label: m.label ?? m.metricName,
          period: MINUTE,
        }),
    );
    return [new cloudwatch.GraphWidget({ title: 'Pipeline outputs', left: metrics, width: 8, height: 6 })];
  }
}

/** The entries of `metrics` whose id starts with `prefix`. */
function pick(
  metrics: Record<string, cloudwatch.IMetric>,
  prefix: string,
): Record<string, cloudwatch.IMetric> {
  return Object.fromEntries(Object.entries(metrics).filter(([id]) => id.startsWith(prefix)));
}

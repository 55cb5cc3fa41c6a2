import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
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
  /**
   * Alarm when the handler's iterator age (its lag behind the stream) stays above this for 3 minutes.
   */
  readonly iteratorAgeAlarmThreshold: Duration;
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

/**
 * The pipeline's CloudWatch dashboard (incoming records, iterator age, batch latency, records
 * processed, late records, errors, DynamoDB consumed capacity, user metrics) and its alarms
 * (iterator age, errors, failed records), which notify an SNS topic encrypted with a KMS key.
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
      metric: engineMetric(props.pipelineName, 'FailedRecords', { period: Duration.minutes(5) }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    for (const alarm of [this.iteratorAgeAlarm, this.errorsAlarm, this.failedRecordsAlarm]) {
      alarm.addAlarmAction(new SnsAction(this.alarmTopic));
      alarm.addOkAction(new SnsAction(this.alarmTopic));
    }
    this.dashboard = this.createDashboard(props);
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
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []) =>
      new cloudwatch.GraphWidget({ title, left, right, width: 8, height: 6 });
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `DStream-${name}`,
      defaultInterval: Duration.hours(3),
    });
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
    dashboard.addWidgets(
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
        alarms: [this.iteratorAgeAlarm, this.errorsAlarm, this.failedRecordsAlarm],
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

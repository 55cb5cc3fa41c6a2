import { CfnElement } from 'aws-cdk-lib';
import type { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import type { DStreamPipeline } from '../../infra/dstream-pipeline';
import { pipelineStack } from './support';

// One synthesized stack with the construct's defaults (demo pipeline, batch interval 2 s), shared
// by every test: bundling runs once per function.
let stack: Stack;
let pipeline: DStreamPipeline;
let template: Template;
let id: (c: IConstruct) => string;

beforeAll(() => {
  ({ stack, pipeline, template } = pipelineStack());
  id = (c) => stack.resolve(stack.getLogicalId(c.node.defaultChild as CfnElement)) as string;
});

const getAtt = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
const objectsOf = (logicalId: string) => ({ 'Fn::Join': ['', [getAtt(logicalId), '/*']] });

function policyStatements(roleConstruct: IConstruct): { Action: string | string[]; Resource: unknown }[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: id(roleConstruct) }] },
  });
  return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
}

describe('stream', () => {
  test('is created on-demand, encrypted with the AWS managed KMS key, named after the pipeline', () => {
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      Name: 'dstream-demo',
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
      RetentionPeriodHours: 24,
    });
    template.resourceCountIs('AWS::Kinesis::Stream', 1);
  });

  test('is retained with the stack by default', () => {
    template.hasResource('AWS::Kinesis::Stream', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});

describe('functions', () => {
  test.each([
    ['handler', 'index.handler', 60, { DSTREAM_CLOSE_AFTER_MAP: 'false' }],
    ['closer', 'index.closer', 120, { DSTREAM_CLOSER_SCHEDULE_SECONDS: '60' }],
  ])(
    '%s: Node.js 22 on arm64, bundled from the pipeline folder, with the DSTREAM_* and Powertools environment',
    (_name, handler, timeout, extra) => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Handler: handler,
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        MemorySize: 1024,
        Timeout: timeout,
        Environment: {
          Variables: {
            DSTREAM_PIPELINE: 'demo',
            DSTREAM_TABLE: { Ref: id(pipeline.table) },
            DSTREAM_BUCKET: { Ref: id(pipeline.outputBucket) },
            DSTREAM_STREAM_NAME: { Ref: Match.anyValue() },
            DSTREAM_STREAM_ARN: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
            POWERTOOLS_SERVICE_NAME: 'demo',
            POWERTOOLS_METRICS_NAMESPACE: 'DStream',
            POWERTOOLS_LOG_LEVEL: 'INFO',
            NODE_OPTIONS: '--enable-source-maps',
            ...extra,
          },
        },
        LoggingConfig: { LogGroup: { Ref: Match.anyValue() } },
      });
    },
  );

  test('each function logs to its own log group, kept one month', () => {
    template.resourceCountIs('AWS::Logs::LogGroup', 2);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      LoggingConfig: {
        LogGroup: {
          Ref: stack.resolve(stack.getLogicalId(pipeline.handler.logGroup.node.defaultChild as CfnElement)),
        },
      },
    });
  });

  test('the two functions share one bundled asset (esbuild, no Docker)', () => {
    const fns = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(fns).toHaveLength(2);
    expect(new Set(fns.map((f) => JSON.stringify(f.Properties.Code))).size).toBe(1);
  });
});

describe('Kinesis event source', () => {
  test('reports batch item failures, bisects on error, bounds retries and record age', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: id(pipeline.handler) },
      EventSourceArn: getAtt(id(pipeline.stream)),
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 2,
      ParallelizationFactor: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 3600,
    });
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
  });

  test('sends records it gives up on to the S3 failure bucket by default', () => {
    expect(pipeline.failureBucket).toBeDefined();
    expect(pipeline.failureQueue).toBeUndefined();
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      DestinationConfig: { OnFailure: { Destination: getAtt(id(pipeline.failureBucket!)) } },
    });
  });
});

describe('state table', () => {
  test('has pk/sk string keys, on-demand billing, TTL on expiresAt, point-in-time recovery and encryption', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  });
});

describe('buckets', () => {
  test('output, failure and access-log buckets are created', () => {
    template.resourceCountIs('AWS::S3::Bucket', 3);
    expect(pipeline.accessLogsBucket).toBeDefined();
  });

  test('every bucket is encrypted, blocks public access and aborts incomplete uploads', () => {
    template.allResourcesProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
        ]),
      },
    });
  });

  test('every bucket denies requests without TLS', () => {
    template.resourceCountIs('AWS::S3::BucketPolicy', 3);
    template.allResourcesProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  test('output and failure buckets log requests to the access-log bucket', () => {
    const logs = { Ref: id(pipeline.accessLogsBucket!) };
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { DestinationBucketName: logs, LogFilePrefix: 'output/' },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { DestinationBucketName: logs, LogFilePrefix: 'failures/' },
    });
  });

  test('failed records expire after 14 days, access logs after 90, outputs are kept', () => {
    const rules = (bucket: IConstruct) =>
      template.findResources('AWS::S3::Bucket')[id(bucket)].Properties.LifecycleConfiguration.Rules as {
        ExpirationInDays?: number;
      }[];
    expect(rules(pipeline.failureBucket!).some((r) => r.ExpirationInDays === 14)).toBe(true);
    expect(rules(pipeline.accessLogsBucket!).some((r) => r.ExpirationInDays === 90)).toBe(true);
    expect(rules(pipeline.outputBucket).some((r) => r.ExpirationInDays !== undefined)).toBe(false);
  });
});

describe('scheduled closer', () => {
  test('runs every minute (batch interval 2 s is shorter), without retries of a missed tick', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: getAtt(id(pipeline.closer)),
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: getAtt(id(pipeline.closer)),
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
      Qualifier: '$LATEST',
    });
  });

  test('one run at a time: reserved concurrency 1, a timeout past the period, the period in its environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.closer',
      ReservedConcurrentExecutions: 1,
      Timeout: 120,
      Environment: { Variables: Match.objectLike({ DSTREAM_CLOSER_SCHEDULE_SECONDS: '60' }) },
    });
    const handler = Object.values(
      template.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } }),
    )[0];
    expect(handler.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });
});

describe('least privilege', () => {
  test('no IAM statement has a * action or a * resource, and no role has a managed policy', () => {
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      for (const st of policy.Properties.PolicyDocument.Statement as {
        Action: string | string[];
        Resource: unknown;
      }[]) {
        const actions = ([] as string[]).concat(st.Action);
        expect(actions).not.toContain('*');
        expect(actions.every((a) => !a.endsWith(':*'))).toBe(true);
        expect(([] as unknown[]).concat(st.Resource)).not.toContain('*');
      }
    }
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  test('the handler reads the stream, writes state, puts outputs and failed records, and writes its log group', () => {
    const statements = policyStatements(pipeline.handler.role!);
    const resources = statements.map((s) => JSON.stringify(s.Resource));
    expect(
      statements.find(
        (s) => s.Resource && JSON.stringify(s.Resource) === JSON.stringify(getAtt(id(pipeline.stream))),
      )?.Action,
    ).toEqual(
      expect.arrayContaining(['kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards']),
    );
    expect(resources).toContain(JSON.stringify(getAtt(id(pipeline.table))));
    expect(resources).toContain(
      JSON.stringify([objectsOf(id(pipeline.failureBucket!)), objectsOf(id(pipeline.outputBucket))]),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({ Action: 's3:ListBucket', Resource: getAtt(id(pipeline.failureBucket!)) }),
    );
    expect(resources).toContain(JSON.stringify(getAtt(id(pipeline.handler.logGroup))));
    // Puts only: no reads or deletes of outputs or failed records.
    const s3Actions = statements
      .flatMap((s) => ([] as string[]).concat(s.Action))
      .filter((a) => a.startsWith('s3:'));
    expect(s3Actions.sort()).toEqual(
      [
        's3:Abort*',
        's3:ListBucket',
        's3:PutObject',
        's3:PutObjectLegalHold',
        's3:PutObjectRetention',
        's3:PutObjectTagging',
        's3:PutObjectVersionTagging',
      ].sort(),
    );
  });

  test('the closer reads no record: of the stream it may only list the shards; no failure-bucket access', () => {
    const text = JSON.stringify(policyStatements(pipeline.closer.role!));
    const kinesisActions = text.match(/kinesis:[A-Za-z*]+/g) ?? [];
    expect(new Set(kinesisActions)).toEqual(new Set(['kinesis:ListShards']));
    expect(text).not.toContain(id(pipeline.failureBucket!));
    expect(text).toContain('dynamodb:PutItem');
    expect(text).toContain(id(pipeline.outputBucket));
  });
});

describe('dashboard', () => {
  let body: string;
  beforeAll(() => {
    const dash = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0];
    expect(dash.Properties.DashboardName).toBe('DStream-demo');
    body = JSON.stringify(dash.Properties.DashboardBody);
  });

  test.each([
    ['incoming records', 'IncomingRecords'],
    ['iterator age', 'IteratorAge'],
    ['batch latency', 'BatchLatencyMs'],
    ['records processed', 'RecordsIn'],
    ['late records', 'LateRecords'],
    ['errors', 'Errors'],
    ['failed records', 'FailedRecords'],
    ['DynamoDB consumed capacity', 'ConsumedWriteCapacityUnits'],
  ])('graphs %s (%s)', (_what, metric) => {
    expect(body).toContain(`\\"${metric}\\"`);
  });

  test('engine metrics carry the service and Pipeline dimensions Powertools writes', () => {
    expect(body).toContain(
      '\\"DStream\\",\\"LateRecords\\",\\"Pipeline\\",\\"demo\\",\\"service\\",\\"demo\\"',
    );
  });

  test('has no user-metrics widget unless userMetrics are given', () => {
    expect(body).not.toContain('Pipeline outputs');
  });

  test("Spark's Streaming tab: input rate per second, the three delays per batch, batches waiting", () => {
    expect(body).toContain('records / PERIOD(records)');
    expect(body).toContain('Input rate (records/s)');
    for (const metric of [
      'SchedulingDelayMs',
      'ProcessingTimeMs',
      'TotalDelayMs',
      'BatchesWaiting',
      'OldestOpenBatchAgeMs',
    ])
      expect(body).toContain(`\\"DStream\\",\\"${metric}\\",\\"Pipeline\\",\\"demo\\"`);
    expect(body).toContain('closer-behind alarm');
  });

  test('a table of recent batches: Logs Insights over the batch completed lines of both functions', () => {
    expect(body).toContain('\\"title\\":\\"Recent batches (newest first)\\"');
    expect(body).toContain('\\"view\\":\\"table\\"');
    expect(body).toContain(
      "| fields batch, records, late, shards, schedulingDelayMs, processingTimeMs, totalDelayMs, closer\\\\n| filter message = 'batch completed'\\\\n| sort batchTime desc",
    );
    for (const fn of [pipeline.handler, pipeline.closer]) {
      const group = stack.resolve(stack.getLogicalId(fn.logGroup.node.defaultChild as CfnElement));
      expect(body).toContain(`SOURCE '",{"Ref":"${group}"},"'`);
    }
  });

  test.each([
    ['Kinesis write throttles', 'WriteProvisionedThroughputExceeded'],
    ['Kinesis read throttles', 'ReadProvisionedThroughputExceeded'],
    ['DynamoDB throttled requests', 'ThrottledRequests'],
    ['DynamoDB read throttle events', 'ReadThrottleEvents'],
    ['DynamoDB write throttle events', 'WriteThrottleEvents'],
    ['DynamoDB system errors', 'SystemErrors'],
    ['closer throttles', 'Throttles'],
    ['closer concurrency', 'ConcurrentExecutions'],
    ['closer ticks dropped', 'AsyncEventsDropped'],
    ['failed-record destination delivery failures', 'DestinationDeliveryFailures'],
  ])("operator's view: %s (%s)", (_what, metric) => {
    expect(body).toContain(`\\"${metric}\\"`);
  });
});

describe('alarms', () => {
  test('iterator age above 10 batch intervals (at least 1 minute) for 3 minutes', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: id(pipeline.handler) } }],
      Statistic: 'Maximum',
      Threshold: 60000,
      EvaluationPeriods: 3,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  test('errors of the handler or the closer', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(handler, 0) + FILL(closer, 0)' }),
        Match.objectLike({
          Id: 'handler',
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'Errors' }) }),
        }),
        Match.objectLike({
          Id: 'closer',
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'Errors' }) }),
        }),
      ]),
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  test('failed records reported by the engine', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'DStream',
      MetricName: 'FailedRecords',
      Dimensions: Match.arrayWith([
        { Name: 'Pipeline', Value: 'demo' },
        { Name: 'service', Value: 'demo' },
      ]),
      Threshold: 1,
    });
  });

  test('decode errors reported by the engine', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'DStream',
      MetricName: 'DecodeErrors',
      Dimensions: Match.arrayWith([{ Name: 'Pipeline', Value: 'demo' }]),
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  test('records lost to expiry (LogGaps): any, in five minutes', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'DStream',
      MetricName: 'LogGaps',
      Dimensions: Match.arrayWith([{ Name: 'Pipeline', Value: 'demo' }]),
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  test('a closer falling behind: the oldest open batch older than the lateness plus 10 intervals (at least 2 minutes) for 3 minutes', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'DStream',
      MetricName: 'OldestOpenBatchAgeMs',
      Statistic: 'Maximum',
      Threshold: 120_000,
      EvaluationPeriods: 3,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  const metricsOf = (alarm: IConstruct) =>
    template.findResources('AWS::CloudWatch::Alarm')[id(alarm)].Properties.Metrics as {
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: { MetricName: string; Namespace: string } };
    }[];

  test('Kinesis throttles, writes or reads, for 3 minutes', () => {
    const metrics = metricsOf(pipeline.monitoring.kinesisThrottlesAlarm);
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('FILL(writes, 0) + FILL(reads, 0)');
    expect(metrics.flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric.MetricName] : [])).sort()).toEqual([
      'ReadProvisionedThroughputExceeded',
      'WriteProvisionedThroughputExceeded',
    ]);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('throttled writes or reads'),
      EvaluationPeriods: 3,
    });
  });

  test('DynamoDB throttled requests and system errors of every operation the store sends, for 3 minutes', () => {
    const metrics = metricsOf(pipeline.monitoring.dynamoDbAlarm);
    const stats = metrics.flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric.MetricName] : []));
    expect(stats.filter((n) => n === 'ThrottledRequests')).toHaveLength(4);
    expect(stats.filter((n) => n === 'SystemErrors')).toHaveLength(4);
    expect(metrics.find((m) => m.Expression)?.Expression).toMatch(
      /^FILL\(throttledGetItem, 0\) \+ .*FILL\(errorsBatchWriteItem, 0\)$/,
    );
  });

  test('every alarm notifies the alarm topic on ALARM and on OK', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 8);
    const topic = { Ref: id(pipeline.monitoring.alarmTopic) };
    template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: [topic], OKActions: [topic] });
  });

  test('the topic is encrypted with a rotated KMS key that CloudWatch may use, and enforces TLS', () => {
    const key = Object.keys(template.findResources('AWS::KMS::Key'))[0];
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: getAtt(key) });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test('no e-mail subscription unless alarmEmail is given', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

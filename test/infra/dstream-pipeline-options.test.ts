import { App, CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { Template } from 'aws-cdk-lib/assertions';
import { Stream } from 'aws-cdk-lib/aws-kinesis';
import type { IConstruct } from 'constructs';
import {
  closerScheduleMinutes,
  defaultBatchingWindowSeconds,
  defaultCloserBehindThreshold,
  defaultCloserTimeout,
  defaultIteratorAgeThreshold,
  DStreamPipeline,
} from '../../infra/dstream-pipeline';
import type { DStreamPipelineProps } from '../../infra/dstream-pipeline';
import { PipelineConfigError } from '../../infra/errors';
import { DEMO, variantStack } from './support';

const getAtt = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

describe('an existing stream and bucket, SQS failure destination, alarm e-mail, user metrics', () => {
  let stack: Stack;
  let pipeline: DStreamPipeline;
  let template: Template;
  let id: (c: IConstruct) => string;
  beforeAll(() => {
    ({ stack, pipeline, template } = variantStack(
      'existing stream and bucket, SQS failure destination, alarm e-mail, user metrics',
    ));
    id = (c) => stack.resolve(stack.getLogicalId(c.node.defaultChild as CfnElement)) as string;
  });

  test('creates no stream and no bucket, and reads the given stream', () => {
    template.resourceCountIs('AWS::Kinesis::Stream', 0);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/existing',
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['kinesis:GetRecords']),
            Resource: 'arn:aws:kinesis:us-east-1:123456789012:stream/existing',
          }),
        ]),
      },
    });
  });

  test('writes outputs to the given bucket', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DSTREAM_BUCKET: 'existing-outputs' }) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['s3:PutObject']),
            Resource: 'arn:aws:s3:::existing-outputs/*',
          }),
        ]),
      },
    });
  });

  test('sends failed records positions to an encrypted queue that denies requests without TLS', () => {
    const queue = id(pipeline.failureQueue!);
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1209600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      DestinationConfig: { OnFailure: { Destination: getAtt(queue) } },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Resource: getAtt(queue), Action: Match.arrayWith(['sqs:SendMessage']) }),
        ]),
      },
    });
  });

  test('subscribes the alarm e-mail to the alarm topic', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: { Ref: id(pipeline.monitoring.alarmTopic) },
    });
  });

  test('graphs the user metrics with the service dimension Powertools adds', () => {
    const dash = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0];
    const body = JSON.stringify(dash.Properties.DashboardBody);
    expect(body).toContain('Pipeline outputs');
    expect(body).toContain(
      '[\\"WordCount\\",\\"Words\\",\\"service\\",\\"demo\\",{\\"label\\":\\"Words\\",\\"period\\":60,\\"stat\\":\\"Sum\\"}]',
    );
    expect(body).toContain(
      '[\\"WordCount\\",\\"Distinct\\",\\"Kind\\",\\"w\\",\\"service\\",\\"demo\\",{\\"label\\":\\"Distinct\\",\\"period\\":60,\\"stat\\":\\"Maximum\\"}]',
    );
  });
});

describe('a provisioned stream, a tuned event source, deleted with the stack', () => {
  let stack: Stack;
  let pipeline: DStreamPipeline;
  let template: Template;
  let id: (c: IConstruct) => string;
  beforeAll(() => {
    ({ stack, pipeline, template } = variantStack(
      'provisioned stream, tuned event source, deleted with the stack',
    ));
    id = (c) => stack.resolve(stack.getLogicalId(c.node.defaultChild as CfnElement)) as string;
  });

  test('creates a provisioned stream with the given shard count and name', () => {
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      Name: 'my-lines',
      ShardCount: 4,
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
  });

  test('passes the event source settings through', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 10,
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 7200,
      StartingPosition: 'LATEST',
      ParallelizationFactor: 1,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  test('sizes the functions, keeps logs one week, alarms on the given iterator age and closer lag', () => {
    for (const [handler, timeout] of [
      ['index.handler', 30],
      ['index.closer', 180],
    ] as const) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Handler: handler,
        MemorySize: 512,
        Timeout: timeout,
      });
    }
    // limitCloserConcurrency: false
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function')))
      expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IteratorAge',
      Threshold: 600000,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'OldestOpenBatchAgeMs',
      Threshold: 300000,
    });
  });

  test('expires outputs and failed records as asked', () => {
    const rules = (c: IConstruct) =>
      template.findResources('AWS::S3::Bucket')[id(c)].Properties.LifecycleConfiguration.Rules as {
        ExpirationInDays?: number;
      }[];
    expect(rules(pipeline.outputBucket).map((r) => r.ExpirationInDays)).toContain(30);
    expect(rules(pipeline.failureBucket!).map((r) => r.ExpirationInDays)).toContain(3);
  });

  test.each([
    'AWS::Kinesis::Stream',
    'AWS::DynamoDB::Table',
    'AWS::S3::Bucket',
    'AWS::Logs::LogGroup',
    'AWS::KMS::Key',
  ])('deletes %s with the stack', (type) => {
    template.allResources(type, { DeletionPolicy: 'Delete' });
  });

  test('empties the created buckets before deleting them', () => {
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 3);
  });
});

describe('invalid props', () => {
  // Validation runs before anything is bundled, so these cases cost no synthesis.
  const make =
    (props: Partial<DStreamPipelineProps>, build?: (stack: Stack) => Partial<DStreamPipelineProps>) => () => {
      const stack = new Stack(new App(), 'Invalid');
      return new DStreamPipeline(stack, 'Pipeline', {
        pipeline: DEMO,
        ...props,
        ...(build ? build(stack) : {}),
      });
    };

  test.each<[string, Partial<DStreamPipelineProps>, string]>([
    ['infinite retries', { retryAttempts: -1 }, 'infinite retries'],
    ['too many retries', { retryAttempts: 10001 }, 'retryAttempts must be an integer from 0 to 10000'],
    ['a batch size of 0', { batchSize: 0 }, 'batchSize must be an integer from 1 to 10000'],
    ['a batch size above 10,000', { batchSize: 10001 }, 'batchSize'],
    [
      'a parallelization factor of 11',
      { parallelizationFactor: 11 },
      'parallelizationFactor must be an integer from 1 to 10',
    ],
    [
      'a parallelization factor of 2 (one shard in concurrent batches)',
      { parallelizationFactor: 2 },
      "parallelizationFactor 2 is not supported: Lambda would run one shard's records concurrently",
    ],
    [
      'a batching window above 5 minutes',
      { maxBatchingWindow: Duration.seconds(301) },
      'maxBatchingWindow must be at most 300',
    ],
    [
      'a record age below 60 s',
      { maxRecordAge: Duration.seconds(30) },
      'maxRecordAge must be between 60 seconds and 7 days',
    ],
    [
      'a record age beyond the created stream retention',
      { maxRecordAge: Duration.hours(25) },
      "exceeds the created stream's retention",
    ],
    ['a fractional shard count', { shardCount: 1.5 }, 'shardCount'],
    [
      'an SQS retention above 14 days',
      { failureDestination: 'sqs', failedRecordsRetention: Duration.days(15) },
      'at most 14 days',
    ],
    [
      'an unknown failure destination',
      { failureDestination: 'sns' as never },
      "failureDestination must be 's3' or 'sqs'",
    ],
    [
      'a batch interval of 0',
      { pipeline: { ...DEMO, batchInterval: 0 } },
      'batchInterval must be a positive number',
    ],
  ])('rejects %s', (_case, props, message) => {
    const build = make(props);
    expect(build).toThrow(PipelineConfigError);
    expect(build).toThrow(message);
  });

  test('rejects streamName or shardCount together with an existing stream', () => {
    const build = make({ shardCount: 2 }, (stack) => ({
      stream: Stream.fromStreamArn(stack, 'S', 'arn:aws:kinesis:us-east-1:123456789012:stream/s'),
    }));
    expect(build).toThrow('leave them out when passing an existing stream');
  });
});

describe('defaults derived from the batch interval', () => {
  test.each([
    [0.5, 0],
    [1, 1],
    [2.7, 2],
    [10, 10],
    [300, 300],
    [3600, 300],
  ])('batch interval %p s: batching window %p s', (interval, window) => {
    expect(defaultBatchingWindowSeconds(interval)).toBe(window);
  });

  test.each([
    [1, 1],
    [59, 1],
    [60, 1],
    [90, 1],
    [120, 2],
    [600, 10],
  ])('batch interval %p s: the closer runs every %p minute(s)', (interval, minutes) => {
    expect(closerScheduleMinutes(interval)).toBe(minutes);
  });

  test.each([
    [1, 60],
    [6, 60],
    [30, 300],
  ])('batch interval %p s: iterator age alarm above %p s', (interval, seconds) => {
    expect(defaultIteratorAgeThreshold(interval).toSeconds()).toBe(seconds);
  });

  test.each([
    [1, 2],
    [90, 2],
    [120, 3],
    [600, 11],
    [3600, 15],
  ])(
    'batch interval %p s: the closer times out after %p minutes (its period plus one, at most 15)',
    (interval, minutes) => {
      expect(defaultCloserTimeout(interval).toMinutes()).toBe(minutes);
    },
  );

  test.each([
    [1, 2, 120],
    [30, 31, 331],
  ])(
    'batch interval %p s, lateness %p s: the closer-behind alarm above %p s',
    (interval, lateness, seconds) => {
      expect(defaultCloserBehindThreshold(interval, lateness).toSeconds()).toBe(seconds);
    },
  );
});

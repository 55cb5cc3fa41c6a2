import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Stream } from 'aws-cdk-lib/aws-kinesis';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Template } from 'aws-cdk-lib/assertions';
import { DStreamPipeline } from '../../infra/dstream-pipeline';
import type { DStreamPipelineProps } from '../../infra/dstream-pipeline';
import type { PipelineDefinition } from '../../infra/load-pipeline';

/** Repository root. */
export const ROOT = join(__dirname, '..', '..');

/** Fixture pipelines: `demo` exports handler and closer without importing lib/. */
export const FIXTURE_FUNCTIONS_DIR = join(__dirname, 'fixtures', 'functions');

/** The demo fixture pipeline (batch interval 2 s). */
export const DEMO: PipelineDefinition = {
  name: 'demo',
  batchInterval: 2,
  directory: join(FIXTURE_FUNCTIONS_DIR, 'demo'),
};

/** The feature flags of cdk.json, so tests synthesize as `cdk synth` does. */
export function cdkJsonContext(): Record<string, unknown> {
  return (JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> })
    .context;
}

/** A new app with cdk.json's context plus `extra`. */
export function newApp(extra: Record<string, unknown> = {}): App {
  return new App({ context: { ...cdkJsonContext(), ...extra } });
}

/** A stack holding one DStreamPipeline built from `props` (the demo pipeline unless given), and its template. */
export function pipelineStack(
  props: Partial<DStreamPipelineProps> = {},
  build?: (stack: Stack) => Partial<DStreamPipelineProps>,
): { app: App; stack: Stack; pipeline: DStreamPipeline; template: Template } {
  const app = newApp();
  const stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'us-east-1' } });
  const pipeline = new DStreamPipeline(stack, 'Pipeline', {
    pipeline: DEMO,
    ...props,
    ...(build ? build(stack) : {}),
  });
  return { app, stack, pipeline, template: Template.fromStack(stack) };
}

/** The logical id of the only resource of `type` whose properties match `props`. */
export function logicalIdOf(template: Template, type: string, props: object = {}): string {
  const ids = Object.keys(template.findResources(type, { Properties: props }));
  if (ids.length !== 1)
    throw new Error(`expected one ${type} matching ${JSON.stringify(props)}, found ${ids.length}`);
  return ids[0];
}

/**
 * The construct configurations every infra check runs on: the defaults, an existing stream and
 * bucket with SQS failures, and a provisioned stream deleted with the stack.
 */
export const VARIANTS: Record<
  string,
  { props?: Partial<DStreamPipelineProps>; build?: (stack: Stack) => Partial<DStreamPipelineProps> }
> = {
  defaults: {},
  'existing stream and bucket, SQS failure destination, alarm e-mail, user metrics': {
    props: {
      failureDestination: 'sqs',
      alarmEmail: 'oncall@example.com',
      userMetrics: [
        { namespace: 'WordCount', metricName: 'Words' },
        {
          namespace: 'WordCount',
          metricName: 'Distinct',
          dimensionsMap: { Kind: 'w' },
          statistic: 'Maximum',
        },
      ],
    },
    build: (stack) => ({
      stream: Stream.fromStreamArn(
        stack,
        'Existing',
        'arn:aws:kinesis:us-east-1:123456789012:stream/existing',
      ),
      outputBucket: Bucket.fromBucketName(stack, 'ExistingBucket', 'existing-outputs'),
    }),
  },
  'provisioned stream, tuned event source, deleted with the stack': {
    props: {
      shardCount: 4,
      streamName: 'my-lines',
      batchSize: 500,
      maxBatchingWindow: Duration.seconds(10),
      retryAttempts: 3,
      maxRecordAge: Duration.hours(2),
      startingPosition: StartingPosition.LATEST,
      outputExpiration: Duration.days(30),
      failedRecordsRetention: Duration.days(3),
      memorySize: 512,
      timeout: Duration.seconds(30),
      closerTimeout: Duration.minutes(3),
      limitCloserConcurrency: false,
      logRetention: RetentionDays.ONE_WEEK,
      iteratorAgeAlarmThreshold: Duration.minutes(10),
      closerBehindAlarmThreshold: Duration.minutes(5),
      removalPolicy: RemovalPolicy.DESTROY,
    },
  },
};

/** Synthesizes one of {@link VARIANTS}. */
export function variantStack(name: keyof typeof VARIANTS & string): ReturnType<typeof pipelineStack> {
  const v = VARIANTS[name];
  return pipelineStack(v.props ?? {}, v.build);
}

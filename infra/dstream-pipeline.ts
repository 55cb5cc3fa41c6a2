import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type { IResolvable } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
// cdk-nag's own formatter of resource ARNs in findings, so acknowledgment ids match exactly.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import { ENGINE_NAMESPACE } from './engine-metrics';
import { PipelineConfigError } from './errors';
import type { PipelineDefinition } from './load-pipeline';
import { PipelineMonitoring } from './pipeline-monitoring';
import { S3FailedRecordsDestination } from './s3-failure-destination';
import type { UserMetric } from './pipeline-monitoring';

/**
 * Where the Kinesis event source sends the records it gives up on (after the retries or past the
 * maximum record age). `s3` keeps the failed records themselves (their data, base64); `sqs`
 * keeps only their positions (shard, sequence-number range), to be re-read from the stream
 * while its retention lasts.
 */
export type FailureDestination = 's3' | 'sqs';

/** Props of {@link DStreamPipeline}. Every prop but `pipeline` is optional; defaults are safe. */
export interface DStreamPipelineProps {
  /** The pipeline to deploy: its name, batch interval (seconds) and folder (whose index.ts exports `handler` and `closer`). */
  readonly pipeline: PipelineDefinition;
  /**
   * An existing stream to read. When given, `streamName` and `shardCount` must not be.
   * @default - a new stream, encrypted with the AWS managed KMS key (alias/aws/kinesis)
   */
  readonly stream?: kinesis.IStream;
  /**
   * Name of the created stream (the name `npx dstream produce --stream NAME` takes).
   * @default `dstream-<pipeline name>`
   */
  readonly streamName?: string;
  /**
   * Shards of the created stream, which is then provisioned instead of on-demand.
   * @default - on-demand capacity mode
   */
  readonly shardCount?: number;
  /**
   * Where a new event source mapping starts reading.
   * @default lambda.StartingPosition.TRIM_HORIZON (records produced before the deployment are processed too)
   */
  readonly startingPosition?: lambda.StartingPosition;
  /**
   * Most records per handler invocation (1 to 10,000; Lambda also caps a batch at 6 MB).
   * @default 1000
   */
  readonly batchSize?: number;
  /**
   * How long Lambda gathers records before invoking the handler (at most 5 minutes).
   * @default - the pipeline's batch interval rounded down to whole seconds, at most 300 s
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Concurrent batches per shard: only 1 is accepted. The map phase commits a shard's records to
   * its log in sequence order, each commit starting at the position the previous one ended; with a
   * factor above 1 Lambda runs one shard's records concurrently, split by partition key, so one
   * invocation's commit would cover (and drop) another's records. Scale with shards instead.
   * @default 1
   */
  readonly parallelizationFactor?: number;
  /**
   * Retries of a failed batch before its records go to the on-failure destination (0 to 10,000).
   * AWS's default is infinite: one bad record would block its shard for the stream's retention.
   * @default 10
   */
  readonly retryAttempts?: number;
  /**
   * Records older than this are not processed but sent to the on-failure destination
   * (60 s to 7 days, and at most the created stream's 24 h retention). AWS's default is infinite.
   * @default Duration.hours(1)
   */
  readonly maxRecordAge?: Duration;
  /**
   * On-failure destination of the event source mapping.
   * @default 's3' (a dedicated encrypted bucket that keeps the failed records themselves)
   */
  readonly failureDestination?: FailureDestination;
  /**
   * How long failed records are kept: lifecycle expiration of the failure bucket, or the
   * retention of the failure queue (at most 14 days for SQS).
   * @default Duration.days(14)
   */
  readonly failedRecordsRetention?: Duration;
  /**
   * Bucket the pipeline's `saveAsTextFiles` outputs go to (`DSTREAM_BUCKET`).
   * @default - a new bucket: S3-managed encryption, public access blocked, SSL enforced, incomplete uploads aborted after 1 day
   */
  readonly outputBucket?: s3.IBucket;
  /**
   * Expire output objects of the created output bucket after this long.
   * @default - outputs are kept
   */
  readonly outputExpiration?: Duration;
  /**
   * Log requests to the created buckets into a dedicated access-log bucket (kept 90 days).
   * @default true
   */
  readonly serverAccessLogs?: boolean;
  /**
   * Memory of the handler and the closer, in MB (CPU grows with it).
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * Timeout of the handler (the map phase).
   * @default Duration.minutes(1)
   */
  readonly timeout?: Duration;
  /**
   * Timeout of the scheduled closer. Each run keeps closing batches, every batch interval, until
   * shortly before the next scheduled run, so it must outlast the schedule's period: the period plus
   * a minute leaves room to finish a close that started just before the handoff.
   * @default - the closer's schedule period plus 1 minute (2 minutes for batch intervals under 2 minutes), at most 15 minutes
   */
  readonly closerTimeout?: Duration;
  /**
   * Run at most one closer at a time (reserved concurrency 1): a schedule event that arrives while
   * the previous run still finishes a close waits (Lambda retries it) instead of overlapping. The
   * reservation takes one unit of the account's concurrency; an account at its minimum of
   * unreserved concurrency (new accounts with a quota of 10) must turn it off or raise its quota.
   * @default true
   */
  readonly limitCloserConcurrency?: boolean;
  /**
   * Retention of the functions' log groups.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * E-mail address subscribed to the alarm topic (the recipient confirms the subscription).
   * @default - no subscription; the topic is still created
   */
  readonly alarmEmail?: string;
  /**
   * Alarm when the handler lags the stream by more than this for 3 minutes.
   * @default - 10 batch intervals, at least 1 minute
   */
  readonly iteratorAgeAlarmThreshold?: Duration;
  /**
   * Alarm when the oldest batch not yet closed ended longer ago than this, for 3 minutes (the
   * closer falls behind, or a batch keeps failing).
   * @default - the allowed lateness plus 10 batch intervals, at least 2 minutes
   */
  readonly closerBehindAlarmThreshold?: Duration;
  /**
   * Metrics of the pipeline's own CloudWatch outputs, graphed on the dashboard.
   * @default - none
   */
  readonly userMetrics?: UserMetric[];
  /**
   * What happens to the stream, table, buckets, queue, log groups and KMS key when the stack is
   * deleted. With DESTROY, the created buckets are emptied first (auto-delete objects).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Default batch size of the Kinesis event source. */
export const DEFAULT_BATCH_SIZE = 1000;
/** Default retries of a failed batch. */
export const DEFAULT_RETRY_ATTEMPTS = 10;
/** Default maximum record age. */
export const DEFAULT_MAX_RECORD_AGE = Duration.hours(1);
/** Retention of a created stream (Kinesis's default). */
export const CREATED_STREAM_RETENTION = Duration.hours(24);

/** The batching window for a batch interval: whole seconds, at most 300 (Lambda's limit). */
export function defaultBatchingWindowSeconds(batchInterval: number): number {
  return Math.min(300, Math.max(0, Math.floor(batchInterval)));
}

/**
 * Minutes between two runs of the scheduled closer: every batch interval or one minute, whichever
 * is longer. EventBridge rates are whole minutes: rounded down, so a batch never waits longer than
 * one interval for a closer tick.
 */
export function closerScheduleMinutes(batchInterval: number): number {
  return Math.max(1, Math.floor(batchInterval / 60));
}

/** Default timeout of the closer: its schedule period plus a minute, at most Lambda's 15 minutes. */
export function defaultCloserTimeout(batchInterval: number): Duration {
  return Duration.minutes(Math.min(15, closerScheduleMinutes(batchInterval) + 1));
}

/** Default closer-behind alarm threshold: the lateness plus 10 batch intervals, at least 2 minutes. */
export function defaultCloserBehindThreshold(batchInterval: number, allowedLateness: number): Duration {
  return Duration.seconds(Math.max(120, Math.ceil(allowedLateness + 10 * batchInterval)));
}

/** Default iteratorAge alarm threshold: 10 batch intervals, at least 1 minute. */
export function defaultIteratorAgeThreshold(batchInterval: number): Duration {
  return Duration.seconds(Math.max(60, Math.ceil(10 * batchInterval)));
}

/**
 * A DStream pipeline on AWS: Kinesis stream -> map-phase Lambda (`handler`) -> DynamoDB state ->
 * batch close (also run by a scheduled `closer`) -> outputs in S3 and CloudWatch; with a
 * dashboard, alarms and least-privilege roles built from grants.
 * @example new DStreamPipeline(stack, 'Pipeline', { pipeline: { name: 'network-wordcount', batchInterval: 1, directory: 'functions/network-wordcount' } });
 */
export class DStreamPipeline extends Construct {
  /** The input stream. */
  readonly stream: kinesis.IStream;
  /** The map-phase function (`handler` of index.ts), fed by the Kinesis event source. */
  readonly handler: NodejsFunction;
  /** The batch closer (`closer` of index.ts), run on a schedule. */
  readonly closer: NodejsFunction;
  /** The Kinesis event source of `handler`. */
  readonly eventSource: KinesisEventSource;
  /** State table: `pk`/`sk` strings, TTL attribute `expiresAt`. */
  readonly table: dynamodb.Table;
  /** Bucket of the pipeline's outputs. */
  readonly outputBucket: s3.IBucket;
  /** Bucket of the failed records, when `failureDestination` is 's3'. */
  readonly failureBucket?: s3.Bucket;
  /** Queue of the failed records' positions, when `failureDestination` is 'sqs'. */
  readonly failureQueue?: sqs.Queue;
  /** Bucket of the server access logs, when created. */
  readonly accessLogsBucket?: s3.Bucket;
  /** EventBridge rule that runs the closer. */
  readonly closerSchedule: events.Rule;
  /** Dashboard, alarms and alarm topic. */
  readonly monitoring: PipelineMonitoring;

  private readonly props: DStreamPipelineProps;
  private readonly removalPolicy: RemovalPolicy;
  private readonly logGroups: logs.LogGroup[] = [];

  constructor(scope: Construct, id: string, props: DStreamPipelineProps) {
    super(scope, id);
    validateProps(props);
    this.props = props;
    this.removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const { name, batchInterval } = props.pipeline;

    this.stream = props.stream ?? this.createStream();
    this.table = this.createTable();
    const ownsBuckets = !props.outputBucket || (props.failureDestination ?? 's3') === 's3';
    if ((props.serverAccessLogs ?? true) && ownsBuckets)
      this.accessLogsBucket = this.createAccessLogsBucket();
    this.outputBucket =
      props.outputBucket ?? this.createBucket('OutputBucket', 'output/', props.outputExpiration);

    this.handler = this.createFunction(
      'Handler',
      'handler',
      'map phase: decodes Kinesis records, writes partials, closes batches',
    );
    this.closer = this.createFunction(
      'Closer',
      'closer',
      'scheduled batch closer: closes batches of idle streams',
    );
    for (const fn of [this.handler, this.closer]) {
      this.table.grantReadWriteData(fn);
      this.outputBucket.grantPut(fn);
      // Batches wait for every open shard (DSTREAM_STREAM_NAME), not only those seen so far.
      this.stream.grant(fn, 'kinesis:ListShards');
    }

    const failures = this.createFailureDestination();
    this.failureBucket = failures.bucket;
    this.failureQueue = failures.queue;
    this.eventSource = this.createEventSource(failures.destination);
    this.closerSchedule = this.createCloserSchedule();

    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      pipelineName: name,
      stream: this.stream,
      handler: this.handler,
      closer: this.closer,
      table: this.table,
      logGroups: this.logGroups,
      alarmEmail: props.alarmEmail,
      iteratorAgeAlarmThreshold:
        props.iteratorAgeAlarmThreshold ?? defaultIteratorAgeThreshold(batchInterval),
      closerBehindAlarmThreshold:
        props.closerBehindAlarmThreshold ??
        defaultCloserBehindThreshold(batchInterval, props.pipeline.allowedLateness ?? batchInterval + 1),
      userMetrics: props.userMetrics,
      removalPolicy: this.removalPolicy,
    });
    this.suppressNagFindings();
  }

  private createFailureDestination(): {
    destination: lambda.IEventSourceDlq;
    bucket?: s3.Bucket;
    queue?: sqs.Queue;
  } {
    if ((this.props.failureDestination ?? 's3') === 's3') {
      const bucket = this.createBucket('FailureBucket', 'failures/', this.failedRecordsRetention());
      return { destination: new S3FailedRecordsDestination(bucket), bucket };
    }
    const queue = this.createFailureQueue();
    return { destination: new SqsDlq(queue), queue };
  }

  private createEventSource(onFailure: lambda.IEventSourceDlq): KinesisEventSource {
    const props = this.props;
    const eventSource = new KinesisEventSource(this.stream, {
      startingPosition: props.startingPosition ?? lambda.StartingPosition.TRIM_HORIZON,
      batchSize: props.batchSize ?? DEFAULT_BATCH_SIZE,
      maxBatchingWindow:
        props.maxBatchingWindow ??
        Duration.seconds(defaultBatchingWindowSeconds(props.pipeline.batchInterval)),
      parallelizationFactor: props.parallelizationFactor ?? 1,
      retryAttempts: props.retryAttempts ?? DEFAULT_RETRY_ATTEMPTS,
      maxRecordAge: props.maxRecordAge ?? DEFAULT_MAX_RECORD_AGE,
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      onFailure,
    });
    this.handler.addEventSource(eventSource);
    return eventSource;
  }

  private createCloserSchedule(): events.Rule {
    const minutes = closerScheduleMinutes(this.props.pipeline.batchInterval);
    const period = Duration.minutes(minutes);
    // A missed tick is not retried by EventBridge; Lambda retries a tick throttled by the
    // concurrency limit (the previous run still finishing) for at most one period, never past it.
    this.closer.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: period });
    return new events.Rule(this, 'CloserSchedule', {
      description: `Runs the ${this.props.pipeline.name} batch closer every ${minutes} minute(s); each run closes batches every batch interval until the next, so an idle stream still closes its batches and windows`,
      schedule: events.Schedule.rate(period),
      targets: [new targets.LambdaFunction(this.closer, { retryAttempts: 0, maxEventAge: period })],
    });
  }

  private createStream(): kinesis.Stream {
    const { shardCount, streamName } = this.props;
    return new kinesis.Stream(this, 'Stream', {
      streamName: streamName ?? `dstream-${this.props.pipeline.name}`,
      streamMode: shardCount === undefined ? kinesis.StreamMode.ON_DEMAND : kinesis.StreamMode.PROVISIONED,
      shardCount,
      encryption: kinesis.StreamEncryption.MANAGED,
      retentionPeriod: CREATED_STREAM_RETENTION,
      removalPolicy: this.removalPolicy,
    });
  }

  private createTable(): dynamodb.Table {
    return new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: this.removalPolicy,
    });
  }

  private createAccessLogsBucket(): s3.Bucket {
    return new s3.Bucket(this, 'AccessLogsBucket', {
      // Server access logs can only be delivered to a bucket with S3-managed encryption.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        { expiration: Duration.days(90), abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: this.removalPolicy,
      autoDeleteObjects: this.removalPolicy === RemovalPolicy.DESTROY,
    });
  }

  private createBucket(id: string, logPrefix: string, expiration?: Duration): s3.Bucket {
    return new s3.Bucket(this, id, {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(1), expiration }],
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: this.accessLogsBucket ? logPrefix : undefined,
      removalPolicy: this.removalPolicy,
      autoDeleteObjects: this.removalPolicy === RemovalPolicy.DESTROY,
    });
  }

  private createFailureQueue(): sqs.Queue {
    return new sqs.Queue(this, 'FailureQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: this.failedRecordsRetention(),
      removalPolicy: this.removalPolicy,
    });
  }

  private failedRecordsRetention(): Duration {
    return this.props.failedRecordsRetention ?? Duration.days(14);
  }

  // One role and one log group per function, so each gets only its own grants (no managed policy).
  private createFunction(id: string, exportName: 'handler' | 'closer', purpose: string): NodejsFunction {
    const { name, directory } = this.props.pipeline;
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${name} ${exportName}: ${purpose}`,
    });
    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      retention: this.props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: this.removalPolicy,
    });
    logGroup.grantWrite(role);
    this.logGroups.push(logGroup);
    const isCloser = exportName === 'closer';
    const batchInterval = this.props.pipeline.batchInterval;
    return new NodejsFunction(this, id, {
      description: `${name} ${exportName}: ${purpose}`,
      entry: join(directory, 'index.ts'),
      handler: exportName,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: this.props.memorySize ?? 1024,
      timeout: isCloser
        ? (this.props.closerTimeout ?? defaultCloserTimeout(batchInterval))
        : (this.props.timeout ?? Duration.minutes(1)),
      reservedConcurrentExecutions: isCloser && (this.props.limitCloserConcurrency ?? true) ? 1 : undefined,
      role,
      logGroup,
      environment: {
        DSTREAM_PIPELINE: name,
        DSTREAM_TABLE: this.table.tableName,
        DSTREAM_BUCKET: this.outputBucket.bucketName,
        DSTREAM_STREAM_NAME: this.stream.streamName,
        DSTREAM_STREAM_ARN: this.stream.streamArn,
        POWERTOOLS_SERVICE_NAME: name,
        POWERTOOLS_METRICS_NAMESPACE: ENGINE_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        // The looping closer closes every batch and keeps its state warm; a handler container that
        // closed one would load the state cold.
        ...(isCloser
          ? { DSTREAM_CLOSER_SCHEDULE_SECONDS: String(closerScheduleMinutes(batchInterval) * 60) }
          : { DSTREAM_CLOSE_AFTER_MAP: 'false' }),
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        // Local esbuild (a devDependency): no Docker. The SDK is bundled so its version is the lockfile's.
        forceDockerBundling: false,
        bundleAwsSDK: true,
        minify: true,
        sourceMap: true,
        target: 'node22',
        format: OutputFormat.CJS,
        logLevel: LogLevel.WARNING,
      },
    });
  }

  // cdk-nag (AwsSolutions) findings that are accepted, each with its reason. cdk-nag v3 reads
  // acknowledgments from CDK's Validations; each wildcard finding is acknowledged by its own id.
  private suppressNagFindings(): void {
    const objects = (bucket: s3.IBucket) =>
      `AwsSolutions-IAM5[Resource::${nagResource(this, bucket.arnForObjects('*'))}]`;
    for (const fn of [this.handler, this.closer]) {
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions-L1',
        reason: 'Node.js 22 is the runtime the project targets and tests; move to a newer one deliberately.',
      });
    }
    const writers: [iam.IRole, s3.IBucket[]][] = [
      [
        this.handler.role as iam.IRole,
        [this.outputBucket, ...(this.failureBucket ? [this.failureBucket] : [])],
      ],
      [this.closer.role as iam.IRole, [this.outputBucket]],
    ];
    for (const [role, buckets] of writers) {
      Validations.of(role).acknowledge(
        {
          id: 'AwsSolutions-IAM5[Action::s3:Abort*]',
          reason:
            'From bucket.grantPut: aborting an interrupted multipart upload of an object the function writes, in these buckets only.',
        },
        ...buckets.map((b) => ({
          id: objects(b),
          reason:
            "From bucket.grantPut: output and failed-record object keys carry batch times and shard ids unknown at deploy time; the grant is limited to this bucket's objects.",
        })),
      );
    }
    if (this.accessLogsBucket) {
      Validations.of(this.accessLogsBucket).acknowledge({
        id: 'AwsSolutions-S1',
        reason:
          'This is the server access log bucket of the other buckets; logging its own access would recurse.',
      });
    }
    if (this.failureQueue) {
      Validations.of(this.failureQueue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is itself the dead-letter (on-failure) destination of the Kinesis event source mapping.',
      });
    }
  }
}

// A resource ARN as cdk-nag prints it in IAM5 findings (e.g. `<OutputBucket1234.Arn>/*`).
function nagResource(scope: Construct, arn: string | IResolvable): string {
  return flattenCfnReference(Stack.of(scope).resolve(arn));
}

function validateProps(props: DStreamPipelineProps): void {
  const { name, batchInterval } = props.pipeline;
  const fail = (msg: string) => {
    throw new PipelineConfigError(`DStreamPipeline "${name}": ${msg}`);
  };
  if (!(Number.isFinite(batchInterval) && batchInterval > 0))
    fail(`batchInterval must be a positive number of seconds, got ${batchInterval}.`);
  if (props.stream && (props.streamName !== undefined || props.shardCount !== undefined)) {
    fail(
      'streamName and shardCount describe a created stream: leave them out when passing an existing stream.',
    );
  }
  checkInt(fail, 'shardCount', props.shardCount, 1, 10000);
  checkInt(fail, 'batchSize', props.batchSize, 1, 10000);
  checkInt(fail, 'parallelizationFactor', props.parallelizationFactor, 1, 10);
  if ((props.parallelizationFactor ?? 1) > 1) {
    fail(
      `parallelizationFactor ${props.parallelizationFactor} is not supported: Lambda would run one shard's records ` +
        'concurrently, split by partition key, but the map phase commits a shard in sequence order (each commit ' +
        "starts where the previous one ended), so one invocation's commit would cover and drop another's records. " +
        'Leave it at 1 and add shards (or use an on-demand stream) for throughput.',
    );
  }
  if (props.retryAttempts === -1)
    fail('retryAttempts -1 means infinite retries: one bad record would block its shard. Give 0 to 10000.');
  checkInt(fail, 'retryAttempts', props.retryAttempts, 0, 10000);
  const window = props.maxBatchingWindow;
  if (window && !window.isUnresolved() && window.toSeconds() > 300)
    fail(`maxBatchingWindow must be at most 300 seconds, got ${window.toSeconds()}.`);
  const age = props.maxRecordAge;
  if (age && !age.isUnresolved()) {
    const s = age.toSeconds();
    if (s < 60 || s > 604800)
      fail(`maxRecordAge must be between 60 seconds and 7 days (infinite is not allowed), got ${s} seconds.`);
    if (!props.stream && s > CREATED_STREAM_RETENTION.toSeconds()) {
      fail(
        `maxRecordAge (${s} s) exceeds the created stream's retention (${CREATED_STREAM_RETENTION.toSeconds()} s).`,
      );
    }
  }
  const retention = props.failedRecordsRetention;
  if (
    props.failureDestination === 'sqs' &&
    retention &&
    !retention.isUnresolved() &&
    retention.toSeconds() > 1209600
  ) {
    fail(
      `failedRecordsRetention must be at most 14 days with an SQS failure destination, got ${retention.toHumanString()}.`,
    );
  }
  if (
    props.failureDestination !== undefined &&
    props.failureDestination !== 's3' &&
    props.failureDestination !== 'sqs'
  ) {
    fail(`failureDestination must be 's3' or 'sqs', got ${JSON.stringify(props.failureDestination)}.`);
  }
}

function checkInt(
  fail: (msg: string) => void,
  prop: string,
  value: number | undefined,
  min: number,
  max: number,
): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max)
    fail(`${prop} must be an integer from ${min} to ${max}, got ${value}.`);
}

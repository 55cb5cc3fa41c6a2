import { resolve } from 'node:path';
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { FailureDestination } from './dstream-pipeline';
import { PipelineConfigError } from './errors';
import { DEFAULT_FUNCTIONS_DIR, loadPipeline } from './load-pipeline';
import { DStreamPipelineStack, stackNameFor } from './pipeline-stack';

/**
 * Context keys the app reads (`npx cdk deploy -c key=value`):
 * - `pipeline` (required): the pipeline's folder under functions/;
 * - `functionsDir`: another folder of pipelines, relative to the working directory (tests use a fixture);
 * - `alarmEmail`: subscribe this address to the alarm topic;
 * - `removalPolicy`: `retain` (default) or `destroy` (delete data with the stack, e.g. on LocalStack);
 * - `failureDestination`: `s3` (default) or `sqs`;
 * - `shardCount`: create a provisioned stream with this many shards instead of an on-demand one.
 */
export const CONTEXT_KEYS = [
  'pipeline',
  'functionsDir',
  'alarmEmail',
  'removalPolicy',
  'failureDestination',
  'shardCount',
] as const;

const REMOVAL_POLICIES: Record<string, RemovalPolicy> = {
  retain: RemovalPolicy.RETAIN,
  destroy: RemovalPolicy.DESTROY,
};

/**
 * Adds the stack of the pipeline chosen by context to `app`, with cdk-nag's AwsSolutions checks
 * as a validation plugin (cdk-nag v3 runs through CDK's `Validations`, no longer as an Aspect):
 * an unacknowledged error fails the synth. The environment is the CLI's default account and
 * region (us-east-1 when none), so synth needs no credentials and makes no lookups.
 * @example const app = new App(); await buildApp(app); app.synth();
 */
export async function buildApp(app: App): Promise<DStreamPipelineStack> {
  const ctx = (key: (typeof CONTEXT_KEYS)[number]): string | undefined => {
    const v: unknown = app.node.tryGetContext(key);
    return v === undefined || v === null || v === '' ? undefined : String(v);
  };
  const functionsDir = ctx('functionsDir') ? resolve(ctx('functionsDir') as string) : DEFAULT_FUNCTIONS_DIR;
  const pipeline = await loadPipeline(functionsDir, ctx('pipeline'));
  const removal = ctx('removalPolicy') ?? 'retain';
  if (!(removal in REMOVAL_POLICIES)) {
    throw new PipelineConfigError(`Context removalPolicy must be "retain" or "destroy", got "${removal}".`);
  }
  const failureDestination = (ctx('failureDestination') ?? 's3') as FailureDestination;
  const shardCount = shardCountOf(ctx('shardCount'));
  const stack = new DStreamPipelineStack(app, stackNameFor(pipeline.name), {
    pipeline,
    description: `DStream pipeline ${pipeline.name} (batch interval ${pipeline.batchInterval} s): Kinesis -> Lambda -> DynamoDB -> S3 + CloudWatch`,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION ?? 'us-east-1' },
    pipelineProps: {
      alarmEmail: ctx('alarmEmail'),
      removalPolicy: REMOVAL_POLICIES[removal],
      failureDestination,
      shardCount,
    },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return stack;
}

/** The `shardCount` context as a number of shards, or a clear error. */
function shardCountOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!(Number.isInteger(n) && n >= 1 && n <= 10000)) {
    throw new PipelineConfigError(
      `Context shardCount must be a whole number of shards from 1 to 10000 (e.g. -c shardCount=2), got "${value}". Leave it out for an on-demand stream.`,
    );
  }
  return n;
}

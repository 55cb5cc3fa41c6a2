import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { buildApp } from '../../infra/build-app';
import { PipelineConfigError, PipelineLoadError, PipelineNotFoundError } from '../../infra/errors';
import { availablePipelines, DEFAULT_FUNCTIONS_DIR, loadPipeline } from '../../infra/load-pipeline';
import { stackNameFor } from '../../infra/pipeline-stack';
import { FIXTURE_FUNCTIONS_DIR, newApp, ROOT } from './support';

describe('buildApp', () => {
  test('adds one stack, DStream-<name>, for the pipeline chosen by context, with its outputs', async () => {
    const app = newApp({ pipeline: 'demo', functionsDir: FIXTURE_FUNCTIONS_DIR });
    const stack = await buildApp(app);
    expect(stack.stackName).toBe('DStream-demo');
    expect(stack.region).toBe(process.env.CDK_DEFAULT_REGION ?? 'us-east-1');
    const template = Template.fromStack(stack);
    for (const output of [
      'StreamName',
      'OutputBucketName',
      'TableName',
      'HandlerFunctionName',
      'DashboardUrl',
      'FailureDestination',
      'HandlerLogGroupName',
      'CloserLogGroupName',
    ]) {
      template.hasOutput(output, {});
    }
    template.hasOutput('StreamName', {
      Value: { Ref: stack.resolve(stack.getLogicalId(stack.pipeline.stream.node.defaultChild as never)) },
    });
    // The nag plugin is registered on the app, and the stack passes it: synth does not throw.
    expect(app.synth().getStackByName('DStream-demo').templateFile).toBe('DStream-demo.template.json');
  });

  test('fails the synth when a resource breaks an AwsSolutions rule (the checks run in the app)', async () => {
    const app = newApp({ pipeline: 'demo', functionsDir: FIXTURE_FUNCTIONS_DIR });
    const stack = await buildApp(app);
    new Bucket(stack, 'Unencrypted', { enforceSSL: false });
    expect(() => app.synth()).toThrow(/AwsSolutions-S1|AwsSolutions-S10/);
  });

  test('passes alarmEmail, removalPolicy, failureDestination and shardCount from context', async () => {
    const app = newApp({
      pipeline: 'demo',
      functionsDir: FIXTURE_FUNCTIONS_DIR,
      alarmEmail: 'me@example.com',
      removalPolicy: 'destroy',
      failureDestination: 'sqs',
      shardCount: '2',
    });
    const template = Template.fromStack(await buildApp(app));
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      ShardCount: 2,
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'me@example.com',
    });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    template.resourceCountIs('AWS::SQS::Queue', 1);
  });

  test.each(['abc', '1.5', '0', '-3'])(
    'rejects shardCount=%s, saying what a shard count is',
    async (value) => {
      const app = newApp({ pipeline: 'demo', functionsDir: FIXTURE_FUNCTIONS_DIR, shardCount: value });
      await expect(buildApp(app)).rejects.toThrow(
        `Context shardCount must be a whole number of shards from 1 to 10000 (e.g. -c shardCount=2), got "${value}".`,
      );
    },
  );

  test('rejects an unknown removalPolicy', async () => {
    const app = newApp({ pipeline: 'demo', functionsDir: FIXTURE_FUNCTIONS_DIR, removalPolicy: 'snapshot' });
    await expect(buildApp(app)).rejects.toThrow(PipelineConfigError);
  });

  test('stack names replace _ (not allowed in stack names) with -', () => {
    expect(stackNameFor('word_count')).toBe('DStream-word-count');
  });
});

describe('loadPipeline', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'dstream-infra-'));
    mkdirSync(join(tmp, 'no-index'));
    writeFileSync(
      join(tmp, 'no-index', 'pipeline.ts'),
      "export default { name: 'no-index', batchInterval: 1 };\n",
    );
    mkdirSync(join(tmp, 'bad-window'));
    writeFileSync(
      join(tmp, 'bad-window', 'pipeline.ts'),
      `import { definePipeline } from ${JSON.stringify(join(ROOT, 'lib'))};\n` +
        "export default definePipeline({ name: 'bad-window', batchInterval: 1 }, (ssc) => ssc.kinesisTextStream().window(1.5, 1).pprint());\n",
    );
    writeFileSync(join(tmp, 'bad-window', 'index.ts'), 'export const handler = 1;\n');
    mkdirSync(join(tmp, 'look-alikes'));
    writeFileSync(
      join(tmp, 'look-alikes', 'pipeline.ts'),
      `import { definePipeline } from ${JSON.stringify(join(ROOT, 'lib'))};\n` +
        "export default definePipeline({ name: 'look-alikes', batchInterval: 1 }, (ssc) => {\n" +
        '  const pairs = ssc.kinesisTextStream().map((w) => [w, 1] as [string, number]);\n' +
        '  pairs.updateStateByKey((vs: number[], s?: number) => (s ?? 0) + vs.length).pprint();\n' +
        '  pairs.updateStateByKey((vs: number[], s?: number) => Math.max(s ?? 0, vs.length)).pprint();\n' +
        '});\n',
    );
    writeFileSync(join(tmp, 'look-alikes', 'index.ts'), 'export const handler = 1;\n');
    mkdirSync(join(tmp, 'bad-export'));
    writeFileSync(join(tmp, 'bad-export', 'pipeline.ts'), 'export default 42;\n');
    writeFileSync(join(tmp, 'bad-export', 'index.ts'), 'export const handler = 1;\n');
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  test("reads name and batch interval from pipeline.ts's default export", async () => {
    await expect(loadPipeline(FIXTURE_FUNCTIONS_DIR, 'demo')).resolves.toEqual({
      name: 'demo',
      batchInterval: 2,
      directory: join(FIXTURE_FUNCTIONS_DIR, 'demo'),
    });
  });

  test("reads the allowed lateness of a definePipeline pipeline (the closer-behind alarm's default)", async () => {
    await expect(loadPipeline(DEFAULT_FUNCTIONS_DIR, 'network-wordcount')).resolves.toMatchObject({
      name: 'network-wordcount',
      batchInterval: 1,
      allowedLateness: 2,
    });
  });

  test('lists only folders with both pipeline.ts and index.ts', () => {
    expect(availablePipelines(FIXTURE_FUNCTIONS_DIR)).toEqual(['demo']);
    expect(availablePipelines(tmp)).toEqual(['bad-export', 'bad-window', 'look-alikes']);
    expect(availablePipelines(join(tmp, 'missing'))).toEqual([]);
  });

  test.each<[string, string | undefined, RegExp]>([
    [
      'no pipeline is chosen',
      undefined,
      /No pipeline chosen: .*-c pipeline=network-wordcount.*Available pipelines in .*: demo\./,
    ],
    [
      'the folder does not exist',
      'nope',
      /Pipeline "nope" not found: there is no folder .*nope\. Available pipelines in .*: demo\./,
    ],
    ['the name is a path', '../demo', /is not a folder name.*Available pipelines in .*: demo\./],
  ])('explains, with the available pipelines, when %s', async (_case, folder, message) => {
    const err = await loadPipeline(FIXTURE_FUNCTIONS_DIR, folder).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineNotFoundError);
    expect((err as Error).message).toMatch(message);
  });

  test('explains a folder without index.ts', async () => {
    await expect(loadPipeline(tmp, 'no-index')).rejects.toThrow(
      /has no index\.ts .*exports handler and closer/,
    );
  });

  test('explains a default export without name and batchInterval', async () => {
    await expect(loadPipeline(tmp, 'bad-export')).rejects.toThrow(
      /must default-export a pipeline with a string name and a numeric batchInterval/,
    );
  });

  test("refuses an invalid pipeline with definePipeline's message (window 1.5 s on a 1 s batch)", async () => {
    const err = await loadPipeline(tmp, 'bad-window').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineLoadError);
    expect((err as Error).message).toBe(
      `${join(tmp, 'bad-window', 'pipeline.ts')} cannot be loaded: pipeline 'bad-window' is invalid: window duration (1.5 s) must be a multiple of the batch interval of its parent stream (1 s). Choose window duration as k * 1 s, e.g. 2 s.`,
    );
    await expect(buildApp(newApp({ pipeline: 'bad-window', functionsDir: tmp }))).rejects.toThrow(
      PipelineLoadError,
    );
  });

  test('refuses look-alike stateful streams without names (their state could be swapped later)', async () => {
    const err = await loadPipeline(tmp, 'look-alikes').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineLoadError);
    expect((err as Error).message).toMatch(
      /look-alikes[/\\]pipeline\.ts: pipeline 'look-alikes' cannot be deployed: updateStateByKey@[0-9a-f]{10} holds state and looks like another stream of the pipeline .* Name it \(and its look-alike\): \.named\('\.\.\.'\)\./,
    );
  });

  test('says when there are no pipelines at all', async () => {
    await expect(loadPipeline(join(tmp, 'missing'), 'x')).rejects.toThrow(/There are no pipelines in .* yet/);
  });
});

describe('npx cdk synth (the CLI, cdk.json, infra/app.ts), offline, without credentials or Docker', () => {
  let out: string;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
  for (const k of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'CDK_DEFAULT_ACCOUNT',
  ])
    delete env[k];
  const cdk = (...args: string[]) =>
    spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk'), ...args, '--no-notices', '-o', out],
      {
        cwd: ROOT,
        env,
        encoding: 'utf8',
        timeout: 120000,
      },
    );
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'dstream-cdk-out-'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  test('synthesizes the chosen pipeline with the nag checks passing', () => {
    const r = cdk(
      'synth',
      '--quiet',
      '-c',
      'pipeline=demo',
      '-c',
      'functionsDir=test/infra/fixtures/functions',
    );
    expect(r.stderr).not.toMatch(/AwsSolutions-/);
    expect(r.status).toBe(0);
    const template = JSON.parse(readFileSync(join(out, 'DStream-demo.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string }>;
    };
    expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function')).toHaveLength(
      2,
    );
  });

  test('fails with the list of available pipelines when the folder does not exist', () => {
    const r = cdk(
      'synth',
      '--quiet',
      '-c',
      'pipeline=nope',
      '-c',
      'functionsDir=test/infra/fixtures/functions',
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('Pipeline "nope" not found');
    expect(r.stderr).toContain(': demo.');
    expect(existsSync(join(out, 'DStream-nope.template.json'))).toBe(false);
  });

  test("refuses an invalid pipeline (window(1.5, 1) on a 1 s batch) with definePipeline's message", () => {
    const dir = mkdtempSync(join(tmpdir(), 'dstream-invalid-'));
    try {
      mkdirSync(join(dir, 'bad'));
      writeFileSync(
        join(dir, 'bad', 'pipeline.ts'),
        `import { definePipeline } from ${JSON.stringify(join(ROOT, 'lib'))};\n` +
          "export default definePipeline({ name: 'bad', batchInterval: 1 }, (ssc) => ssc.kinesisTextStream().window(1.5, 1).pprint());\n",
      );
      writeFileSync(join(dir, 'bad', 'index.ts'), 'export const handler = 1;\n');
      const r = cdk('synth', '--quiet', '-c', 'pipeline=bad', '-c', `functionsDir=${dir}`);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(
        "pipeline 'bad' is invalid: window duration (1.5 s) must be a multiple of the batch interval of its parent stream (1 s).",
      );
      expect(existsSync(join(out, 'DStream-bad.template.json'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

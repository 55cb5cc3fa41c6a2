import { execFile, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  CreateTableCommand,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { ListStreamsCommand, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, ListBucketsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { dynamoClient, kinesisClient, s3Client } from '../../lib/local/clients';
import { ensureBucket, ensureStream, startEmulators } from '../../lib/local/emulators';
import type { Emulators } from '../../lib/local/emulators';
import { liveResources, readStream } from './fixtures';

function clientsFor(e: Emulators) {
  return {
    kinesis: kinesisClient({ endpoint: e.kinesisEndpoint }),
    dynamo: dynamoClient({ endpoint: e.dynamoEndpoint }),
    s3: s3Client({ endpoint: e.s3Endpoint }),
  };
}

function tempDirsNamed(prefix: string): string[] {
  return fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith(prefix));
}

describe('startEmulators', () => {
  test('starts kinesalite, dynalite and s3rver on 127.0.0.1, each answering its API', async () => {
    const emulators = await startEmulators();
    const { kinesis, dynamo, s3 } = clientsFor(emulators);
    try {
      for (const endpoint of [emulators.kinesisEndpoint, emulators.dynamoEndpoint, emulators.s3Endpoint]) {
        expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      }
      expect((await kinesis.send(new ListStreamsCommand({}))).StreamNames).toEqual([]);
      expect((await dynamo.send(new ListTablesCommand({}))).TableNames).toEqual([]);
      expect((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).toEqual([]);
    } finally {
      for (const c of [kinesis, dynamo, s3]) c.destroy();
      await emulators.stop();
    }
  });

  test('stop closes every server, removes the temporary S3 directory, and can be called twice', async () => {
    const before = liveResources().length;
    const dirsBefore = tempDirsNamed('dstream-s3-').length;
    const emulators = await startEmulators();
    const { kinesis, dynamo, s3 } = clientsFor(emulators);
    await kinesis.send(new ListStreamsCommand({}));
    await dynamo.send(new ListTablesCommand({}));
    await ensureBucket(s3, 'bucket-one');
    expect(tempDirsNamed('dstream-s3-').length).toBe(dirsBefore + 1);
    for (const c of [kinesis, dynamo, s3]) c.destroy();

    await emulators.stop();
    await emulators.stop();

    expect(tempDirsNamed('dstream-s3-').length).toBe(dirsBefore);
    await new Promise((r) => setImmediate(r));
    expect(liveResources().length).toBeLessThanOrEqual(before);
    const probe = kinesisClient({ endpoint: emulators.kinesisEndpoint, maxAttempts: 1 });
    await expect(probe.send(new ListStreamsCommand({}))).rejects.toThrow(/ECONNREFUSED/);
    probe.destroy();
  });

  test('starts only the services asked for', async () => {
    const emulators = await startEmulators({ services: ['dynamodb'] });
    try {
      expect(emulators.kinesisEndpoint).toBe('');
      expect(emulators.s3Endpoint).toBe('');
      expect(emulators.dynamoEndpoint).toMatch(/^http:/);
    } finally {
      await emulators.stop();
    }
  });

  test('with dataDir, streams, tables and objects survive a restart', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dstream-data-test-'));
    try {
      let emulators = await startEmulators({ dataDir });
      let c = clientsFor(emulators);
      try {
        await ensureStream(c.kinesis, 'kept', 1);
        await c.kinesis.send(
          new PutRecordCommand({ StreamName: 'kept', PartitionKey: 'k', Data: Buffer.from('hello') }),
        );
        await c.dynamo.send(
          new CreateTableCommand({
            TableName: 'kept',
            KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
            AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
            BillingMode: 'PAY_PER_REQUEST',
          }),
        );
        // A new table is CREATING for a moment (on the emulator as on DynamoDB): wait until it is ACTIVE.
        await waitUntilTableExists(
          { client: c.dynamo, maxWaitTime: 30, minDelay: 0.02, maxDelay: 1 },
          { TableName: 'kept' },
        );
        await c.dynamo.send(
          new PutItemCommand({ TableName: 'kept', Item: { pk: { S: 'a' }, v: { N: '1' } } }),
        );
        await ensureBucket(c.s3, 'kept-bucket');
        await c.s3.send(new PutObjectCommand({ Bucket: 'kept-bucket', Key: 'a/b.txt', Body: 'object body' }));
      } finally {
        // Stopped whatever happened: a failed step must not leave servers behind (jest would not exit).
        for (const client of Object.values(c)) client.destroy();
        await emulators.stop();
      }

      emulators = await startEmulators({ dataDir });
      c = clientsFor(emulators);
      try {
        const records = [...(await readStream(c.kinesis, 'kept')).values()].flat();
        expect(records.map((r) => r.text)).toEqual(['hello']);
        const item = await c.dynamo.send(new GetItemCommand({ TableName: 'kept', Key: { pk: { S: 'a' } } }));
        expect(item.Item?.v).toEqual({ N: '1' });
        const object = await c.s3.send(new GetObjectCommand({ Bucket: 'kept-bucket', Key: 'a/b.txt' }));
        expect(await object.Body?.transformToString()).toBe('object body');
      } finally {
        for (const client of Object.values(c)) client.destroy();
        await emulators.stop();
      }
      expect(fs.existsSync(path.join(dataDir, 's3'))).toBe(true);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('ensureStream and ensureBucket', () => {
  let emulators: Emulators;
  beforeAll(async () => {
    emulators = await startEmulators({ services: ['kinesis', 's3'] });
  });
  afterAll(() => emulators.stop());

  test('ensureStream creates an ACTIVE stream and is idempotent (an existing stream is kept)', async () => {
    const kinesis = kinesisClient({ endpoint: emulators.kinesisEndpoint });
    try {
      const created = await ensureStream(kinesis, 'twice', 2);
      expect(created).toEqual({
        streamName: 'twice',
        streamArn: expect.stringMatching(/^arn:aws:kinesis:[a-z0-9-]+:\d+:stream\/twice$/),
        shardCount: 2,
      });
      await expect(ensureStream(kinesis, 'twice', 3)).resolves.toEqual(created);
      await expect(ensureStream(kinesis, 'bad', 0)).rejects.toThrow(/positive integer/);
    } finally {
      kinesis.destroy();
    }
  });

  test('ensureBucket creates a bucket once and accepts it again; a bad name gets a clear error', async () => {
    const s3 = s3Client({ endpoint: emulators.s3Endpoint });
    try {
      await ensureBucket(s3, 'results');
      await ensureBucket(s3, 'results');
      const { Buckets = [] } = await s3.send(new ListBucketsCommand({}));
      expect(Buckets.map((b) => b.Name)).toEqual(['results']);
      await expect(ensureBucket(s3, 'x')).rejects.toThrow(/Could not create bucket 'x'.*3 to 63 characters/);
    } finally {
      s3.destroy();
    }
  });
});

describe('the S3 emulator accepts any credentials, as LocalStack does', () => {
  let emulators: Emulators;
  beforeAll(async () => {
    emulators = await startEmulators({ services: ['s3'] });
  });
  afterAll(() => emulators.stop());

  test('an SDK client with keys s3rver has never heard of creates, writes, lists and reads', async () => {
    const s3 = s3Client({
      endpoint: emulators.s3Endpoint,
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCY' },
    });
    try {
      await ensureBucket(s3, 'any-keys');
      await s3.send(new PutObjectCommand({ Bucket: 'any-keys', Key: 'a.txt', Body: 'hello' }));
      expect((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toContain('any-keys');
      const object = await s3.send(new GetObjectCommand({ Bucket: 'any-keys', Key: 'a.txt' }));
      expect(await object.Body?.transformToString()).toBe('hello');
    } finally {
      s3.destroy();
    }
  });

  const awsCli = spawnSync('aws', ['--version'], { encoding: 'utf8' });
  const withCli = awsCli.status === 0 ? test : test.skip;
  withCli(
    `aws s3 (${(awsCli.stdout || awsCli.stderr || 'not installed').trim().split(' ')[0]}) with arbitrary keys: cp and ls work`,
    async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dstream-awscli-'));
      const file = path.join(dir, 'hello.txt');
      fs.writeFileSync(file, 'hello from the aws cli\n');
      const env = {
        PATH: process.env.PATH,
        HOME: dir,
        AWS_ACCESS_KEY_ID: 'someone-else',
        AWS_SECRET_ACCESS_KEY: 'not-S3RVER',
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
      };
      const aws = (...args: string[]) =>
        new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
          execFile(
            'aws',
            [...args, '--endpoint-url', emulators.s3Endpoint],
            { env, timeout: 30_000 },
            (err, stdout, stderr) =>
              resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
          ),
        );
      try {
        expect(await aws('s3', 'mb', 's3://cli-bucket')).toMatchObject({ code: 0 });
        expect(await aws('s3', 'cp', file, 's3://cli-bucket/hello.txt')).toMatchObject({ code: 0 });
        const listed = await aws('s3', 'ls', 's3://cli-bucket/');
        expect(listed).toMatchObject({ code: 0, stderr: '' });
        expect(listed.stdout).toMatch(/ 23 hello\.txt\n$/);
        const buckets = await aws('s3', 'ls');
        expect(buckets.stdout).toMatch(/ cli-bucket\n/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

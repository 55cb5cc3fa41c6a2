import { ThrottlingException } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { AdaptiveRetryStrategy } from '@smithy/core/retry';
import { startEmulators, type Emulators } from '../../lib/local/emulators';
import { createStateTable, DynamoDbStateStore } from '../../lib/state';
import {
  DEFAULT_MAX_ATTEMPTS,
  dynamoClient,
  kinesisClient,
  LOCAL_CREDENTIALS,
  resolveEndpoint,
  s3Client,
} from '../../lib/local/clients';

const ENV_KEYS = [
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_KINESIS',
  'AWS_ENDPOINT_URL_S3',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_PROFILE',
];

describe('client factories', () => {
  const saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    for (const k of ENV_KEYS) {
      saved[k] = process.env[k];
      delete process.env[k];
    }
  });
  afterEach(() => {
    for (const k of ENV_KEYS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  test('the endpoint comes from the option, else AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL', () => {
    expect(resolveEndpoint('KINESIS')).toBeUndefined();
    process.env.AWS_ENDPOINT_URL = 'http://localhost:4566';
    expect(resolveEndpoint('KINESIS')).toBe('http://localhost:4566');
    process.env.AWS_ENDPOINT_URL_KINESIS = 'http://127.0.0.1:4567';
    expect(resolveEndpoint('KINESIS')).toBe('http://127.0.0.1:4567');
    expect(resolveEndpoint('S3')).toBe('http://localhost:4566');
    expect(resolveEndpoint('KINESIS', 'http://10.0.0.1:1')).toBe('http://10.0.0.1:1');
  });

  test('with an endpoint and no credentials in the environment, clients use dummy credentials', async () => {
    const client = dynamoClient({ endpoint: 'http://127.0.0.1:1' });
    const credentials = await client.config.credentials();
    expect(credentials).toMatchObject(LOCAL_CREDENTIALS);
    expect(await client.config.region()).toBe('us-east-1');
    client.destroy();
  });

  test('credentials in the environment win over the dummy ones; region from AWS_REGION', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    process.env.AWS_REGION = 'eu-west-1';
    const client = dynamoClient({ endpoint: 'http://127.0.0.1:1' });
    expect((await client.config.credentials()).accessKeyId).toBe('AKIDEXAMPLE');
    expect(await client.config.region()).toBe('eu-west-1');
    client.destroy();
  });

  test('the Kinesis client speaks HTTP/1.1 (NodeHttpHandler), which emulators need', () => {
    const client = kinesisClient({ endpoint: 'http://127.0.0.1:1' });
    expect(client.config.requestHandler).toBeInstanceOf(NodeHttpHandler);
    client.destroy();
  });

  test('the S3 client uses path-style addressing only when an endpoint is set', () => {
    const local = s3Client({ endpoint: 'http://127.0.0.1:1' });
    const aws = s3Client();
    expect(local.config.forcePathStyle).toBe(true);
    expect(aws.config.forcePathStyle).toBeFalsy();
    local.destroy();
    aws.destroy();
  });
});

describe('throttling is retried by the clients (adaptive mode), once', () => {
  let emulators: Emulators;
  beforeAll(async () => {
    emulators = await startEmulators({ services: ['dynamodb'] });
  });
  afterAll(() => emulators.stop());

  test('every factory uses the adaptive retry mode with DEFAULT_MAX_ATTEMPTS, unless told otherwise', async () => {
    for (const make of [kinesisClient, dynamoClient, s3Client]) {
      const client = make({ endpoint: 'http://127.0.0.1:1' });
      expect(await client.config.maxAttempts()).toBe(DEFAULT_MAX_ATTEMPTS);
      expect(client.config.retryMode).toBe('adaptive');
      expect(await client.config.retryStrategy()).toBeInstanceOf(AdaptiveRetryStrategy);
      client.destroy();
    }
    const two = dynamoClient({ endpoint: 'http://127.0.0.1:1', maxAttempts: 2 });
    expect(await two.config.maxAttempts()).toBe(2);
    two.destroy();
  });

  test('a throttled DynamoDB request is resent by the client, and the store counts one request', async () => {
    const client = dynamoClient({ endpoint: emulators.dynamoEndpoint });
    let throttles = 0;
    let sent = 0;
    client.middlewareStack.add(
      (next) => async (args) => {
        sent++;
        if (throttles-- > 0) throw new ThrottlingException({ message: 'Rate exceeded', $metadata: {} });
        return next(args);
      },
      { step: 'deserialize', name: 'throttleOnce' },
    );
    try {
      await createStateTable(client, 'throttled');
      throttles = 1;
      sent = 0;
      const store = new DynamoDbStateStore({ client, tableName: 'throttled' });
      expect(await store.put({ pk: 'p', sk: 's', attrs: { n: 1 } })).toBe(true);
      expect(sent).toBe(2);
      expect(store.stats().totalRequests).toBe(1);
    } finally {
      client.destroy();
    }
  });
});

import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
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

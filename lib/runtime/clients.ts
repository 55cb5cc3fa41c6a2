/**
 * AWS SDK v3 client factories shared by the Lambda handler and the local tools.
 *
 * One place decides how a client finds its endpoint, region and credentials, so that the same
 * code talks to AWS in a Lambda, to the embedded emulators on a laptop, and to LocalStack:
 *
 * - endpoint: the `endpoint` option, else `AWS_ENDPOINT_URL_<SERVICE>` (`KINESIS`, `DYNAMODB`,
 *   `S3`), else `AWS_ENDPOINT_URL`, else the SDK's default (real AWS);
 * - region: the `region` option, else `AWS_REGION`, else `AWS_DEFAULT_REGION`, else `us-east-1`;
 * - credentials: the `credentials` option; else, when an endpoint is set and the environment
 *   names no credentials (`AWS_ACCESS_KEY_ID` or `AWS_PROFILE`), {@link LOCAL_CREDENTIALS};
 *   else the SDK's default provider chain;
 * - retries: the SDK's `adaptive` retry mode (exponential backoff with jitter, plus a client-side
 *   rate limiter that slows down while the service throttles), {@link DEFAULT_MAX_ATTEMPTS}
 *   attempts. Throttling is retried here and only here: the state store and the tools add no
 *   retry loop on top (only items a successful BatchWriteItem or PutRecords left unprocessed are
 *   resent by the caller, which the SDK cannot do).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Credentials the SDK accepts: a fixed identity or a provider of one. */
export type ClientCredentials = DynamoDBClientConfig['credentials'];

/** Options common to the three factories. Every field is optional. */
export interface ClientOptions {
  /**
   * Service endpoint, e.g. `http://127.0.0.1:4567` for an emulator.
   * @default `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL`, else the AWS endpoint
   */
  endpoint?: string;
  /** @default `AWS_REGION`, else `AWS_DEFAULT_REGION`, else `us-east-1` */
  region?: string;
  /**
   * @default {@link LOCAL_CREDENTIALS} when an endpoint is set and the environment names no
   * credentials; otherwise the SDK's default provider chain
   */
  credentials?: ClientCredentials;
  /** Attempts per request, including the first (the SDK's own retries). @default {@link DEFAULT_MAX_ATTEMPTS} */
  maxAttempts?: number;
}

/**
 * Attempts per request by default. With the adaptive mode's backoff for throttling (random up to
 * 0.5 s doubling, at most 20 s) that is about a minute of patience at most, before the error
 * reaches the handler (and Lambda retries the batch).
 */
export const DEFAULT_MAX_ATTEMPTS = 8;

/**
 * Dummy credentials for emulators: s3rver's built-in key pair. The embedded emulators accept any
 * key (kinesalite and dynalite by design, s3rver as lib/local/emulators.ts sets it up), as
 * LocalStack does; these are used when the environment names none.
 */
export const LOCAL_CREDENTIALS = Object.freeze({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });

/** Region used when neither the options nor the environment name one. */
export const DEFAULT_REGION = 'us-east-1';

type Service = 'KINESIS' | 'DYNAMODB' | 'S3';

/** The endpoint a client of `service` will use, or undefined for the SDK's default (real AWS). */
export function resolveEndpoint(service: Service, endpoint?: string): string | undefined {
  const value = endpoint ?? process.env[`AWS_ENDPOINT_URL_${service}`] ?? process.env.AWS_ENDPOINT_URL;
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** The region a client will use: the option, else the environment, else {@link DEFAULT_REGION}. */
export function resolveRegion(region?: string): string {
  return region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || DEFAULT_REGION;
}

function hasEnvironmentCredentials(): boolean {
  return Boolean(process.env.AWS_ACCESS_KEY_ID || process.env.AWS_PROFILE);
}

/** Endpoint, region, credentials and retries, resolved as the module comment describes. */
function baseConfig(service: Service, opts: ClientOptions) {
  const endpoint = resolveEndpoint(service, opts.endpoint);
  const credentials =
    opts.credentials ??
    (endpoint !== undefined && !hasEnvironmentCredentials() ? { ...LOCAL_CREDENTIALS } : undefined);
  return {
    region: resolveRegion(opts.region),
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(credentials !== undefined ? { credentials } : {}),
    retryMode: 'adaptive',
    maxAttempts: opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
  };
}

/**
 * A Kinesis client over HTTP/1.1. SDK v3's Kinesis client defaults to an HTTP/2 handler, which
 * kinesalite and other emulators do not speak; HTTP/1.1 works everywhere, AWS included.
 *
 * @example
 * const kinesis = kinesisClient({ endpoint: emulators.kinesisEndpoint });
 */
export function kinesisClient(opts: ClientOptions = {}): KinesisClient {
  return new KinesisClient({ ...baseConfig('KINESIS', opts), requestHandler: new NodeHttpHandler() });
}

/**
 * A DynamoDB client (low level: the state store marshals its items itself, lib/state/dynamodb-codec.ts).
 *
 * @example
 * const dynamo = dynamoClient({ endpoint: emulators.dynamoEndpoint });
 */
export function dynamoClient(opts: ClientOptions = {}): DynamoDBClient {
  return new DynamoDBClient(baseConfig('DYNAMODB', opts));
}

/**
 * An S3 client. With an endpoint set it uses path-style addressing (`http://host/bucket/key`),
 * since emulators cannot resolve virtual-host names like `bucket.127.0.0.1`.
 *
 * @example
 * const s3 = s3Client({ endpoint: emulators.s3Endpoint });
 */
export function s3Client(opts: ClientOptions = {}): S3Client {
  const config = baseConfig('S3', opts);
  return new S3Client({ ...config, ...('endpoint' in config ? { forcePathStyle: true } : {}) });
}

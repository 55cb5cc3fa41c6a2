/**
 * The SDK client factories, re-exported for local tools. They live in `lib/runtime/clients.ts`
 * because the Lambda handler builds its clients the same way (endpoint from `AWS_ENDPOINT_URL`,
 * HTTP/1.1 for Kinesis, path-style S3 against emulators).
 */
export {
  kinesisClient,
  dynamoClient,
  s3Client,
  resolveEndpoint,
  resolveRegion,
  LOCAL_CREDENTIALS,
  DEFAULT_REGION,
  DEFAULT_MAX_ATTEMPTS,
} from '../runtime/clients';
export type { ClientOptions, ClientCredentials } from '../runtime/clients';

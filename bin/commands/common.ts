/** Pieces shared by the `dstream` commands: the error type, client flags, small parsers. */
import { InvalidArgumentError } from 'commander';
import { resolveEndpoint, resolveRegion } from '../../lib/local/clients';

/**
 * An error for the user, not a bug: `main` prints its message (no stack) and exits with
 * `exitCode`.
 */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Flags every AWS-facing command takes. */
export interface AwsFlags {
  endpoint?: string;
  region?: string;
}

/** Where the clients will go, for messages: `http://127.0.0.1:4567 (us-east-1)` or `AWS us-east-1`. */
export function describeTarget(service: 'KINESIS' | 'DYNAMODB' | 'S3', flags: AwsFlags): string {
  const endpoint = resolveEndpoint(service, flags.endpoint);
  const region = resolveRegion(flags.region);
  return endpoint ? `${endpoint} (region ${region})` : `AWS region ${region}`;
}

/** Commander parser for a positive number option, e.g. `--rate 100`. */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`expected a positive number, got '${value}'.`);
  return n;
}

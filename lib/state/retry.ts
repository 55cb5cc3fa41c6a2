/** Bounded exponential backoff for throttled requests and unprocessed batch items. */

/** How often and how patiently to retry. */
export interface RetryPolicy {
  /** Attempts in all, the first included. @default 10 */
  maxAttempts: number;
  /** Upper bound of the first retry's delay; doubles per attempt. @default 25 */
  baseDelayMs: number;
  /** Upper bound of any one delay. @default 2000 */
  maxDelayMs: number;
}

/** The default policy: about 10 s of patience at most before giving up with a clear error. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 10, baseDelayMs: 25, maxDelayMs: 2000 };

/**
 * The delay before retry number `retry` (1 for the first retry): "full jitter", a random time up
 * to base * 2^(retry - 1), capped, so that throttled writers spread out instead of retrying in step.
 */
export function backoffDelayMs(retry: number, policy: RetryPolicy): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.random() * ceiling;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Error names DynamoDB (and the SDK) use for throttling. */
const THROTTLING_ERRORS: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
]);

/** Whether `error` says the request was throttled, so that retrying later will succeed. */
export function isThrottlingError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && THROTTLING_ERRORS.has((error as Error).name);
}

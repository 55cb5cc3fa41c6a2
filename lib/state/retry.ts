/**
 * How patiently the DynamoDB store resends the items a BatchWriteItem left unprocessed (the one
 * retry the SDK cannot do: the call succeeded). Throttled requests are retried by the SDK client
 * itself (adaptive retry mode, see lib/runtime/clients.ts), never again here.
 */
import { backoffDelay } from '../util/backoff';

/** How often and how patiently to resend unprocessed items. */
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

/** The delay before retry number `retry` (1 for the first retry), with full jitter. */
export function backoffDelayMs(retry: number, policy: RetryPolicy): number {
  return backoffDelay(retry, policy.baseDelayMs, policy.maxDelayMs);
}

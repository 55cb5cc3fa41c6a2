/** Batch-time arithmetic. Public durations are seconds; internally everything is milliseconds. */

/** Converts a duration in seconds (the API's unit) to whole milliseconds, validating it. */
export function secondsToMs(seconds: number, what: string): number {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new Error(`${what} must be a positive number of seconds, got ${String(seconds)}.`);
  }
  const ms = Math.round(seconds * 1000);
  if (Math.abs(ms - seconds * 1000) > 1e-6 || ms <= 0) {
    throw new Error(`${what} must be a whole number of milliseconds, got ${seconds} s.`);
  }
  return ms;
}

/** Checks that `durationMs` is a positive multiple of `unitMs`, with an error naming both values. */
export function requireMultiple(durationMs: number, unitMs: number, what: string, unitWhat: string): void {
  if (durationMs % unitMs !== 0) {
    throw new Error(
      `${what} (${durationMs / 1000} s) must be a multiple of ${unitWhat} (${unitMs / 1000} s). ` +
        `Choose ${what} as k * ${unitMs / 1000} s, e.g. ${(Math.max(1, Math.round(durationMs / unitMs)) * unitMs) / 1000} s.`,
    );
  }
}

/** The first multiple of `intervalMs` strictly after `timestampMs` (a record's batch). */
export function batchTimeOf(timestampMs: number, intervalMs: number): number {
  return (Math.floor(timestampMs / intervalMs) + 1) * intervalMs;
}

/**
 * Kinesis sequence numbers are decimal strings of up to ~56 digits: they do not fit a double, and
 * string order is wrong for unequal lengths. Compare them as BigInt, here and nowhere else in
 * lib/local.
 */

/** True for a decimal string a Kinesis sequence number can be. */
export function isSequenceNumber(value: unknown): value is string {
  return typeof value === 'string' && /^\d{1,128}$/.test(value);
}

/** Negative, zero or positive as `a` is below, equal to or above `b` (numeric order). */
export function compareSequenceNumbers(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

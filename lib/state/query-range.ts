/**
 * Sort-key ranges for `query`: the exact test an item must pass, and the one closed range
 * [lo, hi] that a DynamoDB key condition can express around it.
 */
import { compareStrings } from './condition';
import { StateStoreError, type QueryOptions } from './types';

/** Throws a `StateStoreError` unless `limit` is absent or a positive whole number. */
export function validateLimit(limit: number | undefined): void {
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
    throw new StateStoreError(`invalid query limit ${String(limit)}: use a whole number >= 1, or none`);
  }
}

/** Whether sort key `sk` is selected by `options` (prefix AND from AND to, bounds inclusive). */
export function skMatches(sk: string, options: QueryOptions = {}): boolean {
  const { skPrefix, skFrom, skTo } = options;
  return (
    (skPrefix === undefined || sk.startsWith(skPrefix)) &&
    (skFrom === undefined || compareStrings(sk, skFrom) >= 0) &&
    (skTo === undefined || compareStrings(sk, skTo) <= 0)
  );
}

/** A closed sort-key range; a missing bound is open. `empty` when no key can match. */
export interface SkRange {
  lo?: string;
  hi?: string;
  empty: boolean;
}

/**
 * The smallest closed range that holds every key `options` selects. It may hold a few more (the
 * prefix's successor itself); callers filter with `skMatches`.
 * @example skRange({ skPrefix: 'ab' }) // { lo: 'ab', hi: 'ac', empty: false }
 */
export function skRange(options: QueryOptions = {}): SkRange {
  const { skPrefix, skFrom, skTo } = options;
  const prefix = skPrefix ? skPrefix : undefined;
  const lo = maxOf(prefix, skFrom);
  const hi = minOf(prefix === undefined ? undefined : successor(prefix), skTo);
  const empty = lo !== undefined && hi !== undefined && compareStrings(lo, hi) > 0;
  return { lo, hi, empty };
}

/**
 * The least string greater than every string that starts with `prefix` (code point order), or
 * undefined when there is none (the prefix is all U+10FFFF).
 */
export function successor(prefix: string): string | undefined {
  const points = Array.from(prefix);
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return points.join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}

function maxOf(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareStrings(a, b) >= 0 ? a : b;
}

function minOf(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareStrings(a, b) <= 0 ? a : b;
}

/** How both stores split and de-duplicate batch writes, as BatchWriteItem requires. */
import { keyId } from './item';

/** BatchWriteItem's limit of puts and deletes per request. */
export const BATCH_WRITE_LIMIT = 25;

/**
 * `items` in consecutive groups of at most `size`.
 * @example groupsOf([1, 2, 3], 2) // [[1, 2], [3]]
 */
export function groupsOf<T>(items: readonly T[], size: number = BATCH_WRITE_LIMIT): T[][] {
  const groups: T[][] = [];
  for (let i = 0; i < items.length; i += size) groups.push(items.slice(i, i + size));
  return groups;
}

/**
 * One entry per key, the last one given for it, in the order of those last occurrences: a batch
 * of sequential writes has the same effect, and BatchWriteItem rejects repeated keys.
 */
export function lastPerKey<T extends { pk: string; sk: string }>(items: readonly T[]): T[] {
  const byKey = new Map<string, T>();
  for (const item of items) {
    const id = keyId(item.pk, item.sk);
    byKey.delete(id);
    byKey.set(id, item);
  }
  return [...byKey.values()];
}

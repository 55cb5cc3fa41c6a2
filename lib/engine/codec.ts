import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * How batch data is stored (partials, history): JSON (with `undefined` kept, as in
 * `[k, [v, undefined]]` of outer joins), gzip-compressed. Values must be JSON data: strings,
 * numbers, booleans, null/undefined, arrays and plain objects (not Map, Set, Date or class
 * instances), as Spark requires serializable data.
 */
const UNDEFINED = '\u0000undefined';

export function encode(value: unknown): Uint8Array {
  const json = JSON.stringify(value, (_k, v) => (v === undefined ? UNDEFINED : v));
  return gzipSync(Buffer.from(json, 'utf8'), { level: 1 });
}

export function decode<T>(data: Uint8Array): T {
  const json = gunzipSync(data).toString('utf8');
  return JSON.parse(json, (_k, v) => (v === UNDEFINED ? undefined : v)) as T;
}

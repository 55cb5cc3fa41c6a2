import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * How batch data is stored (partials, history): JSON (with `undefined` kept, as in
 * `[k, [v, undefined]]` of outer joins), gzip-compressed. Values must be JSON data: strings,
 * numbers, booleans, null/undefined, arrays and plain objects (not Map, Set, Date or class
 * instances), as Spark requires serializable data.
 */
const UNDEFINED = '\u0000undefined';
const NAN = '\u0000NaN';
const INFINITY = '\u0000Infinity';
const MINUS_INFINITY = '\u0000-Infinity';

function replacer(_k: string, v: unknown): unknown {
  if (v === undefined) return UNDEFINED;
  if (typeof v === 'number' && !Number.isFinite(v))
    return Number.isNaN(v) ? NAN : v > 0 ? INFINITY : MINUS_INFINITY;
  return v;
}

/** Encodes a value: JSON keeping undefined, NaN and ±Infinity, gzip-compressed. */
export function encode(value: unknown): Uint8Array {
  return gzipSync(Buffer.from(JSON.stringify(value, replacer), 'utf8'), { level: 1 });
}

/** Decodes what `encode` wrote. */
export function decode<T>(data: Uint8Array): T {
  const json = gunzipSync(data).toString('utf8');
  // Revive bottom-up by hand: a reviver returning undefined would delete object keys and leave holes.
  return revive(JSON.parse(json)) as T;
}

function revive(v: unknown): unknown {
  if (typeof v === 'string') {
    if (v.charCodeAt(0) !== 0) return v;
    if (v === UNDEFINED) return undefined;
    if (v === NAN) return NaN;
    if (v === INFINITY) return Infinity;
    if (v === MINUS_INFINITY) return -Infinity;
    return v;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = revive(v[i]);
    return v;
  }
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) o[k] = revive(o[k]);
    return o;
  }
  return v;
}

import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * How batch data is stored (log entries, state, panes): JSON (with `undefined` kept, as in
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

/** JSON keeping undefined, NaN and ±Infinity (as `encode` stores them): equal strings mean equal stored values. */
export function storedJson(value: unknown): string {
  // Plain JSON when nothing needs the replacer (the common case, several times faster).
  return needsReplacer(value) ? JSON.stringify(value, replacer) : (JSON.stringify(value) as string);
}

/** Whether `v` holds undefined, a non-finite number, or a string that looks like the markers. */
function needsReplacer(v: unknown): boolean {
  switch (typeof v) {
    case 'number':
      return !Number.isFinite(v);
    case 'string':
      return v.charCodeAt(0) === 0;
    case 'undefined':
      return true;
    case 'object':
      if (v === null) return false;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (needsReplacer(v[i])) return true;
        return false;
      }
      if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return true;
      for (const k in v as Record<string, unknown>)
        if (needsReplacer((v as Record<string, unknown>)[k])) return true;
      return false;
    default:
      return true;
  }
}

/**
 * Encodes a value: JSON keeping undefined, NaN and ±Infinity, gzip-compressed (`level` 1 by
 * default: fast, for the map phase; the closer packs state harder, as it is written once and read
 * rarely).
 */
export function encode(value: unknown, level = 1): Uint8Array {
  return gzipSync(Buffer.from(storedJson(value), 'utf8'), { level });
}

/** Decodes what `encode` wrote. */
export function decode<T>(data: Uint8Array): T {
  const json = gunzipSync(data).toString('utf8');
  // Revive bottom-up by hand: a reviver returning undefined would delete object keys and leave holes.
  return revive(JSON.parse(json)) as T;
}

/** Parses what `storedJson` wrote (undefined, NaN and ±Infinity come back). */
export function parseStoredJson<T>(text: string): T {
  return revive(JSON.parse(text)) as T;
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

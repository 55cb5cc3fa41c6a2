/**
 * PySpark's `DStream.pprint` output, character for character (pyspark/streaming/dstream.py):
 *
 *     -------------------------------------------
 *     Time: 2026-11-25 16:53:14
 *     -------------------------------------------
 *     ('word', 3)
 *     ...
 *     (blank line)
 *
 * The time is `str(datetime.fromtimestamp(ms / 1000))`: local time, with `.ffffff` microseconds
 * only when they are not zero. Elements print as Python's `print(record)` would: a top-level
 * string bare, everything else as its repr; arrays of length 2 print as tuples (our pairs).
 */

const DASHES = '-------------------------------------------';

/** The lines (with trailing newline each) that pprint prints for one batch. */
export function formatPprint(time: number, taken: unknown[], num: number): string {
  let s = `${DASHES}\nTime: ${formatBatchTime(time)}\n${DASHES}\n`;
  for (const x of taken.slice(0, num)) s += pythonStr(x) + '\n';
  if (taken.length > num) s += '...\n';
  return s + '\n';
}

/** Python's `str(datetime.fromtimestamp(ms / 1000))`, in the process's local time zone. */
export function formatBatchTime(ms: number): string {
  const d = new Date(ms);
  const p2 = (n: number) => String(n).padStart(2, '0');
  let s =
    `${String(d.getFullYear()).padStart(4, '0')}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ` +
    `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
  const micros = (((ms % 1000) + 1000) % 1000) * 1000;
  if (micros !== 0) s += '.' + String(micros).padStart(6, '0');
  return s;
}

/** Python's `str(x)`: strings bare, everything else `repr`. */
export function pythonStr(x: unknown): string {
  return typeof x === 'string' ? x : pythonRepr(x);
}

/** Python's `repr(x)` for the JavaScript value that stands for it. */
export function pythonRepr(x: unknown): string {
  if (x === undefined || x === null) return 'None';
  if (typeof x === 'string') return pythonStringRepr(x);
  if (typeof x === 'boolean') return x ? 'True' : 'False';
  if (typeof x === 'number') {
    if (Number.isNaN(x)) return 'nan';
    if (x === Infinity) return 'inf';
    if (x === -Infinity) return '-inf';
    return String(x);
  }
  if (typeof x === 'bigint') return x.toString();
  if (Array.isArray(x)) {
    if (x.length === 2) return `(${pythonRepr(x[0])}, ${pythonRepr(x[1])})`;
    return `[${x.map(pythonRepr).join(', ')}]`;
  }
  if (x instanceof Map)
    return `{${Array.from(x, ([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`).join(', ')}}`;
  if (x instanceof Set) return x.size ? `{${Array.from(x, pythonRepr).join(', ')}}` : 'set()';
  if (typeof x === 'object') {
    return `{${Object.entries(x as object)
      .map(([k, v]) => `${pythonStringRepr(k)}: ${pythonRepr(v)}`)
      .join(', ')}}`;
  }
  return String(x);
}

/** Python 3's repr of a str: single quotes unless the text has ' and no ", escapes as CPython. */
export function pythonStringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if (c >= 0x80 && c < 0xa0) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + quote;
}

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
  if (typeof x === 'number') return pythonNumberRepr(x);
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

/**
 * Python's repr of the number a JavaScript number stands for. JavaScript has one number type where
 * Python has int and float, so: a safe integer (|x| <= 2^53 - 1) is an int and prints its digits
 * (`3`, not `3.0`; -0 prints `0`, as JSON and the serverless engine's stored values have no -0, and
 * JavaScript's `-3 % 3` is the -0 that Python's is 0); everything else is a float and prints as
 * `repr(float)` does: the shortest digits that round-trip, in exponent form when the exponent is
 * below -4 or at least 16 (`1e-05`, `2.5e-05`, `1e+16`), `inf`, `-inf`, `nan`.
 */
export function pythonNumberRepr(x: number): string {
  if (Number.isSafeInteger(x)) return x === 0 ? '0' : String(x);
  return pythonFloatRepr(x);
}

/**
 * Python's `repr(float)` (CPython's `float_repr`: `'r'` format, shortest round-trip digits, a `.0`
 * added to integral values). JavaScript's `String()` gives the same shortest digits; only the layout
 * differs (Python's exponent form is for decimal exponents below -4 and from 16).
 */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const ax = Math.abs(x);
  if (ax >= 1e-4 && ax < 1e16) {
    // Decimal exponent -4..15: JavaScript's String() is positional there too, with the same digits.
    const s = String(x);
    return s.includes('.') ? s : s + '.0';
  }
  // Exponent form. String() has the shortest digits, in exponent form below 1e-6 and from 1e21,
  // positional between (toExponential() would give them too, but is much slower).
  const s = String(ax);
  let digits: string;
  let exp: number;
  const e = s.indexOf('e');
  if (e >= 0) {
    digits = s.slice(0, e).replace('.', '');
    exp = Number(s.slice(e + 1));
  } else if (ax < 1) {
    const frac = s.slice(2); // '0.0000ddd'
    const zeros = frac.length - frac.replace(/^0+/, '').length;
    digits = frac.slice(zeros);
    exp = -zeros - 1;
  } else {
    digits = s.replace(/0+$/, ''); // 1e16 <= ax < 1e21: an integer
    exp = s.length - 1;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${x < 0 ? '-' : ''}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/**
 * Characters Python's repr escapes beyond ASCII: `str.isprintable()` is false for the Unicode
 * categories Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs (ASCII space excepted, handled before). The
 * categories come from the Unicode data built into Node (ICU), which may be a newer Unicode version
 * than a given Python's: characters assigned since that Python's version print as themselves here
 * where that Python escapes them as unassigned.
 */
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

/** `\xhh`, `\uhhhh` or `\Uhhhhhhhh`, as CPython's unicode_repr escapes a code point. */
function escapeCodePoint(c: number): string {
  const hex = c.toString(16);
  if (c <= 0xff) return '\\x' + hex.padStart(2, '0');
  if (c <= 0xffff) return '\\u' + hex.padStart(4, '0');
  return '\\U' + hex.padStart(8, '0');
}

/**
 * Python 3's repr of a str: single quotes unless the text has ' and no ", then escapes as CPython's
 * unicode_repr: the quote and backslash, `\t` `\n` `\r`, other ASCII controls and DEL as `\xhh`,
 * and every non-printable character (see NON_PRINTABLE; lone surrogates included) by code point.
 */
export function pythonStringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (c < 0x7f) {
      if (ch === quote || ch === '\\') out += '\\' + ch;
      else if (ch === '\n') out += '\\n';
      else if (ch === '\r') out += '\\r';
      else if (ch === '\t') out += '\\t';
      else if (c < 0x20) out += escapeCodePoint(c);
      else out += ch;
    } else if (c === 0x7f || NON_PRINTABLE.test(ch)) out += escapeCodePoint(c);
    else out += ch;
  }
  return out + quote;
}

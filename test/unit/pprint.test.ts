import {
  StreamingContext,
  formatBatchTime,
  formatPprint,
  pythonFloatRepr,
  pythonRepr,
  pythonStr,
  setPprintWriter,
} from '../../lib';
/**
 * Python 3's own reprs, written by `test/unit/fixtures/python-repr.py` (run with python3 from the
 * repository root: `python3 test/unit/fixtures/python-repr.py > test/unit/fixtures/python-repr.json
 * && npx prettier --write test/unit/fixtures/python-repr.json`). It records `repr(float)` of ~1,300
 * numbers (edge cases, random bit patterns, random decimals), `repr(str)` of strings with quotes,
 * controls, format characters, separators, private use, tags and lone surrogates, `repr` of nested
 * values, and the code points `str.isprintable()` rejects, as ranges. This test needs no Python.
 */
import table from './fixtures/python-repr.json';

/** `[from, to]` code point ranges as a lookup table. */
function flags(ranges: number[][]): Uint8Array {
  const f = new Uint8Array(0x110000);
  for (const [a, b] of ranges) f.fill(1, a, b + 1);
  return f;
}

// PySpark's pprint (pyspark/streaming/dstream.py): print 43 dashes, "Time: %s" % datetime, 43
// dashes, str() of up to num records, "..." if more, then print("").
describe('pprint format (PySpark, character for character)', () => {
  const dashes = '-'.repeat(43);
  const prevTz = process.env.TZ;
  beforeAll(() => (process.env.TZ = 'UTC'));
  afterAll(() => (process.env.TZ = prevTz));

  test('header, pairs as tuples, blank line', () => {
    expect(
      formatPprint(
        1764089594000,
        [
          ['word', 3],
          ['b', 1],
        ],
        10,
      ),
    ).toBe(`${dashes}\nTime: 2025-11-25 16:53:14\n${dashes}\n('word', 3)\n('b', 1)\n\n`);
  });

  test('"..." when there are more than num elements; empty batch prints the header only', () => {
    expect(formatPprint(1000, [1, 2, 3], 2)).toBe(
      `${dashes}\nTime: 1970-01-01 00:00:01\n${dashes}\n1\n2\n...\n\n`,
    );
    expect(formatPprint(1000, [], 10)).toBe(`${dashes}\nTime: 1970-01-01 00:00:01\n${dashes}\n\n`);
  });

  test('sub-second batch times print microseconds as str(datetime) does', () => {
    expect(formatBatchTime(1500)).toBe('1970-01-01 00:00:01.500000');
  });

  test('Python str/repr of values', () => {
    expect(pythonStr('hello')).toBe('hello');
    expect(pythonRepr("it's")).toBe('"it\'s"');
    expect(pythonRepr('a\nb\\')).toBe("'a\\nb\\\\'");
    expect(pythonRepr(['k', [1, 'x']])).toBe("('k', (1, 'x'))");
    expect(pythonRepr(['k', [1, 2, 3]])).toBe("('k', [1, 2, 3])");
    expect(pythonRepr([true, null])).toBe('(True, None)');
    expect(pythonRepr({ a: 1 })).toBe("{'a': 1}");
    expect(pythonRepr(undefined)).toBe('None');
    // print() of a top-level str writes it raw; inside a tuple it is a repr.
    expect(
      formatPprint(1000, ['\u200b', ['\u200b', 1e-5]], 10)
        .split('\n')
        .slice(3, 5),
    ).toEqual(['\u200b', "('\\u200b', 1e-05)"]);
  });

  test(`numbers print as Python ${table.python}'s repr(float); safe integers as ints`, () => {
    expect(table.numbers.length).toBeGreaterThan(1000);
    for (const [text, floatRepr, libRepr] of table.numbers) {
      const x = Number(text);
      expect([text, pythonFloatRepr(x)]).toEqual([text, floatRepr]);
      expect([text, pythonRepr(x)]).toEqual([text, libRepr]);
    }
    // The cases the issue names, spelled out.
    expect([1e-5, 1e-7, 2.5e-5, 1e16, 1.5e16, 0.0001].map((x) => pythonRepr(x))).toEqual([
      '1e-05',
      '1e-07',
      '2.5e-05',
      '1e+16',
      '1.5e+16',
      '0.0001',
    ]);
    expect([-0, 3, 1.0, Infinity, -Infinity, NaN].map((x) => pythonRepr(x))).toEqual([
      '0',
      '3',
      '1',
      'inf',
      '-inf',
      'nan',
    ]);
  });

  test(`strings and values print as Python ${table.python}'s repr`, () => {
    for (const [s, repr] of table.strings) expect([s, pythonRepr(s)]).toEqual([s, repr]);
    for (const [v, repr] of table.values) expect(pythonRepr(v)).toBe(repr);
    expect(pythonRepr('\xa0\xad\u200b\u2028\u{e0001}\ud800')).toBe(
      "'\\xa0\\xad\\u200b\\u2028\\U000e0001\\ud800'",
    );
  });

  test(`every code point is escaped as Python ${table.python} (Unicode ${table.unicode}) escapes it`, () => {
    const unassigned = flags(table.unassigned);
    const other = flags(table.otherNonPrintable);
    const escaped = (c: number) => pythonRepr(String.fromCodePoint(c)).startsWith("'\\");
    const assignedSince: number[] = [];
    for (let c = 0; c < 0x110000; c++) {
      if (c === 0x27 || c === 0x5c) continue; // the quote and backslash: escaped, but printable
      const ours = escaped(c);
      if (ours === (unassigned[c] === 1 || other[c] === 1)) continue;
      // The only difference allowed: characters Unicode assigned after Python's version (Node's
      // ICU is newer), which Python escapes as unassigned and we print.
      expect({ c: c.toString(16), ours, pythonUnassigned: unassigned[c] === 1 }).toEqual({
        c: c.toString(16),
        ours: false,
        pythonUnassigned: true,
      });
      expect(/\p{Cn}/u.test(String.fromCodePoint(c))).toBe(false);
      assignedSince.push(c);
    }
    // Node 20's ICU has Unicode 15.1 or later; CPython 3.11 has 14.0: about 15,000 code points apart.
    if (process.versions.unicode !== table.unicode.replace(/\.0$/, ''))
      expect(assignedSince.length).toBeLessThan(40000);
    else expect(assignedSince).toEqual([]);
  });

  test('DStream.pprint prints every batch through the writer, up to num', async () => {
    const out: string[] = [];
    const prev = setPprintWriter((t) => out.push(t));
    try {
      const ssc = new StreamingContext({ batchInterval: 1, clock: 'manual' });
      ssc.queueStream([['a', 'b', 'c'], []]).pprint(2);
      ssc.start();
      await ssc.runBatches(2);
      await ssc.stop();
    } finally {
      setPprintWriter(prev);
    }
    expect(out).toEqual([
      `${dashes}\nTime: 1970-01-01 00:00:01\n${dashes}\na\nb\n...\n\n`,
      `${dashes}\nTime: 1970-01-01 00:00:02\n${dashes}\n\n`,
    ]);
  });
});

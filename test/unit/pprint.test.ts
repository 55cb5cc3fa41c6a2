import {
  StreamingContext,
  formatBatchTime,
  formatPprint,
  pythonRepr,
  pythonStr,
  setPprintWriter,
} from '../../lib';

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

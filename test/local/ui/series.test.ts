import { formatBatchTime } from '../../../lib/sinks/pprint-format';
import {
  average,
  formatBytes,
  formatClock,
  formatCount,
  formatDuration,
  formatOutputs,
  formatRate,
  formatSecond,
  formatTime,
  histogram,
  timeline,
} from '../../../lib/local/ui/client/series';
import type { BatchRow } from '../../../lib/local/ui/types';

const T0 = Date.UTC(2026, 0, 5, 14, 3, 7); // jest runs in UTC

function row(batchTime: number, status: BatchRow['status'], extra: Partial<BatchRow> = {}): BatchRow {
  return { batchTime, status, records: 0, late: 0, inputRate: 0, shards: [], failures: [], ...extra };
}

describe('the UI figures (lib/local/ui/client/series)', () => {
  test('a timeline plots completed batches only, oldest first, with the figure asked for', () => {
    const batches = [
      row(T0, 'completed', { inputRate: 10, totalDelayMs: 500 }),
      row(T0 + 1000, 'processing', { schedulingDelayMs: 200 }),
      row(T0 + 2000, 'completed', { inputRate: 30, totalDelayMs: 700 }),
    ];
    expect(timeline(batches, 'inputRate')).toEqual([
      [T0, T0 + 2000],
      [10, 30],
    ]);
    expect(timeline(batches, 'totalDelayMs')).toEqual([
      [T0, T0 + 2000],
      [500, 700],
    ]);
    expect(timeline(batches, 'schedulingDelayMs')).toEqual([[], []]);
  });

  test.each([
    ['empty', [], { starts: [], counts: [], width: 0 }],
    ['one value', [7], { starts: [0, 5], counts: [0, 1], width: 5 }],
    ['all zero', [0, 0], { starts: [0], counts: [2], width: 1 }],
    ['the largest value in the last bucket', [0, 5, 10], { starts: [0, 5], counts: [1, 2], width: 5 }],
  ])('histogram: %s', (_name, values, expected) => {
    expect(histogram(values, 2)).toEqual(expected);
  });

  test('histogram: round bucket widths, every value counted once', () => {
    const values = Array.from({ length: 500 }, (_, i) => (i * 37) % 1234);
    const h = histogram(values, 20);
    expect(h.width).toBe(100); // 1233 / 20 = 61.7 -> 100 (of 1, 2, 2.5, 5 x 10^n)
    expect(h.starts[0]).toBe(0);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(500);
    expect(h.starts[h.starts.length - 1] + h.width).toBeGreaterThan(Math.max(...values));
  });

  test('average', () => {
    expect(average([])).toBeUndefined();
    expect(average([1, 2, 6])).toBe(3);
  });

  test('times read as pprint prints them, in local time', () => {
    expect(formatTime(T0)).toBe(formatBatchTime(T0));
    expect(formatTime(T0)).toBe('2026-01-05 14:03:07');
    expect(formatTime(T0 + 250)).toBe('2026-01-05 14:03:07.250000');
    expect(formatSecond(T0 + 999)).toBe('2026-01-05 14:03:07');
    expect(formatClock(T0)).toBe('14:03:07');
  });

  test.each([
    [undefined, '–'],
    [0, '0 ms'],
    [849.6, '850 ms'],
    [1250, '1.25 s'],
    [125_000, '2 min 05 s'],
    [3_720_000, '1 h 02 min'],
  ])('formatDuration(%p) = %p', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  test('counts, rates and bytes', () => {
    expect(formatCount(12345.4)).toBe('12,345');
    expect(formatRate(0)).toBe('0');
    expect(formatRate(0.5)).toBe('0.5');
    expect(formatRate(12.34)).toBe('12.3');
    expect(formatRate(1234.4)).toBe('1,234');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(2.25 * 1024 * 1024)).toBe('2.25 MiB');
  });

  test('outputs in one line, an output not run at that time as a dash', () => {
    expect(formatOutputs(undefined)).toBe('–');
    expect(
      formatOutputs([
        { kind: 'pprint', elements: 1200 },
        { kind: 'saveAsTextFiles', elements: null },
      ]),
    ).toBe('pprint 1,200 · saveAsTextFiles –');
  });
});

/**
 * Pure helpers of the UI's figures: which batches a chart plots, histogram buckets, averages, and
 * how numbers, durations and times read on screen (times exactly as pprint prints them). No DOM here,
 * so jest tests them directly.
 */
import { formatBatchTime } from '../../../sinks/pprint-format';
import type { BatchRow } from '../types';

/** The figures of a completed batch that the Streaming page charts. */
export type BatchMetric = 'inputRate' | 'schedulingDelayMs' | 'processingTimeMs' | 'totalDelayMs';

/** Completed batches' times and one figure each, oldest first: a timeline's data. */
export function timeline(batches: readonly BatchRow[], metric: BatchMetric): [number[], number[]] {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const b of batches) {
    const v = b[metric];
    if (b.status !== 'completed' || typeof v !== 'number') continue;
    xs.push(b.batchTime);
    ys.push(v);
  }
  return [xs, ys];
}

/** A histogram: bucket lower bounds, counts, and the bucket width. */
export interface Histogram {
  starts: number[];
  counts: number[];
  width: number;
}

/**
 * Counts of `values` in about `buckets` buckets of a round width (1, 2, 2.5 or 5 times a power of
 * ten), from 0 (or the smallest value, if negative) to the largest value. Buckets include their
 * lower bound; the last one also its upper bound. Empty input: no buckets.
 * @example histogram([0, 5, 10], 2) // { starts: [0, 5], counts: [1, 2], width: 5 }
 */
export function histogram(values: readonly number[], buckets = 20): Histogram {
  if (values.length === 0) return { starts: [], counts: [], width: 0 };
  let lo = 0;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const width = niceWidth((hi - lo) / buckets);
  const n = Math.max(1, Math.ceil((hi - lo) / width));
  const counts = new Array<number>(n).fill(0);
  for (const v of values) counts[Math.min(n - 1, Math.floor((v - lo) / width))]++;
  return { starts: counts.map((_, i) => lo + i * width), counts, width };
}

/** The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `raw` (at least 1). */
function niceWidth(raw: number): number {
  if (!(raw > 1)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/** Mean of the values, or undefined for none. */
export function average(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** A batch time or any epoch-ms instant, in local time, as pprint prints it: `2026-01-05 14:03:07`. */
export const formatTime = formatBatchTime;

/** An instant to the second (a clock, a start time): {@link formatTime} of the second it is in. */
export function formatSecond(ms: number): string {
  return formatBatchTime(Math.floor(ms / 1000) * 1000);
}

/** The time of day of an instant, as in {@link formatTime} without the date: axis ticks. */
export function formatClock(ms: number): string {
  return formatBatchTime(ms).slice(11);
}

/** A count with thousands separators: `12,345`. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Records per second, to a precision that reads well: `0.5`, `12.3`, `1,234`. */
export function formatRate(n: number): string {
  if (n === 0) return '0';
  if (n < 100) return n.toLocaleString('en-US', { maximumFractionDigits: 1 });
  return formatCount(n);
}

/**
 * A duration: `850 ms`, `1.25 s`, `2 min 05 s`, `1 h 02 min`.
 * @example formatDuration(1250) // '1.25 s'
 */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toLocaleString('en-US', { maximumFractionDigits: 2 })} s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** A byte count: `512 B`, `1.5 KiB`, `2.25 MiB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toLocaleString('en-US', { maximumFractionDigits: 2 })} ${units[i]}`;
}

/** A batch's outputs in one line: `pprint 12 · saveAsTextFiles 12` (`–` for an output not run at that time). */
export function formatOutputs(outputs: BatchRow['outputs']): string {
  if (!outputs || outputs.length === 0) return '–';
  return outputs.map((o) => `${o.kind} ${o.elements === null ? '–' : formatCount(o.elements)}`).join(' · ');
}

/**
 * The Streaming page, as Spark's Streaming tab: the run's counts, then input rate, scheduling
 * delay, processing time and total delay of the completed batches, each as a timeline and a
 * histogram, with its average.
 */
import { HistogramChart, TimelineChart } from './charts';
import { h, setText } from './dom';
import type { Page } from './page';
import {
  average,
  formatCount,
  formatDuration,
  formatRate,
  formatSecond,
  timeline,
  type BatchMetric,
} from './series';
import type { Store } from './store';

interface MetricRow {
  metric: BatchMetric;
  title: string;
  unit: string;
  format: (v: number) => string;
}

const METRICS: MetricRow[] = [
  {
    metric: 'inputRate',
    title: 'Input rate',
    unit: 'records/s',
    format: (v) => `${formatRate(v)} records/s`,
  },
  {
    metric: 'schedulingDelayMs',
    title: 'Scheduling delay',
    unit: 'ms',
    format: (v) => `${formatCount(v)} ms`,
  },
  { metric: 'processingTimeMs', title: 'Processing time', unit: 'ms', format: (v) => `${formatCount(v)} ms` },
  { metric: 'totalDelayMs', title: 'Total delay', unit: 'ms', format: (v) => `${formatCount(v)} ms` },
];

const HELP: Record<BatchMetric, string> = {
  inputRate: 'records of each batch per second of its interval',
  schedulingDelayMs: "from the batch's end to the start of its close",
  processingTimeMs: 'from the start of the close to its outputs done',
  totalDelayMs: 'scheduling delay plus processing time',
};

/** The counts shown as tiles: label, how to read the store, and whether a non-zero value is bad. */
const COUNTS: { id: string; label: string; value: (s: Store) => number; bad?: boolean }[] = [
  { id: 'records-in', label: 'Records in', value: (s) => s.totals?.recordsIn ?? 0 },
  { id: 'batches-completed', label: 'Batches completed', value: (s) => s.totals?.batchesCompleted ?? 0 },
  {
    id: 'active-batches',
    label: 'Active batches',
    value: (s) => s.batches().filter((b) => b.status !== 'completed').length,
  },
  { id: 'late-records', label: 'Late records', value: (s) => s.totals?.late ?? 0, bad: true },
  { id: 'decode-errors', label: 'Decode errors', value: (s) => s.totals?.decodeErrors ?? 0, bad: true },
  {
    id: 'user-function-errors',
    label: 'User-function errors',
    value: (s) => s.totals?.userFunctionErrors ?? 0,
    bad: true,
  },
  { id: 'close-failures', label: 'Failed closes', value: (s) => s.totals?.closeFailures ?? 0, bad: true },
];

/** The Streaming page. */
export function streamingPage(): Page {
  const summary = h('p', { class: 'summary', id: 'summary' });
  const tiles = COUNTS.map((c) => {
    const value = h('dd', { id: c.id }, '0');
    return { c, value, box: h('div', { class: 'tile' }, h('dt', {}, c.label), value) };
  });
  const rows = METRICS.map((m) => {
    const spec = { yLabel: m.unit, format: m.format };
    const line = new TimelineChart({ ...spec, id: `timeline-${m.metric}`, title: `${m.title} per batch` }, [
      { label: m.title },
    ]);
    const hist = new HistogramChart({
      ...spec,
      id: `histogram-${m.metric}`,
      title: `${m.title}: distribution`,
    });
    const avg = h('span', { class: 'avg' });
    const section = h(
      'section',
      { class: 'metric', 'aria-labelledby': `h-${m.metric}` },
      h('h2', { id: `h-${m.metric}` }, m.title, ' ', avg),
      h('p', { class: 'help' }, HELP[m.metric]),
      h('div', { class: 'pair' }, line.figure, hist.figure),
    );
    return { m, line, hist, avg, section };
  });
  const el = h(
    'div',
    { class: 'page streaming' },
    h('h1', { tabindex: -1 }, 'Streaming'),
    summary,
    h('dl', { class: 'tiles' }, ...tiles.map((t) => t.box)),
    ...rows.map((r) => r.section),
  );

  let charted = '';
  return {
    title: 'Streaming',
    el,
    update(store) {
      const batches = store.batches();
      const done = store.totals?.batchesCompleted ?? 0;
      setText(
        summary,
        `Batches of ${store.batchInterval} s, running for ${formatDuration(store.now - store.startedAt)} ` +
          `since ${formatSecond(store.startedAt)}: ${formatCount(done)} completed batches, ` +
          `${formatCount(store.totals?.recordsIn ?? 0)} records.`,
      );
      for (const t of tiles) {
        const v = t.c.value(store);
        setText(t.value, formatCount(v));
        t.box.classList.toggle('bad', Boolean(t.c.bad) && v > 0);
      }
      // The charts change only when a batch completes (or leaves the retained ones).
      const completed = batches.filter((b) => b.status === 'completed');
      const key = `${completed.length}:${completed[0]?.batchTime}:${completed[completed.length - 1]?.batchTime}`;
      if (key === charted) return;
      charted = key;
      for (const r of rows) {
        const [xs, ys] = timeline(completed, r.m.metric);
        r.line.setSeries([{ label: r.m.title, xs, ys }]);
        r.hist.setValues(ys);
        const avg = average(ys);
        setText(r.avg, avg === undefined ? '' : `(avg ${r.m.format(avg)})`);
      }
    },
    destroy() {
      for (const r of rows) {
        r.line.destroy();
        r.hist.destroy();
      }
      el.remove();
    },
  };
}

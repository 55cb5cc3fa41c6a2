/**
 * The Shards and state page: what `dstream inspect` shows, live. Each shard's checkpoint and
 * watermark (from the store) and its lag (Lambda's IteratorAge at its last invocation, and over
 * time); the engine's progress; per stateful stream, its keys and stored bytes over batch time.
 */
import { TimelineChart } from './charts';
import { dataTable, h, setText, syncRows } from './dom';
import type { Page } from './page';
import { formatBytes, formatCount, formatDuration, formatTime } from './series';
import type { Store } from './store';
import type { StateSeries } from '../types';

interface StateView {
  section: HTMLElement;
  keys: TimelineChart;
  bytes: TimelineChart;
  noBytes: HTMLElement;
}

/** The Shards and state page. */
export function shardsPage(): Page {
  const progress = h('p', { class: 'summary', id: 'progress' }, 'Reading the store…');
  const shards = dataTable("Each shard: the engine's position in it and its lag", 'shards', [
    'Shard',
    'Checkpoint (sequence number)',
    'Watermark (latest arrival)',
    'Iterator age',
    'Last read',
    'Records this run',
  ]);
  const lag = new TimelineChart(
    {
      id: 'timeline-lag',
      title: 'Iterator age per shard (age of the last record of each invocation)',
      yLabel: 'ms',
      xLabel: 'Time read (local time)',
      format: (v) => `${formatCount(v)} ms`,
    },
    [],
  );
  const noState = h(
    'p',
    { class: 'note', id: 'no-state' },
    'No stored state yet: state and window operators (updateStateByKey, mapWithState, windows) store history after their first batch.',
  );
  const stateBox = h('div', { class: 'state' });
  const views = new Map<string, StateView>();
  const el = h(
    'div',
    { class: 'page shards' },
    h('h1', { tabindex: -1 }, 'Shards and state'),
    progress,
    h(
      'section',
      { 'aria-labelledby': 'h-shards' },
      h('h2', { id: 'h-shards' }, 'Shards'),
      shards.el,
      lag.figure,
    ),
    h('section', { 'aria-labelledby': 'h-state' }, h('h2', { id: 'h-state' }, 'State'), noState, stateBox),
  );

  const stateView = (s: StateSeries, i: number): StateView => {
    let v = views.get(s.stream);
    if (v) return v;
    const id = `state-${i}`;
    const keys = new TimelineChart(
      {
        id: `${id}-keys`,
        title: `${s.stream}: keys`,
        yLabel: 'keys',
        format: (x) => `${formatCount(x)} keys`,
      },
      [{ label: 'keys' }],
    );
    const bytes = new TimelineChart(
      { id: `${id}-bytes`, title: `${s.stream}: stored bytes`, yLabel: 'bytes', format: formatBytes },
      [{ label: 'bytes' }],
    );
    const noBytes = h('p', { class: 'note' }, 'Stored bytes: not reported by this engine.');
    const section = h(
      'section',
      { class: 'stream', 'aria-labelledby': `${id}-h` },
      h('h3', { id: `${id}-h` }, s.stream),
      h('div', { class: 'pair' }, keys.figure, bytes.figure),
      noBytes,
    );
    stateBox.append(section);
    v = { section, keys, bytes, noBytes };
    views.set(s.stream, v);
    return v;
  };

  return {
    title: 'Shards and state',
    el,
    update(store: Store) {
      const p = store.progress;
      setText(
        progress,
        store.inspectedAt === undefined
          ? 'Reading the store…'
          : (p
              ? `Next batch to close ${formatTime(p.next)}; closed up to ${p.closedUpTo === undefined ? '–' : formatTime(p.closedUpTo)}; zero time ${formatTime(p.zero)}. `
              : 'No record seen yet. ') + `Read from the store at ${formatTime(store.inspectedAt)}.`,
      );
      syncRows(
        shards.body,
        store.shards,
        (s) => s.shardId,
        (s) => [
          s.shardId,
          s.checkpoint ?? '–',
          s.watermark === undefined ? '–' : formatTime(s.watermark),
          formatDuration(s.iteratorAgeMs),
          s.lastReadAt === undefined ? '–' : formatTime(s.lastReadAt),
          formatCount(s.records),
        ],
      );
      lag.setSeries(
        store.lag().map(([shardId, points]) => ({
          label: shardId,
          xs: points.map((q) => q.t),
          ys: points.map((q) => q.v),
        })),
      );
      const state = store.state();
      noState.hidden = state.length > 0;
      state.forEach((s, i) => {
        const v = stateView(s, i);
        v.keys.setSeries([{ label: 'keys', xs: s.keys.map((q) => q.t), ys: s.keys.map((q) => q.v) }]);
        const hasBytes = s.bytes.length > 0;
        v.bytes.figure.hidden = !hasBytes;
        v.noBytes.hidden = hasBytes;
        if (hasBytes)
          v.bytes.setSeries([{ label: 'bytes', xs: s.bytes.map((q) => q.t), ys: s.bytes.map((q) => q.v) }]);
      });
    },
    destroy() {
      lag.destroy();
      for (const v of views.values()) {
        v.keys.destroy();
        v.bytes.destroy();
      }
      el.remove();
    },
  };
}

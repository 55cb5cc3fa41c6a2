/**
 * The Batches page, as Spark's: active batches (records arriving, closing, or failed and waiting
 * for a retry), then completed ones, newest first. A batch's time links to its details.
 */
import { dataTable as table, h, setText, syncRows, type Cell } from './dom';
import type { Page } from './page';
import { formatCount, formatDuration, formatOutputs, formatRate, formatTime } from './series';
import type { Store } from './store';
import type { BatchRow, BatchStatus } from '../types';

/** Completed batches listed at first; a button shows more. */
const PAGE_ROWS = 100;

const STATUS: Record<BatchStatus, string> = {
  receiving: 'receiving records',
  processing: 'closing',
  failed: 'close failed, will retry',
  completed: 'completed',
};

/** The link to a batch's details. */
export function batchLink(b: BatchRow): Cell {
  return {
    text: formatTime(b.batchTime),
    href: `/batches/${b.batchTime}`,
    label: `Batch ${formatTime(b.batchTime)}: details`,
  };
}

/** The Batches page. */
export function batchesPage(): Page {
  const activeHeading = h('h2', { id: 'h-active' }, 'Active batches');
  const active = table('Batches not yet completed, newest first', 'active-batches', [
    'Batch time',
    'Status',
    'Records',
    'Shards',
    'Late',
    'Scheduling delay',
    'Closing for',
  ]);
  const completedHeading = h('h2', { id: 'h-completed' }, 'Completed batches');
  const completed = table('Completed batches, newest first', 'completed-batches', [
    'Batch time',
    'Records',
    'Input rate (records/s)',
    'Shards',
    'Late',
    'Scheduling delay',
    'Processing time',
    'Total delay',
    'Outputs (elements)',
  ]);
  let shown = PAGE_ROWS;
  const more = h('button', { type: 'button', class: 'more', hidden: true }, `Show ${PAGE_ROWS} more`);
  let last: Store | undefined;
  more.addEventListener('click', () => {
    shown += PAGE_ROWS;
    if (last) view.update(last);
  });
  const el = h(
    'div',
    { class: 'page batches' },
    h('h1', { tabindex: -1 }, 'Batches'),
    h('section', { 'aria-labelledby': 'h-active' }, activeHeading, active.el),
    h('section', { 'aria-labelledby': 'h-completed' }, completedHeading, completed.el, more),
  );

  const view: Page = {
    title: 'Batches',
    el,
    update(store) {
      last = store;
      const all = store.batches();
      const newestFirst = [...all].reverse();
      const open = newestFirst.filter((b) => b.status !== 'completed');
      const done = newestFirst.filter((b) => b.status === 'completed');
      setText(activeHeading, `Active batches (${open.length})`);
      setText(completedHeading, `Completed batches (${done.length})`);
      syncRows(
        active.body,
        open,
        (b) => String(b.batchTime),
        (b) => [
          batchLink(b),
          STATUS[b.status],
          formatCount(b.records),
          String(b.shards.length),
          formatCount(b.late),
          formatDuration(b.schedulingDelayMs),
          b.startedAt === undefined ? '–' : formatDuration(store.now - b.startedAt),
        ],
        (b) => `status-${b.status}`,
      );
      syncRows(
        completed.body,
        done.slice(0, shown),
        (b) => String(b.batchTime),
        (b) => [
          batchLink(b),
          formatCount(b.records),
          formatRate(b.inputRate),
          String(b.shards.length),
          formatCount(b.late),
          formatDuration(b.schedulingDelayMs),
          formatDuration(b.processingTimeMs),
          formatDuration(b.totalDelayMs),
          formatOutputs(b.outputs),
        ],
        (b) => (b.late > 0 ? 'has-late' : ''),
      );
      more.hidden = done.length <= shown;
    },
    destroy() {
      el.remove();
    },
  };
  return view;
}

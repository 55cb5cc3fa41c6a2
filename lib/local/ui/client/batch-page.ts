/**
 * One batch's details (Spark's batch page): its status and figures, the close (claimant, when it was
 * claimed and done, the delays, failed attempts), each shard's share (records, partials merged,
 * late records, map phases), and each output's element count.
 */
import { dataTable as table, h, syncRows } from './dom';
import type { Page } from './page';
import { formatCount, formatDuration, formatRate, formatTime } from './series';
import type { Store } from './store';

/** The details page of the batch at `batchTime` (epoch ms). */
export function batchPage(batchTime: number): Page {
  const title = `Batch ${formatTime(batchTime)}`;
  const facts = h('dl', { class: 'facts', id: 'batch-facts' });
  const missing = h(
    'p',
    { class: 'note', hidden: true },
    'This batch is not (or no longer) retained by the UI.',
  );
  const shards = table("Each shard's share of the batch", 'batch-shards', [
    'Shard',
    'Records',
    'Partials merged',
    'Late records',
    'Map phases',
  ]);
  const outputs = table('Output operations, in the order they were registered', 'batch-outputs', [
    '#',
    'Output',
    'Elements',
  ]);
  const failures = table('Failed attempts to close the batch', 'batch-failures', ['When', 'Closer', 'Error']);
  const failuresSection = h(
    'section',
    { 'aria-labelledby': 'h-failures', hidden: true },
    h('h2', { id: 'h-failures' }, 'Failed closes'),
    failures.el,
  );
  const el = h(
    'div',
    { class: 'page batch' },
    h('p', { class: 'crumbs' }, h('a', { href: '/batches' }, '← Batches')),
    h('h1', { tabindex: -1 }, title),
    missing,
    facts,
    h('section', { 'aria-labelledby': 'h-shards' }, h('h2', { id: 'h-shards' }, 'Per shard'), shards.el),
    h('section', { 'aria-labelledby': 'h-outputs' }, h('h2', { id: 'h-outputs' }, 'Outputs'), outputs.el),
    failuresSection,
  );
  const fact = (name: string, value: string) => [h('dt', {}, name), h('dd', {}, value)];

  return {
    title,
    el,
    update(store: Store) {
      const b = store.batch(batchTime);
      missing.hidden = b !== undefined;
      if (!b) return;
      const rows: [string, string][] = [
        ['Status', b.status],
        ['Records', formatCount(b.records)],
        ['Input rate', `${formatRate(b.inputRate)} records/s`],
        ['Late records', formatCount(b.late)],
        ['First record written', b.firstRecordAt === undefined ? '–' : formatTime(b.firstRecordAt)],
        ['Closed by', b.owner ?? '–'],
        ['Close claimed', b.startedAt === undefined ? '–' : formatTime(b.startedAt)],
        ['Close done', b.completedAt === undefined ? '–' : formatTime(b.completedAt)],
        ['Scheduling delay', formatDuration(b.schedulingDelayMs)],
        ['Processing time', formatDuration(b.processingTimeMs)],
        ['Total delay', formatDuration(b.totalDelayMs)],
      ];
      const text = rows.map(([k, v]) => `${k}=${v}`).join('\n');
      if (facts.dataset.text !== text) {
        facts.dataset.text = text;
        facts.replaceChildren(...rows.flatMap(([k, v]) => fact(k, v)));
      }
      syncRows(
        shards.body,
        b.shards,
        (s) => s.shardId,
        (s) => [
          s.shardId,
          formatCount(s.records),
          s.partials === undefined ? '–' : formatCount(s.partials),
          s.late === undefined ? '–' : formatCount(s.late),
          formatCount(s.mapPhases),
        ],
      );
      syncRows(
        outputs.body,
        (b.outputs ?? []).map((o, i) => ({ ...o, i })),
        (o) => String(o.i),
        (o) => [
          String(o.i + 1),
          o.kind,
          o.elements === null ? 'not run at this time' : formatCount(o.elements),
        ],
      );
      failuresSection.hidden = b.failures.length === 0;
      syncRows(
        failures.body,
        b.failures,
        (f) => `${f.at}-${f.owner}`,
        (f) => [formatTime(f.at), f.owner, f.error],
      );
    },
    destroy() {
      el.remove();
    },
  };
}

/**
 * The Streaming UI in the browser: one event stream (`/events`: a snapshot, then updates), a store,
 * and the page for the current path, switched without reloading (links are followed in place, the
 * back button works, every page has its own address).
 */
import './locale-guard'; // first: before uPlot loads
import { batchPage } from './batch-page';
import { batchesPage } from './batches-page';
import type { Page } from './page';
import { formatSecond } from './series';
import { shardsPage } from './shards-page';
import { Store } from './store';
import { streamingPage } from './streaming-page';
import type { UiSnapshot, UiUpdate } from '../types';

const store = new Store();
let page: Page | undefined;
let pageKey = '';

/** The page for a path, and a key that says when two paths are the same page. */
function route(path: string): { key: string; make: () => Page; nav: string } {
  const batch = /^\/batches\/(\d+)\/?$/.exec(path);
  if (batch) return { key: `batch-${batch[1]}`, make: () => batchPage(Number(batch[1])), nav: 'batches' };
  if (/^\/batches\/?$/.test(path)) return { key: 'batches', make: batchesPage, nav: 'batches' };
  if (/^\/shards\/?$/.test(path)) return { key: 'shards', make: shardsPage, nav: 'shards' };
  return { key: 'streaming', make: streamingPage, nav: 'streaming' };
}

function show(path: string, focus: boolean): void {
  const r = route(path);
  if (r.key === pageKey && page) return;
  page?.destroy();
  pageKey = r.key;
  page = r.make();
  const main = document.getElementById('main')!;
  main.replaceChildren(page.el);
  document.title = `${page.title} · ${store.pipeline || 'dstream'} · dstream`;
  for (const a of Array.from(document.querySelectorAll<HTMLAnchorElement>('nav a[data-page]'))) {
    if (a.dataset.page === r.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (store.version > 0) page.update(store);
  if (focus) page.el.querySelector<HTMLElement>('h1')?.focus();
}

/** Same-origin links change the page in place. */
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.target as Element).closest?.('a');
  if (!a || a.origin !== location.origin || a.target || a.hasAttribute('download')) return;
  if (a.hash && a.pathname === location.pathname) return; // in-page anchors (skip link)
  e.preventDefault();
  if (a.pathname !== location.pathname) history.pushState(null, '', a.pathname);
  show(a.pathname, true);
});
window.addEventListener('popstate', () => show(location.pathname, true));

// Render at most once per 200 ms, whatever the rate of messages.
let pending: ReturnType<typeof setTimeout> | undefined;
store.onChange(() => {
  pending ??= setTimeout(() => {
    pending = undefined;
    page?.update(store);
    const conn = document.getElementById('conn')!;
    conn.textContent = `live · ${formatSecond(store.now).slice(11)}`;
    conn.dataset.version = String(store.version);
    document.body.dataset.version = String(store.version);
  }, 200);
});

/** Tells assistive technology about the connection only when it changes (not at every update). */
function announce(text: string): void {
  const status = document.getElementById('conn-status')!;
  if (status.textContent !== text) status.textContent = text;
}

function connect(): void {
  const conn = document.getElementById('conn')!;
  const events = new EventSource('/events');
  events.addEventListener('snapshot', (e) => {
    conn.className = 'conn live';
    announce('Live updates connected.');
    store.applySnapshot(JSON.parse((e as MessageEvent<string>).data) as UiSnapshot);
    document.title = `${page?.title ?? 'Streaming'} · ${store.pipeline} · dstream`;
  });
  events.addEventListener('update', (e) =>
    store.applyUpdate(JSON.parse((e as MessageEvent<string>).data) as UiUpdate),
  );
  events.addEventListener('error', () => {
    conn.className = 'conn down';
    conn.textContent =
      events.readyState === EventSource.CLOSED
        ? 'disconnected (reload to retry)'
        : 'reconnecting… (is the run still going?)';
    announce(`Live updates ${conn.textContent}.`);
  });
}

show(location.pathname, false);
connect();

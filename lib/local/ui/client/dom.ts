/**
 * The few DOM helpers the pages need: build an element, and keep a table body in step with a list
 * of rows without rebuilding it (so focus, selection and scrolling survive live updates).
 */

type Child = Node | string | number | null | undefined | false;

/**
 * An element with attributes and children.
 * @example h('a', { href: '/batches' }, 'Batches')
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children)
    if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** A cell of {@link syncRows}: text, or text shown as a link. */
export type Cell = string | { text: string; href: string; label?: string };

/**
 * Makes `tbody` show `rows` in order, one `<tr data-key>` per row: rows are reused by key and a cell
 * is written only when its text changed. The first cell is a row header (`<th scope="row">`).
 */
export function syncRows<R>(
  tbody: HTMLTableSectionElement,
  rows: readonly R[],
  key: (row: R) => string,
  cells: (row: R) => Cell[],
  rowClass?: (row: R) => string,
): void {
  const existing = new Map<string, HTMLTableRowElement>();
  for (const tr of Array.from(tbody.rows)) existing.set(tr.dataset.key ?? '', tr);
  let cursor: Element | null = tbody.firstElementChild;
  for (const row of rows) {
    const k = key(row);
    let tr = existing.get(k);
    existing.delete(k);
    const values = cells(row);
    if (!tr) {
      tr = document.createElement('tr');
      tr.dataset.key = k;
      values.forEach((_, i) => {
        const cell = document.createElement(i === 0 ? 'th' : 'td');
        if (i === 0) cell.setAttribute('scope', 'row');
        tr!.append(cell);
      });
    }
    values.forEach((v, i) => writeCell(tr!.cells[i], v));
    const cls = rowClass?.(row) ?? '';
    if (tr.className !== cls) tr.className = cls;
    if (tr !== cursor) tbody.insertBefore(tr, cursor);
    else cursor = cursor.nextElementSibling;
  }
  for (const tr of existing.values()) tr.remove();
}

function writeCell(cell: HTMLTableCellElement, v: Cell): void {
  if (typeof v === 'string') {
    if (cell.firstElementChild) cell.replaceChildren(v);
    else if (cell.textContent !== v) cell.textContent = v;
    return;
  }
  const a = cell.firstElementChild as HTMLAnchorElement | null;
  if (a && a.tagName === 'A' && a.getAttribute('href') === v.href) {
    if (a.textContent !== v.text) a.textContent = v.text;
    return;
  }
  cell.replaceChildren(h('a', { href: v.href, 'aria-label': v.label }, v.text));
}

/** Sets an element's text if it changed. */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/** A data table with a caption and column headers, in a box that scrolls sideways on narrow screens. */
export function dataTable(
  caption: string,
  id: string,
  headers: string[],
): { el: HTMLDivElement; body: HTMLTableSectionElement } {
  const body = h('tbody');
  const table = h(
    'table',
    { id, class: 'data' },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', { scope: 'col' }, x)))),
    body,
  );
  return {
    el: h('div', { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': caption }, table),
    body,
  };
}

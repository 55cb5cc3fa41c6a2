/** What every page of the UI is: an element under <main>, updated from the store, then removed. */
import type { Store } from './store';

/** A page on screen. */
export interface Page {
  /** The page's title (the document title and its heading). */
  readonly title: string;
  readonly el: HTMLElement;
  /** Shows the store's latest figures. */
  update(store: Store): void;
  destroy(): void;
}

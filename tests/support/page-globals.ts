/**
 * The little of the DOM that the tests' functions run inside the browser page (`page.evaluate`) use.
 * The repository's tsconfig has no DOM library, on purpose (server code must not compile against
 * `window`), so those functions read `globalThis as unknown as PageGlobals` instead. Types only.
 */

export interface PageElementList extends Iterable<PageElement> {
  readonly length: number;
}

export interface PageParent {
  querySelector(selectors: string): PageElement | null;
  querySelectorAll(selectors: string): PageElementList;
  readonly activeElement: PageElement | null;
}

export interface PageElement {
  readonly tagName: string;
  readonly textContent: string | null;
  readonly shadowRoot: (PageParent & { readonly mode: string }) | null;
  readonly isConnected: boolean;
  getAttribute(name: string): string | null;
  matches(selectors: string): boolean;
  getBoundingClientRect(): { x: number; y: number; width: number; height: number };
  getRootNode(): unknown;
  readonly ownerDocument: unknown;
}

export interface PageDocument extends PageParent {
  readonly body: PageElement;
  readonly documentElement: PageElement;
}

export interface PageMessageEvent {
  readonly data: string;
}

export interface PageWebSocket {
  onopen: (() => void) | null;
  onclose: (() => void) | null;
  onmessage: ((event: PageMessageEvent) => void) | null;
  send(data: string): void;
}

export interface PageGlobals {
  readonly document: PageDocument;
  readonly navigator: { readonly onLine: boolean };
  readonly localStorage: { getItem(key: string): string | null; readonly length: number; key(index: number): string | null };
  readonly WebSocket: new (url: string) => PageWebSocket;
  getComputedStyle(element: PageElement): { outlineStyle: string; outlineWidth: string; boxShadow: string; visibility: string; display: string };
  eval(source: string): unknown;
  [name: string]: unknown;
}

/** What a page has to hand files over as a browser does: pasted from the clipboard or dropped. */
export interface PageFileTransfer {
  DataTransfer: new () => { readonly items: { add(file: unknown): unknown } };
  File: new (parts: unknown[], name: string, options: { type: string }) => unknown;
  ClipboardEvent: new (type: 'paste', init: { clipboardData: unknown; bubbles: boolean; cancelable: boolean }) => unknown;
  DragEvent: new (type: 'drop', init: { dataTransfer: unknown; bubbles: boolean; cancelable: boolean }) => unknown;
}

/**
 * The only way the widget makes elements. Text goes in as text nodes and attributes through
 * `setAttribute`, so nothing a visitor, an agent or a file name contains is ever parsed as HTML, and
 * handlers are attached with `addEventListener`, never as inline attributes (a page CSP forbids those).
 */

type Child = Node | string | false | null | undefined;
type Attributes = Record<string, string | boolean | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === true) element.setAttribute(name, '');
    else if (typeof value === 'string') element.setAttribute(name, value);
  }
  for (const child of children) if (child) element.append(child);
  return element;
}

export function on<K extends keyof HTMLElementEventMap>(target: HTMLElement, type: K, listener: (event: HTMLElementEventMap[K]) => void): void {
  target.addEventListener(type, listener);
}

/** Only web links become anchors: `javascript:`, `data:` and the like stay text. */
export function safeUrl(text: string, base?: string): string | null {
  try {
    const url = new URL(text, base);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

export function link(href: string, ...children: Child[]): HTMLAnchorElement {
  return h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, ...children);
}

const URLS = /\bhttps?:\/\/[^\s<>"]+/gi;
// A link rarely ends with punctuation: "see https://x.com/a." means the page /a.
const TRAILING = /[.,;:!?)\]'"]+$/;

/** A message body as text nodes, with its web addresses as safe links. */
export function linkify(body: string): Node[] {
  const nodes: Node[] = [];
  let last = 0;
  for (const match of body.matchAll(URLS)) {
    const start = match.index;
    const text = match[0].replace(TRAILING, '');
    const href = safeUrl(text);
    if (!href) continue;
    if (start > last) nodes.push(document.createTextNode(body.slice(last, start)));
    nodes.push(link(href, text));
    last = start + text.length;
  }
  if (last < body.length) nodes.push(document.createTextNode(body.slice(last)));
  return nodes;
}

/** A version 4 UUID, also where `crypto.randomUUID` is missing (pages served over plain http). */
export function uuid(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

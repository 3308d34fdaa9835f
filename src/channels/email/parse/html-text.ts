/**
 * Plain text from the sanitized HTML of a mail without a text part. It reads what sanitize-html
 * leaves (known tags, quoted attributes, text escaped), so a tokenizer is enough: no script, form
 * label or tracking pixel is left to show up in the text, lines are not hard-wrapped, and a
 * blockquote becomes `>` lines that the quote stripping recognizes.
 */

/** Blocks that stand apart by a blank line. */
const PARAGRAPHS = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'ul', 'ol', 'pre', 'table', 'dl', 'figure', 'hr']);
/** Blocks that start a line of their own. */
const LINES = new Set(['div', 'li', 'tr', 'dt', 'dd', 'address', 'article', 'aside', 'footer', 'header', 'section', 'main', 'nav', 'caption', 'figcaption', 'center', 'hgroup', 'menu']);
const CELLS = new Set(['td', 'th']);
const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };
/** sanitize-html escapes `>` inside attribute values, so a tag ends at the first `>`. */
const TOKEN = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>|([^<]+)/g;

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, name: string) => {
    if (name.startsWith('#')) {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
    }
    return ENTITIES[name.toLowerCase()] ?? entity;
  });
}

const HREF = /\shref="([^"]*)"/;
/** Word's margin-less paragraph: one line, not a paragraph. */
const WORD_LINE = /\sclass="[^"]*\bMsoNormal\b[^"]*"/;

function hrefOf(attributes: string): string {
  return decode(HREF.exec(attributes)?.[1] ?? '');
}

interface Link {
  href: string;
  text: string;
}

class TextWriter {
  private readonly lines: string[] = [];
  private line = '';
  private lineDepth = 0;
  quoteDepth = 0;
  preDepth = 0;
  /** The line holds nothing but non-breaking spaces: the sender's way of writing an empty line. */
  private keepBlank = false;
  readonly links: Link[] = [];
  readonly lists: { ordered: boolean; count: number }[] = [];

  writeNbsp(): void {
    if (this.line === '') this.keepBlank = true;
  }

  write(text: string): void {
    const collapse = this.preDepth === 0 && (this.line === '' || this.line.endsWith(' '));
    const chunk = collapse ? text.trimStart() : text;
    if (chunk === '') return;
    if (this.line === '') this.lineDepth = this.quoteDepth;
    this.line += chunk;
    for (const link of this.links) link.text += chunk;
  }

  /** Ends the current line; `blank` writes it even when empty (a `<br>` on an empty line). */
  endLine(blank = false): void {
    const keep = blank || this.keepBlank;
    this.keepBlank = false;
    if (this.line === '' && !keep) return;
    const depth = this.line === '' ? this.quoteDepth : this.lineDepth;
    this.lines.push(`${'> '.repeat(depth)}${this.line}`.trimEnd());
    this.line = '';
  }

  endParagraph(): void {
    this.endLine();
    if (this.lines.length > 0 && this.lines[this.lines.length - 1] !== '') this.lines.push('');
  }

  text(): string {
    this.endLine();
    return this.lines.join('\n').replace(/\n{3,}/g, '\n\n').trim();
  }
}

function openTag(writer: TextWriter, tag: string, attributes: string, wordLine: boolean): void {
  if (tag === 'br') writer.endLine(true);
  else if (tag === 'p' && wordLine) writer.endLine();
  else if (PARAGRAPHS.has(tag)) writer.endParagraph();
  else if (LINES.has(tag)) writer.endLine();
  if (tag === 'blockquote') writer.quoteDepth++;
  if (tag === 'pre') writer.preDepth++;
  if (tag === 'ul' || tag === 'ol') writer.lists.push({ ordered: tag === 'ol', count: 0 });
  if (tag === 'li') {
    const list = writer.lists[writer.lists.length - 1];
    if (list) list.count++;
    writer.write(list?.ordered ? `${list.count}. ` : '- ');
  }
  if (tag === 'a') writer.links.push({ href: hrefOf(attributes), text: '' });
}

/** A link whose words are not its address shows the address too: "the status page (https://…)". */
function closeLink(writer: TextWriter): void {
  const link = writer.links.pop();
  if (!link || link.href === '') return;
  const address = link.href.replace(/^mailto:/i, '');
  const words = link.text.trim();
  if (words === '') writer.write(address);
  else if (!/^mailto:/i.test(link.href) && words !== address) writer.write(` (${address})`);
}

function closeTag(writer: TextWriter, tag: string, wordLine: boolean): void {
  if (tag === 'a') closeLink(writer);
  if (tag === 'blockquote') writer.quoteDepth = Math.max(0, writer.quoteDepth - 1);
  if (tag === 'pre') writer.preDepth = Math.max(0, writer.preDepth - 1);
  if (tag === 'ul' || tag === 'ol') writer.lists.pop();
  if (CELLS.has(tag)) writer.write(' ');
  else if (PARAGRAPHS.has(tag) && !(tag === 'p' && wordLine)) writer.endParagraph();
  else if (LINES.has(tag) || tag === 'p') writer.endLine();
}

function writeText(writer: TextWriter, raw: string): void {
  const text = decode(raw);
  if (/^\s*$/.test(text) && text.includes('\u00a0')) writer.writeNbsp();
  if (writer.preDepth === 0) {
    writer.write(text.replace(/\s+/g, ' '));
    return;
  }
  text.split('\n').forEach((part, index) => {
    if (index > 0) writer.endLine(true);
    writer.write(part);
  });
}

/** The text of sanitized HTML, paragraphs and line breaks kept, quotes as `>` lines. */
export function htmlToText(html: string): string {
  const writer = new TextWriter();
  let wordLine = false;
  for (const [, closing, name, attributes, text] of html.matchAll(TOKEN)) {
    const tag = (name ?? '').toLowerCase();
    if (text !== undefined) writeText(writer, text);
    else if (closing) closeTag(writer, tag, wordLine);
    else {
      if (tag === 'p') wordLine = WORD_LINE.test(attributes ?? '');
      openTag(writer, tag, attributes ?? '', wordLine);
    }
  }
  return writer.text();
}

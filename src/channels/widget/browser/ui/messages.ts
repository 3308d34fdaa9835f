import type { WidgetAttachment, WidgetConversation } from '../../protocol';
import { h, link, linkify, on, safeUrl } from '../dom';
import type { Strings } from '../i18n';
import { isPending, type Shown } from '../store';

const THUMBNAIL_TYPES = /^image\/(png|jpeg|gif|webp)$/;

export interface MessageListOptions {
  strings: Strings;
  /** The hub's origin: attachment links may be relative to it. */
  hub: string;
  retry(id: string): void;
  describe(error: unknown): string;
}

function size(bytes: number): string {
  return bytes < 1e6 ? `${Math.max(1, Math.round(bytes / 1e3))} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * The conversation as a list. Items are kept by message id and rebuilt only when what they show
 * changes, so thumbnails do not reload and a focused Retry button stays put while other messages arrive.
 */
export class MessageList {
  readonly element: HTMLOListElement;
  private readonly items = new Map<string, { key: string; li: HTMLLIElement }>();

  constructor(private readonly options: MessageListOptions) {
    this.element = h('ol', { 'aria-label': options.strings.messages });
  }

  render(messages: Shown[], conversations: Map<string, WidgetConversation>): void {
    const lastVisitor = messages.map((message) => message.from).lastIndexOf('visitor');
    const items = messages.map((message, index) => {
      const previous = messages[index - 1];
      const name = message.from === 'agent' || message.from === 'bot' ? (message.senderName ?? this.options.strings.agent) : '';
      const showName = name && (previous?.from !== message.from || previous.senderName !== message.senderName) ? name : '';
      const meta = index === lastVisitor || (isPending(message) && message.error) ? this.meta(message, conversations) : '';
      const key = [message.body, showName, meta, ...message.attachments.map((file) => file.url)].join('\n');
      let item = this.items.get(message.id);
      if (item?.key !== key) {
        item = { key, li: this.item(message, showName, meta) };
        this.items.set(message.id, item);
      }
      return item.li;
    });
    // Forget messages that are gone (a confirmed send replaces its pending copy; a reset clears all).
    const shown = new Set(messages.map((message) => message.id));
    for (const id of this.items.keys()) if (!shown.has(id)) this.items.delete(id);
    this.element.replaceChildren(...items);
  }

  /** Under the visitor's last message: sending, sent or seen; under a failed one, why, and Retry. */
  private meta(message: Shown, conversations: Map<string, WidgetConversation>): string {
    const t = this.options.strings;
    if (isPending(message)) return message.error ? `${t.failed} ${this.options.describe(message.error)}` : t.sending;
    const seenAt = conversations.get(message.conversationId)?.agentLastSeenAt;
    return seenAt && Date.parse(seenAt) >= Date.parse(message.createdAt) ? t.seen : t.sent;
  }

  private item(message: Shown, name: string, meta: string): HTMLLIElement {
    const bubble = h('div', { class: 'bubble', title: new Date(message.createdAt).toLocaleString() }, ...linkify(message.body));
    for (const file of message.attachments) bubble.append(this.attachment(file));
    const li = h('li', { class: message.from }, name && h('p', { class: 'who' }, name), bubble);
    if (meta) {
      const line = h('p', { class: 'meta' }, meta);
      if (isPending(message) && message.error) {
        const retry = h('button', { type: 'button' }, this.options.strings.retry);
        on(retry, 'click', () => this.options.retry(message.id));
        line.append(' ', retry);
      }
      li.append(line);
    }
    return li;
  }

  /** Pictures as thumbnails (a link to the full size), other files as a link with their size. */
  private attachment(file: WidgetAttachment): Node {
    const href = safeUrl(file.url, this.options.hub);
    if (!href) return h('p', {}, file.name);
    if (!THUMBNAIL_TYPES.test(file.contentType)) return h('p', {}, link(href, `${file.name} (${size(file.size)})`));
    const image = h('img', { src: href, alt: file.name, loading: 'lazy' });
    // A page whose CSP keeps images from the hub out still gets a working link.
    image.addEventListener('error', () => image.replaceWith(file.name));
    return link(href, image);
  }
}

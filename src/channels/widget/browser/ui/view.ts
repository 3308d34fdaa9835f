import type { WidgetMessage } from '../../protocol';
import type { Chat } from '../chat';
import { accentOnWhite, safeColor, textOn } from '../color';
import { h, on } from '../dom';
import { HttpError } from '../http';
import { fill, type Strings } from '../i18n';
import { fromTeam } from '../store';
import { Composer } from './composer';
import { alertLine, form } from './forms';
import { icon } from './icons';
import { MessageList } from './messages';
import { ratingCard } from './rating';
import css from './widget.css';

export interface ViewEvents {
  opened(): void;
  closed(): void;
}

type Mode = 'offline' | 'prechat' | 'composer';

/**
 * Everything the visitor sees, in a shadow root on a host element of its own: the launcher, and the
 * panel with the conversation and, at its foot, the composer or the form that comes before it.
 */
export class View {
  isOpen = false;
  private readonly shadow: ShadowRoot;
  private readonly frame: HTMLDivElement;
  private readonly launcher: HTMLButtonElement;
  private readonly badge = h('span', { class: 'badge', 'aria-hidden': 'true', hidden: true });
  private readonly panel: HTMLDivElement;
  private readonly status = h('p');
  private readonly body = h('div', { class: 'body' });
  private readonly list: MessageList;
  private readonly typing = h('p', { class: 'typing' });
  private readonly notice = h('p', { class: 'card', hidden: true });
  private readonly rating = h('div');
  private ratingShown = '';
  private footer: HTMLElement = h('div');
  private mode: Mode | null = null;
  private composer: Composer | null = null;
  private readonly alert = alertLine();
  /** Announces new messages to screen readers. */
  private readonly live = h('div', { class: 'sr', role: 'status' });

  constructor(
    private readonly chat: Chat,
    private readonly t: Strings,
    hub: string,
    private readonly events: ViewEvents,
  ) {
    const { settings } = chat;
    const host = document.createElement('switchboard-widget');
    // Set through the CSSOM, which a page CSP allows, unlike a style attribute.
    const color = safeColor(settings.color);
    host.style.setProperty('--c', color);
    host.style.setProperty('--fg', textOn(color));
    host.style.setProperty('--ring', accentOnWhite(color));
    // Open, so that assistive technology and test tools can read it; the page could reach in anyway.
    this.shadow = host.attachShadow({ mode: 'open' });
    adoptStyles(this.shadow, css);

    this.launcher = h('button', { class: 'launcher', 'aria-label': t.openChat, 'aria-expanded': 'false' }, icon('chat'), this.badge);
    const close = h('button', { type: 'button', 'aria-label': t.close }, icon('close'));
    this.list = new MessageList({ strings: t, hub, retry: (id) => chat.retry(id), describe: (error) => this.describe(error) });
    const greeting = settings.greeting && h('div', { class: 'bubble' }, settings.greeting);
    this.body.append(h('div', {}, greeting, this.list.element, this.typing, this.notice, this.rating));
    this.panel = h(
      'div',
      { class: 'panel', role: 'dialog', 'aria-label': settings.name, hidden: true },
      h('header', {}, h('div', {}, h('h2', {}, settings.name), this.status), close),
      this.body,
      this.alert,
      this.footer,
    );
    this.frame = h('div', { class: settings.position }, this.launcher, this.panel, this.live);
    this.shadow.append(this.frame);

    on(this.launcher, 'click', () => (this.isOpen ? this.close() : this.open()));
    on(close, 'click', () => this.close());
    on(this.frame, 'keydown', (event) => {
      if (event.key === 'Escape' && this.isOpen) this.close();
    });
    on(this.panel, 'dragover', (event) => {
      if (event.dataTransfer?.types.includes('Files')) event.preventDefault();
    });
    on(this.panel, 'drop', (event) => {
      event.preventDefault();
      if (event.dataTransfer?.files.length) this.composer?.add(event.dataTransfer.files);
    });
    document.addEventListener('visibilitychange', () => this.render());
    document.body.append(host);
    this.render();
  }

  open(): void {
    if (this.isOpen) return;
    this.setOpen(true);
    this.body.scrollTop = this.body.scrollHeight;
    this.footer.querySelector<HTMLElement>('textarea, input')?.focus();
    // The first open is when an anonymous visitor comes to be, so the socket is ready for the first words.
    this.chat.ensureVisitor().then(
      () => (this.alert.textContent = ''),
      (error: unknown) => (this.alert.textContent = this.describe(error)),
    );
    this.events.opened();
  }

  close(): void {
    if (!this.isOpen) return;
    // Focus goes back to the launcher only when it was in the widget: a close() by the page steals nothing.
    const focused = this.shadow.activeElement !== null;
    this.setOpen(false);
    if (focused) this.launcher.focus();
    this.events.closed();
  }

  announce(message: WidgetMessage): void {
    if (message.from === 'visitor') return;
    const body = message.body || message.attachments.map((file) => file.name).join(', ');
    this.live.textContent = fill(this.t.newMessage, { name: message.senderName ?? this.t.agent, body });
  }

  render(): void {
    const { chat, t } = this;
    const messages = chat.store.list();
    const unread = messages.filter((message) => fromTeam(message) && message.status !== 'read').length;
    this.badge.textContent = String(unread);
    this.badge.hidden = this.isOpen || unread === 0;
    this.status.textContent = chat.online ? t.online : chat.settings.awayMessage || t.away;

    const body = this.body;
    const atBottom = body.scrollHeight - body.scrollTop - body.clientHeight < 60;
    this.list.render(messages, chat.store.conversations);
    this.typing.textContent = chat.typing ? fill(t.typing, { name: chat.typing.name ?? t.someone }) : '';
    this.typing.hidden = !chat.typing;
    this.notice.textContent = t.offlineThanks;
    this.notice.hidden = !chat.offlineSent;
    this.renderRating();
    this.renderFooter(messages.length === 0 && !chat.loading);
    if (atBottom) body.scrollTop = body.scrollHeight;

    if (this.isOpen && document.visibilityState === 'visible') chat.markRead();
  }

  private setOpen(open: boolean): void {
    this.isOpen = open;
    this.panel.hidden = !open;
    this.frame.classList.toggle('open', open);
    this.launcher.setAttribute('aria-label', open ? this.t.closeChat : this.t.openChat);
    this.launcher.setAttribute('aria-expanded', String(open));
    this.render();
  }

  /** The rating card, rebuilt only when the conversation or its rating changes (not to lose a comment). */
  private renderRating(): void {
    const current = this.chat.store.current();
    const shown = current?.status === 'resolved' ? `${current.id}:${current.rating ? 'rated' : ''}:${current.emailTranscript ? 'email' : ''}` : '';
    if (shown === this.ratingShown) return;
    this.ratingShown = shown;
    const hadFocus = this.rating.contains(this.shadow.activeElement);
    this.rating.replaceChildren(...(current && shown ? [ratingCard(this.chat, current, this.t, (error) => this.describe(error))] : []));
    // Rated: the focused Send rating button is gone; the transcript button is what is left to do.
    if (hadFocus) this.rating.querySelector('button')?.focus();
  }

  /**
   * Nobody online and nothing said yet: the offline form, so the question is not lost. A website with
   * a pre-chat form asks a new, unnamed visitor for a name and an email first. Else: the composer.
   */
  private renderFooter(empty: boolean): void {
    const { chat, t } = this;
    const mode: Mode =
      !chat.online && empty && !chat.offlineSent ? 'offline' : chat.settings.preChatForm && empty && !chat.profileSent && !chat.identified ? 'prechat' : 'composer';
    // While the history loads (right after the first open, too), what is shown stays: a rebuilt form
    // would drop what the visitor has started typing.
    if (mode === this.mode || (chat.loading && this.mode !== null)) return;
    const hadFocus = this.footer.contains(this.shadow.activeElement);
    this.mode = mode;
    this.composer = mode === 'composer' ? new Composer(chat, t, (error) => this.describe(error)) : null;
    const describe = (error: unknown): string => this.describe(error);
    const footer =
      this.composer?.element ??
      (mode === 'offline'
        ? form(
            null,
            [
              { name: 'name', label: t.name },
              { name: 'email', label: t.email, type: 'email', required: true },
              { name: 'message', label: t.message, multiline: true, required: true },
            ],
            t.leaveMessage,
            (values) => chat.leaveMessage({ email: values.email ?? '', name: values.name, message: values.message ?? '' }),
            describe,
          )
        : form(
            t.preChat,
            [
              { name: 'name', label: t.name },
              { name: 'email', label: t.email, type: 'email', required: true },
            ],
            t.startChat,
            (values) => chat.introduce(values),
            describe,
          ));
    this.footer.replaceWith(footer);
    this.footer = footer;
    if (hadFocus) footer.querySelector<HTMLElement>('textarea, input')?.focus();
  }

  /** What went wrong, in the visitor's language; a 429 says when to try again. */
  private describe(error: unknown): string {
    const { t } = this;
    if (error instanceof HttpError) {
      if (error.status === 429) return fill(t.rateLimited, { n: error.retryAfterSeconds ?? 60 });
      if (error.status === 413) return fill(t.tooLarge, { n: Math.round(this.chat.settings.attachments.maxBytes / 1e5) / 10 });
      if (error.status === 415) return t.badType;
    }
    return t.error;
  }
}

/**
 * A constructed style sheet, which no page CSP can refuse; browsers without them (Safari before 16.4)
 * get a style element, which works unless the page forbids inline styles.
 */
function adoptStyles(root: ShadowRoot, text: string): void {
  if ('replaceSync' in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(text);
    root.adoptedStyleSheets = [sheet];
  } else root.append(h('style', {}, text));
}

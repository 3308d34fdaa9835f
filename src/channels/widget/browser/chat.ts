import type {
  IdentifyInput,
  OfflineMessageInput,
  ProfileInput,
  RatingInput,
  ServerFrame,
  TranscriptEmailed,
  UploadedFile,
  VisitorSession,
  WidgetConversation,
  WidgetMessage,
  WidgetSettings,
} from '../protocol';
import { uuid } from './dom';
import { HttpError, type HubClient, type RequestOptions } from './http';
import { Feed } from './feed';
import { PageViews } from './page-views';
import type { Session } from './session';
import { fromTeam, isPending, MessageStore, type Pending } from './store';

export interface ChatListener {
  /** Something shown changed: messages, conversations, presence, typing. */
  changed(): void;
  /** A message the widget had not seen, arrived live (not from the history loaded at start). */
  message(message: WidgetMessage): void;
}

/** A send that failed on the network is tried again after 1, 2, 4… seconds, this many times. */
const SEND_TRIES = 6;
/** Typing frames: at most one "typing" per this while, and "stopped" after this long without a key. */
const TYPING_EVERY_MS = 3000;
/** The agent's typing indicator goes away by itself if the "stopped" frame is lost. */
const TYPING_SHOWN_MS = 8000;

/**
 * The conversation's state and everything that talks to the hub about it: the visitor (created on
 * first need, never on a mere page view), the history, the socket, sends, uploads, forms and receipts.
 * The UI reads its fields and calls its methods; it knows nothing of HTTP or frames.
 */
export class Chat {
  readonly store = new MessageStore();
  online: boolean;
  /** Who is typing among the agents, when someone is. */
  typing: { name: string | null } | null = null;
  /** The history is on its way: an empty list does not yet mean a visitor who never wrote. */
  loading = false;
  offlineSent = false;
  profileSent = false;
  private visitor: Promise<void> | null = null;
  private readonly feed: Feed;
  private readonly pageViews: PageViews;
  private readonly receipts = { received: new Set<string>(), read: new Set<string>() };
  private typingSentAt = 0;
  private typingStop = 0;
  private typingShown = 0;
  private listener: ChatListener = { changed: () => undefined, message: () => undefined };

  constructor(
    readonly settings: WidgetSettings,
    private readonly hub: HubClient,
    private readonly session: Session,
    socketUrl: string,
  ) {
    this.online = settings.online;
    this.pageViews = new PageViews(hub);
    this.feed = new Feed(hub, socketUrl, {
      after: () => this.store.lastId(),
      history: (history, live) => {
        for (const conversation of history.conversations) this.store.putConversation(conversation);
        // What a poll finds is news, like the socket's messages; the history at start is not.
        for (const message of history.messages) {
          if (live) this.arrived(message);
          else this.store.put(message);
        }
        this.listener.changed();
      },
      frame: (frame) => this.onFrame(frame),
      loaded: () => {
        this.loading = false;
        this.listener.changed();
      },
      rejected: () => this.forget(),
    });
  }

  /** Reports to `listener` from now on; a returning visitor's history and socket start here. */
  start(listener: ChatListener): void {
    this.listener = listener;
    this.session.follow((token) => this.follow(token));
    if (this.session.token) this.connect();
  }

  get identified(): boolean {
    return this.session.user !== null;
  }

  /** The visitor: the one this browser has, else a new anonymous one (the first time it is needed). */
  ensureVisitor(): Promise<void> {
    if (this.session.token) return Promise.resolve();
    this.visitor ??= this.hub
      .json<VisitorSession>('visitors', { body: {} })
      .then((session) => {
        this.session.token = session.token;
        this.connect();
      })
      .finally(() => (this.visitor = null));
    return this.visitor;
  }

  send(body: string, files: UploadedFile[]): void {
    const clientId = uuid();
    const pending: Pending = {
      local: true,
      input: { clientId, body, attachments: files.map(({ fileKey }) => ({ fileKey })) },
      id: `local:${clientId}`,
      conversationId: '',
      clientId,
      from: 'visitor',
      senderName: null,
      body,
      attachments: files,
      createdAt: new Date().toISOString(),
      status: 'sending',
    };
    this.store.put(pending);
    this.typed(false);
    this.listener.changed();
    void this.deliver(pending, 0);
  }

  /** Sends a failed message again, with the same clientId: the hub keeps one copy whatever happened. */
  retry(id: string): void {
    const pending = this.store.get(id);
    if (!pending || !isPending(pending)) return;
    this.store.put({ ...pending, error: undefined });
    this.listener.changed();
    void this.deliver(pending, 0);
  }

  async upload(file: File): Promise<UploadedFile> {
    const { maxBytes, allowedTypes } = this.settings.attachments;
    // The hub checks the bytes; these checks only spare the visitor an upload bound to fail.
    if (file.size > maxBytes) throw new HttpError(413, 'file_too_large', '');
    if (file.type && allowedTypes.length > 0 && !allowedTypes.includes(file.type)) throw new HttpError(415, 'unsupported_file_type', '');
    return this.call<UploadedFile>(`uploads?name=${encodeURIComponent(file.name)}`, { body: file });
  }

  async leaveMessage(input: OfflineMessageInput): Promise<void> {
    await this.call('offline', { body: input });
    this.offlineSent = true;
    this.listener.changed();
  }

  async introduce(input: ProfileInput): Promise<void> {
    await this.call('profile', { body: input });
    this.profileSent = true;
    this.listener.changed();
  }

  async rate(conversation: WidgetConversation, input: RatingInput): Promise<void> {
    const { rating } = await this.call<{ rating: { score: number; comment: string | null } }>(`conversations/${conversation.id}/rating`, { method: 'PUT', body: input });
    this.store.putConversation({ ...conversation, rating });
    this.listener.changed();
  }

  async transcript(conversationId: string): Promise<Blob> {
    return (await this.hub.fetch(`conversations/${conversationId}/transcript`)).blob();
  }

  /** Has the transcript mailed to the visitor; resolves with the address it goes to. */
  async emailTranscript(conversationId: string): Promise<string> {
    return (await this.call<TranscriptEmailed>(`conversations/${conversationId}/transcript/email`, { method: 'POST' })).sentTo;
  }

  /**
   * Names the visitor. The same user on the next page costs nothing; another user than the one this
   * browser had starts from a new visitor, so nobody inherits someone else's conversations.
   */
  async identify(input: IdentifyInput): Promise<void> {
    const user = [input.id, input.name, input.email].join('\n');
    if (this.session.token && this.session.user === user) return;
    const previous = this.session.user;
    if (previous !== null && previous.split('\n')[0] !== input.id) this.reset();
    const session = await this.call<VisitorSession>('identify', { body: input });
    this.session.user = user;
    this.adopt(session.token);
  }

  /** Forgets the visitor here and in the other tabs: the next message starts a new one. */
  reset(): void {
    this.session.user = null;
    this.adopt(null);
  }

  /** The visitor types (or sent, or emptied the box): tell the agents, without a frame per key. */
  typed(typing: boolean): void {
    clearTimeout(this.typingStop);
    const now = Date.now();
    if (typing) {
      if (now - this.typingSentAt > TYPING_EVERY_MS) {
        this.typingSentAt = now;
        this.feed.send({ type: 'typing', typing: true });
      }
      this.typingStop = window.setTimeout(() => this.typed(false), TYPING_EVERY_MS);
    } else if (this.typingSentAt) {
      this.typingSentAt = 0;
      this.feed.send({ type: 'typing', typing: false });
    }
  }

  /** The panel is open and the page visible: what the agents wrote has been read. */
  markRead(): void {
    this.acknowledge('read');
  }

  private adopt(token: string | null): void {
    this.session.token = token;
    this.follow(token);
  }

  /** Another tab (or this one) changed the visitor: start over with the new one, or with none. */
  private follow(token: string | null): void {
    this.feed.stop();
    this.store.clear();
    this.receipts.received.clear();
    this.receipts.read.clear();
    this.typing = null;
    this.loading = this.offlineSent = this.profileSent = false;
    if (token) this.connect();
    else this.pageViews.forget();
    this.listener.changed();
  }

  /** The hub no longer knows the token (its secret changed, the visitor was deleted): start afresh. */
  private forget(): void {
    this.session.token = null;
    this.follow(null);
  }

  /** The visitor's conversations, and this page in their browsing history. */
  private connect(): void {
    const token = this.session.token;
    if (!token) return;
    if (this.settings.recordPageViews) this.pageViews.record();
    this.loading = true;
    this.feed.start(token);
  }

  /** A visitor request; a token the hub refuses is replaced by a new visitor, once. */
  private async call<T>(path: string, options: RequestOptions): Promise<T> {
    await this.ensureVisitor();
    try {
      return await this.hub.json<T>(path, options);
    } catch (error) {
      if (!(error instanceof HttpError) || error.status !== 401) throw error;
      this.forget();
      await this.ensureVisitor();
      return this.hub.json<T>(path, options);
    }
  }

  private async deliver(pending: Pending, attempt: number): Promise<void> {
    try {
      const { message } = await this.call<{ message: WidgetMessage }>('messages', { body: pending.input });
      this.arrived(message);
    } catch (error) {
      // The socket may have brought the message while the answer was lost.
      if (pending.clientId === null || this.store.confirmed(pending.clientId)) return;
      if (!(error instanceof HttpError) && attempt < SEND_TRIES) {
        setTimeout(() => void this.deliver(pending, attempt + 1), 1000 * 2 ** attempt);
        return;
      }
      this.store.put({ ...pending, error: error instanceof HttpError ? error : new HttpError(0, 'network', '') });
    }
    this.listener.changed();
  }

  private arrived(message: WidgetMessage): void {
    if (this.store.put(message)) this.listener.message(message);
  }

  private onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'ready':
        this.online = frame.online;
        for (const conversation of frame.conversations) this.store.putConversation(conversation);
        break;
      case 'message':
        if (fromTeam(frame.message)) this.showTyping(null);
        this.arrived(frame.message);
        break;
      case 'conversation':
        this.store.putConversation(frame.conversation);
        break;
      case 'typing':
        this.showTyping(frame.typing ? { name: frame.name } : null);
        break;
      case 'presence':
        this.online = frame.online;
        break;
      default:
        return;
    }
    this.acknowledge('received');
    this.listener.changed();
  }

  private showTyping(typing: { name: string | null } | null): void {
    clearTimeout(this.typingShown);
    this.typing = typing;
    if (typing) this.typingShown = window.setTimeout(() => this.showTyping(null), TYPING_SHOWN_MS);
  }

  /**
   * Receipts for the agents' messages, each once per page: `received` as soon as the widget has it,
   * `read` when the visitor could see it. One that could not be sent (socket down) is sent later.
   */
  private acknowledge(receipt: 'received' | 'read'): void {
    for (const message of this.store.list()) {
      if (!fromTeam(message) || message.status === 'read') continue;
      if (receipt === 'received' && message.status === 'delivered') continue;
      const done = this.receipts[receipt];
      if (!done.has(message.id) && this.feed.send({ type: receipt, messageId: message.id })) done.add(message.id);
    }
  }
}

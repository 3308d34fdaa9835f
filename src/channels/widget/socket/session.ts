import type { Logger } from 'pino';
import { WebSocket, type RawData } from 'ws';
import type { Database } from '../../../core/database';
import { canMoveDeliveryStatus } from '../../../core/messages/delivery-status';
import type { Inbound } from '../../../core/inbound';
import { DELIVERY_STATUSES, type Conversation, type DeliveryStatus, type Website } from '../../../core/model/types';
import type { Signals } from '../../../core/ports/signals';
import type { Json } from '../../../core/serialize';
import { findVisibleMessage, isVisibleTo } from '../../../core/visitors/scope';
import { loadVisitor, type Visitor } from '../../../core/visitors/visitors';
import { WIDGET_CHANNEL } from '../name';
import { isWebsiteOnline } from '../../../core/websites/presence';
import { isAtOrBefore, visitorHistory, type HistoryPosition } from '../history';
import type { ClientFrame, ServerFrame, WidgetConversation, WidgetMessage } from '../protocol';
import type { VisitorTokens } from '../tokens';
import type { WidgetViews } from '../views';
import { CLOSE, encodeFrame, parseClientFrame } from './frames';
import type { RoutedItem, RoutedSession, SocketRouter } from './router';

export interface SessionDeps {
  db: Database;
  tokens: VisitorTokens;
  views: WidgetViews;
  router: SocketRouter;
  inbound: Inbound;
  signals: Signals;
  logger: Logger;
}

const HELLO_TIMEOUT_MS = 10_000;
/**
 * The latest messages whose last status sent is remembered, so that an event still on its way when they
 * were read from the database never shows one twice or moves it backwards. Only the latest can have
 * such events, and an idle socket should cost little.
 */
const REMEMBERED_MESSAGES = 100;
/** A visitor who keeps typing is announced again this often, so agents' indicators do not time out. */
const TYPING_REFRESH_MS = 2000;
/** More frames than this in a second is no widget: the socket is closed. */
const MAX_FRAMES_PER_SECOND = 30;
/** A client this far behind in reading is dropped; it resumes from its last message when it reconnects. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

function isDeliveryStatus(status: string): status is DeliveryStatus {
  return (DELIVERY_STATUSES as readonly string[]).includes(status);
}

/** Whether a message shown with one status should be shown again with another: only when it moved forward. */
function movesForward(shown: string, status: string): boolean {
  return isDeliveryStatus(shown) && isDeliveryStatus(status) && canMoveDeliveryStatus(shown, status);
}

type ReadyConversations = Map<string, WidgetConversation>;

/** What a socket keeps of each of its visitor's conversations: enough to follow it, little enough for thousands of sockets. */
type KnownConversation = Pick<Json<Conversation>, 'identityId' | 'status' | 'createdAt' | 'updatedAt'>;

function known({ identityId, status, createdAt, updatedAt }: Json<Conversation>): KnownConversation {
  return { identityId, status, createdAt, updatedAt };
}

/**
 * One widget socket. It must say `hello` with its token first; then it resumes (registered with the
 * router before the database is read, so that nothing falls between the two, and live events that came
 * meanwhile sorted out against what was read), says `ready`, and follows the visitor's conversations.
 */
export class SocketSession implements RoutedSession {
  scopeKey = '';
  /** Cleared by each heartbeat, set again by the client's pong. */
  alive = true;
  /** Whether an agent is there, as this socket last told its visitor. */
  online = false;
  private visitor?: Visitor;
  /** Items that came while the session resumed; undefined once it is live. */
  private buffer?: RoutedItem[];
  private closed = false;
  private readonly conversations = new Map<string, KnownConversation>();
  private readonly shown = new Map<string, string>();
  /** The last message the widget had when it said hello: it needs no other event of a message's creation up to there. */
  private after: HistoryPosition | null = null;
  /** Frames are handled one after the other, so that nothing overtakes the hello. */
  private work: Promise<void> = Promise.resolve();
  private readonly helloTimer: NodeJS.Timeout;
  private typing = { typing: false, at: 0 };
  private frames = { second: 0, count: 0 };

  constructor(
    private readonly ws: WebSocket,
    readonly website: Website,
    private readonly deps: SessionDeps,
  ) {
    this.helloTimer = setTimeout(() => this.close(CLOSE.unauthorized, 'hello expected'), HELLO_TIMEOUT_MS);
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('pong', () => (this.alive = true));
    ws.on('close', () => this.onClose());
    ws.on('error', (error) => deps.logger.debug({ err: error }, 'widget socket error'));
  }

  /** Called by the router: now, or after the resume, depending on where the session is. */
  deliver(item: RoutedItem): void {
    if (this.buffer) this.buffer.push(item);
    else this.apply(item);
  }

  /** The heartbeat: a socket that did not answer the last ping is gone. */
  heartbeat(): void {
    if (!this.alive) {
      this.ws.terminate();
      return;
    }
    this.alive = false;
    this.ws.ping();
  }

  presence(online: boolean): void {
    if (!this.visitor || this.buffer || online === this.online) return;
    this.online = online;
    this.send({ type: 'presence', online });
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.ws.close(code, reason);
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    const second = Math.floor(Date.now() / 1000);
    if (second !== this.frames.second) this.frames = { second, count: 0 };
    if (++this.frames.count > MAX_FRAMES_PER_SECOND) {
      this.close(CLOSE.policyViolation, 'too many frames');
      return;
    }
    const frame = parseClientFrame(data, isBinary);
    this.work = this.work
      .then(() => this.handle(frame))
      .catch((error: unknown) => {
        this.deps.logger.error({ err: error }, 'widget socket frame failed');
        this.close(CLOSE.internalError, 'internal error');
      });
  }

  private async handle(frame: ClientFrame | undefined): Promise<void> {
    if (this.closed) return;
    if (!this.visitor) {
      if (frame?.type !== 'hello') this.close(CLOSE.unauthorized, 'the first frame must be hello');
      else await this.hello(frame.token, frame.after);
      return;
    }
    if (!frame) {
      this.sendError('validation_failed', 'The frame is not one the hub understands.');
      return;
    }
    switch (frame.type) {
      case 'hello':
        this.sendError('already_identified', 'This socket said hello already.');
        return;
      case 'ping':
        this.send({ type: 'pong' });
        return;
      case 'typing':
        await this.visitorTyping(this.visitor, frame.typing);
        return;
      case 'received':
        await this.receipt(this.visitor, frame.messageId, 'delivered');
        return;
      case 'read':
        await this.receipt(this.visitor, frame.messageId, 'read');
        return;
    }
  }

  private async hello(token: string, after: string | undefined): Promise<void> {
    clearTimeout(this.helloTimer);
    const { db, tokens, router, views } = this.deps;
    const claims = tokens.verify(token);
    const visitor = claims?.websiteId === this.website.id ? await loadVisitor(db, WIDGET_CHANNEL, this.website, claims) : null;
    if (!visitor) {
      this.close(CLOSE.unauthorized, 'invalid visitor token');
      return;
    }
    if (this.closed) return;
    this.visitor = visitor;
    this.scopeKey = visitor.scope.kind === 'visitor' ? `identity:${visitor.scope.identityId}` : `contact:${visitor.scope.contactId}`;
    // Registered before the database is read: whatever is published meanwhile waits in the buffer.
    this.buffer = [];
    router.resume(this);
    const [history, online] = await Promise.all([visitorHistory(db, views, visitor.scope, after), isWebsiteOnline(db, this.website)]);
    // Gone during the read: its close took it out of the router already.
    if (this.ws.readyState !== WebSocket.OPEN) return;

    this.after = history.after;
    for (const message of history.messages) this.sendMessage(message);
    const ready: ReadyConversations = new Map();
    history.stored.forEach((conversation, index) => {
      this.conversations.set(conversation.id, known(conversation));
      const view = history.conversations[index];
      if (view) ready.set(conversation.id, view);
    });
    router.live(this, this.conversations.keys());
    const buffered = this.buffer;
    this.buffer = undefined;
    // What came live during the read: messages already sent are skipped; conversation changes go into `ready`.
    for (const item of buffered) this.apply(item, ready);
    this.online = online;
    this.send({ type: 'ready', online, conversations: [...ready.values()] });
  }

  private apply(item: RoutedItem, ready?: ReadyConversations): void {
    switch (item.kind) {
      case 'message':
        if (!this.conversations.has(item.message.conversationId)) return;
        if (item.created && this.after && isAtOrBefore(item.message, this.after)) return;
        this.sendMessage(item.message);
        return;
      case 'typing':
        if (this.conversations.has(item.conversationId)) this.send({ type: 'typing', conversationId: item.conversationId, typing: item.typing, name: item.name });
        return;
      case 'conversation':
        this.applyConversation(item.conversation, item.view, ready);
        return;
    }
  }

  private applyConversation(conversation: Json<Conversation>, view: WidgetConversation, ready: ReadyConversations | undefined): void {
    if (!this.visitor) return;
    const { id } = conversation;
    const previous = this.conversations.get(id);
    if (!isVisibleTo(this.visitor.scope, conversation)) {
      // It moved to another contact (its browser logged in as another user): no longer this visitor's.
      if (previous) {
        this.conversations.delete(id);
        this.deps.router.unfollow(this, id);
        ready?.delete(id);
      }
      return;
    }
    // Events published by two processes can overtake each other on the way here: the latest state wins.
    if (previous && previous.updatedAt > conversation.updatedAt) return;
    this.conversations.set(id, known(conversation));
    if (!previous) this.deps.router.follow(this, id);
    if (ready) ready.set(id, view);
    else this.send({ type: 'conversation', conversation: view });
  }

  private sendMessage(message: WidgetMessage): void {
    const shown = this.shown.get(message.id);
    if (shown !== undefined && !movesForward(shown, message.status)) return;
    this.shown.delete(message.id);
    this.shown.set(message.id, message.status);
    if (this.shown.size > REMEMBERED_MESSAGES) {
      const oldest = this.shown.keys().next();
      if (!oldest.done) this.shown.delete(oldest.value);
    }
    this.send({ type: 'message', message });
  }

  /** Where the visitor's next message goes (ingest's rule): their latest conversation, unless it is resolved. */
  private openConversation(visitor: Visitor): string | undefined {
    let latest: (KnownConversation & { id: string }) | undefined;
    for (const [id, conversation] of this.conversations) {
      if (conversation.identityId === visitor.sender.id && (!latest || conversation.createdAt > latest.createdAt)) latest = { id, ...conversation };
    }
    return latest?.status === 'resolved' ? undefined : latest?.id;
  }

  private async visitorTyping(visitor: Visitor, typing: boolean): Promise<void> {
    const conversationId = this.openConversation(visitor);
    if (!conversationId) return;
    const now = Date.now();
    if (typing === this.typing.typing && (!typing || now - this.typing.at < TYPING_REFRESH_MS)) return;
    this.typing = { typing, at: now };
    try {
      await this.deps.signals.publish({ type: 'typing', conversationId, from: 'visitor', typing, name: null, occurredAt: new Date(now).toISOString() });
    } catch (error) {
      // Typing is worth nothing later: dropped while Redis is away.
      this.deps.logger.debug({ err: error }, 'visitor typing not relayed');
    }
  }

  /** The widget got (or showed) an agent's message: its status moves forward, and agents see it through the API. */
  private async receipt(visitor: Visitor, messageId: string, status: 'delivered' | 'read'): Promise<void> {
    const message = await findVisibleMessage(this.deps.db, visitor.scope, messageId);
    if (!message) {
      this.sendError('not_found', `Message ${messageId} was not found.`);
      return;
    }
    // The visitor's own messages are "received" already.
    if (message.direction === 'outbound') await this.deps.inbound.accept({ kind: 'receipt', channel: message.channel, messageId: message.id, change: { status } });
  }

  private send(frame: ServerFrame): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.ws.terminate();
      return;
    }
    this.ws.send(encodeFrame(frame));
  }

  private sendError(code: string, message: string): void {
    this.send({ type: 'error', error: { code, message } });
  }

  private onClose(): void {
    this.closed = true;
    clearTimeout(this.helloTimer);
    this.deps.router.remove(this, this.conversations.keys());
  }
}

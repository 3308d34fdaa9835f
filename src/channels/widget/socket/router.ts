import type { Logger } from 'pino';
import type { StreamedEvent } from '../../../core/events';
import type { Conversation } from '../../../core/model/types';
import type { Signal } from '../../../core/ports/signals';
import type { Json } from '../../../core/serialize';
import { WIDGET_CHANNEL } from '../name';
import type { LiveEvent, LiveStream } from '../../../core/ports/live-feed';
import type { WidgetConversation, WidgetMessage } from '../protocol';
import type { WidgetViews } from '../views';

/** An event made ready once for every socket that wants it. */
export type RoutedItem =
  /** `created`: the message's first event, which a visitor who has the message already need not get. */
  | { kind: 'message'; message: WidgetMessage; created: boolean }
  | { kind: 'conversation'; conversation: Json<Conversation>; view: WidgetConversation }
  | { kind: 'typing'; conversationId: string; typing: boolean; name: string | null };

/** A socket as the router sees it. */
export interface RoutedSession {
  /** The key of whose conversations the socket shows (`identity:<id>` or `contact:<id>`), for conversations it does not know yet. */
  readonly scopeKey: string;
  deliver(item: RoutedItem): void;
}

function add<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  const set = index.get(key);
  if (set) set.add(value);
  else index.set(key, new Set([value]));
}

function remove<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) index.delete(key);
}

/** The keys a conversation can be found by: its browser identity's and its contact's. */
export function scopeKeysOf(conversation: Pick<Json<Conversation>, 'identityId' | 'contactId'>): string[] {
  return [`identity:${conversation.identityId}`, `contact:${conversation.contactId}`];
}

/**
 * The process's index of widget sockets by conversation and by whose conversations they show, fed by the
 * process's one subscription to the event bus (LiveEvents). Each event is turned into the visitor's view
 * once, in arrival order, and only when some socket wants it.
 *
 * A socket that is resuming gets every event while it reads the database: it cannot know yet which
 * conversations are its own, and sorts the events out once it does.
 */
export class SocketRouter implements LiveStream {
  private readonly byConversation = new Map<string, Set<RoutedSession>>();
  private readonly byScope = new Map<string, Set<RoutedSession>>();
  private readonly resuming = new Set<RoutedSession>();
  /** Views are built in order, one event after the other, so that sockets get them in the bus's order. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly views: WidgetViews,
    private readonly logger: Logger,
  ) {}

  receive({ event }: LiveEvent): void {
    // Whether anyone wants the event is asked in turn, not now: the events queued before it (a new
    // conversation, say) may make a socket want it.
    this.queue = this.queue
      .then(() => (this.wanted(event) ? this.route(event) : undefined))
      .catch((error: unknown) => this.logger.error({ err: error, conversationId: event.conversationId }, 'widget event not routed'));
  }

  /** Agents' typing reaches the sockets of the conversation; visitors' typing is for agents only. */
  signal(signal: Signal): void {
    if (signal.from !== 'agent') return;
    this.deliver(this.recipients(signal.conversationId), { kind: 'typing', conversationId: signal.conversationId, typing: signal.typing, name: signal.name });
  }

  /** The sockets' own heartbeat pings them; nothing to do on the event streams' beat. */
  beat(): void {}

  /** The channel closes its sockets before the event streams stop. */
  close(): void {}

  /** From now until `live`, the session gets every event. */
  resume(session: RoutedSession): void {
    this.resuming.add(session);
  }

  /** The session knows its conversations: from now on it gets their events, and new ones of its scope. */
  live(session: RoutedSession, conversationIds: Iterable<string>): void {
    for (const id of conversationIds) add(this.byConversation, id, session);
    add(this.byScope, session.scopeKey, session);
    this.resuming.delete(session);
  }

  follow(session: RoutedSession, conversationId: string): void {
    add(this.byConversation, conversationId, session);
  }

  unfollow(session: RoutedSession, conversationId: string): void {
    remove(this.byConversation, conversationId, session);
  }

  /** Forgets a closed session everywhere. */
  remove(session: RoutedSession, conversationIds: Iterable<string>): void {
    this.resuming.delete(session);
    for (const id of conversationIds) remove(this.byConversation, id, session);
    remove(this.byScope, session.scopeKey, session);
  }

  private wanted(event: StreamedEvent): boolean {
    const isConversation = event.type === 'conversation.created' || event.type === 'conversation.updated';
    // The visitor sees conversations and messages; other events (a transcript asked for) are the hub's business.
    const isMessage = event.type === 'message.created' || event.type === 'message.updated';
    if (!isConversation && !isMessage) return false;
    if ((isConversation ? event.data.conversation.channel : event.data.message.channel) !== WIDGET_CHANNEL) return false;
    if (this.resuming.size > 0 || this.byConversation.has(event.conversationId)) return true;
    return isConversation && scopeKeysOf(event.data.conversation).some((key) => this.byScope.has(key));
  }

  private async route(event: StreamedEvent): Promise<void> {
    switch (event.type) {
      case 'message.created':
      case 'message.updated': {
        const { message } = event.data;
        if (message.private) return;
        const view = await this.views.message(message);
        this.deliver(this.recipients(event.conversationId), { kind: 'message', message: view, created: event.type === 'message.created' });
        return;
      }
      case 'conversation.created':
      case 'conversation.updated': {
        const { conversation } = event.data;
        const [view] = await this.views.conversations([conversation]);
        if (!view) return;
        const recipients = this.recipients(event.conversationId);
        for (const key of scopeKeysOf(conversation)) for (const session of this.byScope.get(key) ?? []) recipients.add(session);
        this.deliver(recipients, { kind: 'conversation', conversation, view });
        return;
      }
    }
  }

  /** Who is sent an item of a conversation: its followers, and every resuming session. Worked out when the item is ready, not before. */
  private recipients(conversationId: string): Set<RoutedSession> {
    return new Set([...(this.byConversation.get(conversationId) ?? []), ...this.resuming]);
  }

  private deliver(sessions: Iterable<RoutedSession>, item: RoutedItem): void {
    for (const session of sessions) {
      try {
        session.deliver(item);
      } catch (error) {
        this.logger.error({ err: error }, 'widget socket delivery failed');
      }
    }
  }
}

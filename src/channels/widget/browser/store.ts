import type { SendMessageInput, WidgetConversation, WidgetMessage } from '../protocol';

/** A message the visitor wrote that the hub has not confirmed yet; its id is `local:<clientId>`. */
export interface Pending extends WidgetMessage {
  local: true;
  /** What is posted (again, on a retry: the same clientId makes it one message). */
  input: SendMessageInput;
  /** Why the last try failed for good (shown with a Retry button). */
  error?: Error;
}

export type Shown = WidgetMessage | Pending;

export function isPending(message: Shown): message is Pending {
  return 'local' in message;
}

/** The hub's order; the visitor's unconfirmed messages last, whatever this computer's clock says. */
/** Written by the website's people (an agent or their bot): what receipts and the unread count are about. */
export function fromTeam(message: Shown): boolean {
  return message.from === 'agent' || message.from === 'bot';
}

function order(a: Shown, b: Shown): number {
  if (isPending(a) !== isPending(b)) return isPending(a) ? 1 : -1;
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Every message the widget knows, by id: the history, the socket's replays after a reconnect and the
 * answers to the visitor's own sends all land here, so none is shown twice, and the list is always in
 * the hub's order (createdAt, then id). The visitor's unconfirmed messages are replaced by the hub's copy
 * when it arrives with the same clientId, from the POST's answer or the socket, whichever is first.
 */
export class MessageStore {
  private readonly messages = new Map<string, Shown>();
  readonly conversations = new Map<string, WidgetConversation>();

  /** Adds or replaces; true when the message was not known before (a new one, not a status change). */
  put(message: Shown): boolean {
    if (!isPending(message) && message.clientId) this.messages.delete(`local:${message.clientId}`);
    const known = this.messages.has(message.id);
    this.messages.set(message.id, message);
    return !known;
  }

  get(id: string): Shown | undefined {
    return this.messages.get(id);
  }

  /** Was a pending message with this clientId already confirmed by the hub? */
  confirmed(clientId: string): boolean {
    return !this.messages.has(`local:${clientId}`);
  }

  putConversation(conversation: WidgetConversation): void {
    this.conversations.set(conversation.id, conversation);
  }

  list(): Shown[] {
    return [...this.messages.values()].sort(order);
  }

  /** The hub's newest message: where the socket resumes from. */
  lastId(): string | undefined {
    return this.list()
      .filter((message) => !isPending(message))
      .pop()?.id;
  }

  /** The conversation the visitor is in now: the newest. */
  current(): WidgetConversation | undefined {
    return [...this.conversations.values()].sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1)).pop();
  }

  clear(): void {
    this.messages.clear();
    this.conversations.clear();
  }
}

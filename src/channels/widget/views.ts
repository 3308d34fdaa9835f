import { In } from 'typeorm';
import { ratingsOf } from '../../core/conversations/ratings';
import type { Database } from '../../core/database';
import type { FileLinks } from '../../core/files/links';
import { repo } from '../../core/model/schemas';
import type { Attachment, Conversation, Message, Rating, SenderKind } from '../../core/model/types';
import type { Json } from '../../core/serialize';
import type { WidgetAttachment, WidgetConversation, WidgetMessage, WidgetSender } from './protocol';

const SENDERS: Record<SenderKind, WidgetSender> = { contact: 'visitor', agent: 'agent', bot: 'bot', system: 'system' };

function widgetAttachment(attachment: Attachment, links: FileLinks): WidgetAttachment {
  return {
    name: attachment.name ?? 'file',
    contentType: attachment.contentType ?? 'application/octet-stream',
    size: attachment.size ?? 0,
    // The visitor's browser has no API key: a file in the hub's storage is reached by a signed link that expires.
    url: attachment.fileKey ? links.signedUrl(attachment.fileKey) : attachment.url,
  };
}

/** A message as its visitor sees it. Private notes never get here: callers leave them out. */
export function widgetMessage(message: Json<Message>, senderName: string | null, links: FileLinks): WidgetMessage {
  const clientId = message.metadata.clientId;
  return {
    id: message.id,
    conversationId: message.conversationId,
    clientId: typeof clientId === 'string' ? clientId : null,
    from: SENDERS[message.senderKind],
    senderName,
    body: message.body,
    attachments: message.attachments.map((attachment) => widgetAttachment(attachment, links)),
    createdAt: message.createdAt,
    status: message.deliveryStatus,
  };
}

export function widgetConversation(conversation: Json<Conversation>, rating: Pick<Rating, 'score' | 'comment'> | undefined, emailTranscript: boolean): WidgetConversation {
  return {
    id: conversation.id,
    status: conversation.status,
    agentLastSeenAt: conversation.agentLastSeenAt,
    rating: rating ? { score: rating.score, comment: rating.comment } : null,
    emailTranscript,
    createdAt: conversation.createdAt,
  };
}

/** Builds the visitor's views of messages and conversations, with what they need from the database (agents' names, ratings). */
export class WidgetViews {
  /** `transcriptByEmail`: the hub sends email, so a visitor who gave an address can have the transcript mailed. */
  constructor(private readonly deps: { db: Database; links: FileLinks; transcriptByEmail: boolean }) {}

  async messages(messages: readonly Json<Message>[]): Promise<WidgetMessage[]> {
    const agentIds = [...new Set(messages.flatMap((m) => (m.senderKind === 'agent' && m.senderId ? [m.senderId] : [])))];
    const agents = agentIds.length > 0 ? await repo(this.deps.db.manager, 'Agent').find({ where: { id: In(agentIds) }, select: { id: true, name: true } }) : [];
    const names = new Map(agents.map((agent) => [agent.id, agent.name]));
    return messages.map((message) => widgetMessage(message, (message.senderId && message.senderKind === 'agent' ? names.get(message.senderId) : undefined) ?? null, this.deps.links));
  }

  async message(message: Json<Message>): Promise<WidgetMessage> {
    const [view] = await this.messages([message]);
    if (!view) throw new Error('no view of the message');
    return view;
  }

  async conversations(conversations: readonly Json<Conversation>[]): Promise<WidgetConversation[]> {
    const [ratings, withEmail] = await Promise.all([ratingsOf(this.deps.db, conversations), this.contactsWithEmail(conversations)]);
    return conversations.map((conversation) => widgetConversation(conversation, ratings.get(conversation.id), withEmail.has(conversation.contactId)));
  }

  private async contactsWithEmail(conversations: readonly Json<Conversation>[]): Promise<Set<string>> {
    if (!this.deps.transcriptByEmail || conversations.length === 0) return new Set();
    const contacts = await repo(this.deps.db.manager, 'Contact').find({ where: { id: In([...new Set(conversations.map((c) => c.contactId))]) }, select: { id: true, email: true } });
    return new Set(contacts.flatMap((contact) => (contact.email ? [contact.id] : [])));
  }
}

import type { SelectQueryBuilder } from 'typeorm';
import type { Database } from '../database';
import { NotFoundError } from '../errors';
import { repo } from '../model/schemas';
import type { ChannelName, Conversation, Message } from '../model/types';
import { pastPosition } from '../pagination';

/**
 * Whose conversations a widget visitor sees, on one website (on the visitors' channel): an anonymous
 * visitor those of its own browser identity; a visitor verified as one of the site's users those of the
 * user's contact, from every device. Never anything else, whatever the visitor sends.
 */
export type VisitorScope = { channel: ChannelName; websiteId: string } & ({ kind: 'visitor'; identityId: string } | { kind: 'user'; contactId: string });

type ConversationKeys = Pick<Conversation, 'channel' | 'channelAddress' | 'identityId' | 'contactId'>;

export function isVisibleTo(scope: VisitorScope, conversation: ConversationKeys): boolean {
  if (conversation.channel !== scope.channel || conversation.channelAddress !== scope.websiteId) return false;
  return scope.kind === 'visitor' ? conversation.identityId === scope.identityId : conversation.contactId === scope.contactId;
}

function whereVisible<T extends object>(query: SelectQueryBuilder<T>, alias: string, scope: VisitorScope): SelectQueryBuilder<T> {
  query.andWhere(`${alias}.channel = :scopeChannel AND ${alias}.channelAddress = :scopeWebsiteId`, { scopeChannel: scope.channel, scopeWebsiteId: scope.websiteId });
  return scope.kind === 'visitor'
    ? query.andWhere(`${alias}.identityId = :scopeIdentityId`, { scopeIdentityId: scope.identityId })
    : query.andWhere(`${alias}.contactId = :scopeContactId`, { scopeContactId: scope.contactId });
}

/** The visitor's conversations on the website, oldest first. */
export async function visibleConversations(db: Database, scope: VisitorScope): Promise<Conversation[]> {
  const query = repo(db.manager, 'Conversation').createQueryBuilder('c');
  return whereVisible(query, 'c', scope).orderBy('c.createdAt', 'ASC').addOrderBy('c.id', 'ASC').getMany();
}

/** One of the visitor's conversations; any other id is "not found", so that ids of others' conversations tell nothing. */
export async function findVisibleConversation(db: Database, scope: VisitorScope, id: string): Promise<Conversation> {
  const query = repo(db.manager, 'Conversation').createQueryBuilder('c').where('c.id = :id', { id });
  const conversation = await whereVisible(query, 'c', scope).getOne();
  if (!conversation) throw new NotFoundError(`Conversation ${id}`);
  return conversation;
}

function visibleMessageQuery(db: Database, scope: VisitorScope): SelectQueryBuilder<Message> {
  const query = repo(db.manager, 'Message').createQueryBuilder('m').innerJoin('Conversation', 'c', 'c.id = m.conversationId').where('NOT m.private');
  return whereVisible(query, 'c', scope);
}

/** A message the visitor may see (never a private note), or null. */
export async function findVisibleMessage(db: Database, scope: VisitorScope, id: string): Promise<Message | null> {
  return visibleMessageQuery(db, scope).andWhere('m.id = :id', { id }).getOne();
}

/**
 * The visitor's messages across their conversations, oldest first: the ones after `after` (a message the
 * visitor has, found with findVisibleMessage), else the latest ones.
 */
export async function visibleMessages(db: Database, scope: VisitorScope, options: { after?: Pick<Message, 'id' | 'createdAt'>; limit: number }): Promise<Message[]> {
  const query = visibleMessageQuery(db, scope);
  const { after } = options;
  if (after) {
    query.andWhere(pastPosition('m', 'createdAt', { at: after.createdAt, id: after.id }, '>'));
    return query.orderBy('m.createdAt', 'ASC').addOrderBy('m.id', 'ASC').limit(options.limit).getMany();
  }
  const latest = await query.orderBy('m.createdAt', 'DESC').addOrderBy('m.id', 'DESC').limit(options.limit).getMany();
  return latest.reverse();
}

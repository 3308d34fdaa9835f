import { In, type SelectQueryBuilder } from 'typeorm';
import { contactMatches } from '../contacts/search';
import type { Database } from '../database';
import { NotFoundError } from '../errors';
import { repo } from '../model/schemas';
import type { Agent, Contact, Conversation, ConversationStatus } from '../model/types';
import { decodeCursor, pageOf, pastPosition, type Page } from '../pagination';
import { toJson, type Json } from '../serialize';

export interface ConversationFilter {
  status?: ConversationStatus;
  channel?: string;
  /** An agent id, or `none` for unassigned conversations. */
  assignee?: string;
  teamId?: string;
  tag?: string;
  contactId?: string;
  updatedSince?: Date;
  /** Free text over the contact's name, email and phone. */
  q?: string;
  limit: number;
  cursor?: string;
}

export type ConversationView = Json<Conversation> & {
  contact: Pick<Json<Contact>, 'id' | 'name' | 'email' | 'phone'>;
  assignee: Pick<Json<Agent>, 'id' | 'name' | 'email'> | null;
  unreadCount: number;
  /** Seconds from the first customer message to the first agent reply, once there is one. */
  firstResponseSeconds: number | null;
  /** Seconds from opening to resolution, while resolved. */
  resolutionSeconds: number | null;
};

function seconds(from: Date, to: Date | null): number | null {
  return to ? Math.round((to.getTime() - from.getTime()) / 1000) : null;
}

/** Adds the views' joined data (contact, assignee, unread counts) to conversations, in three queries. */
export async function viewsOf(db: Database, conversations: Conversation[]): Promise<ConversationView[]> {
  if (conversations.length === 0) return [];
  const manager = db.manager;
  const contactIds = [...new Set(conversations.map((c) => c.contactId))];
  const agentIds = [...new Set(conversations.map((c) => c.assigneeId).filter((id): id is string => id !== null))];
  const [contacts, agents, unread] = await Promise.all([
    repo(manager, 'Contact').find({ where: { id: In(contactIds) }, select: { id: true, name: true, email: true, phone: true } }),
    agentIds.length ? repo(manager, 'Agent').find({ where: { id: In(agentIds) }, select: { id: true, name: true, email: true } }) : Promise.resolve([]),
    repo(manager, 'Message')
      .createQueryBuilder('m')
      .innerJoin('Conversation', 'c', 'c.id = m.conversationId')
      .select('m.conversationId', 'conversationId')
      .addSelect('COUNT(*)', 'count')
      .where('m.conversationId IN (:...ids)', { ids: conversations.map((c) => c.id) })
      .andWhere("m.direction = 'inbound'")
      .andWhere('(c.agentLastSeenAt IS NULL OR m.createdAt > c.agentLastSeenAt)')
      .groupBy('m.conversationId')
      .getRawMany<{ conversationId: string; count: string | number }>(),
  ]);
  const contactById = new Map(contacts.map((c) => [c.id, c]));
  const agentById = new Map(agents.map((a) => [a.id, a]));
  const unreadById = new Map(unread.map((u) => [u.conversationId, Number(u.count)]));
  return conversations.map((conversation) => {
    const contact = contactById.get(conversation.contactId);
    const assignee = conversation.assigneeId ? agentById.get(conversation.assigneeId) : undefined;
    return {
      ...toJson(conversation),
      contact: { id: conversation.contactId, name: contact?.name ?? null, email: contact?.email ?? null, phone: contact?.phone ?? null },
      assignee: assignee ? { id: assignee.id, name: assignee.name, email: assignee.email } : null,
      unreadCount: unreadById.get(conversation.id) ?? 0,
      firstResponseSeconds: seconds(conversation.createdAt, conversation.firstResponseAt),
      resolutionSeconds: seconds(conversation.createdAt, conversation.resolvedAt),
    };
  });
}

function applyFilter(query: SelectQueryBuilder<Conversation>, filter: ConversationFilter, engine: Database['engine']): void {
  if (filter.status) query.andWhere('c.status = :status', { status: filter.status });
  if (filter.channel) query.andWhere('c.channel = :channel', { channel: filter.channel });
  if (filter.assignee === 'none') query.andWhere('c.assigneeId IS NULL');
  else if (filter.assignee) query.andWhere('c.assigneeId = :assignee', { assignee: filter.assignee });
  if (filter.teamId) query.andWhere('c.teamId = :teamId', { teamId: filter.teamId });
  // Tags are stored as a JSON array of plain words, so the quoted word matches exactly one element. A
  // plain substring search, not LIKE: `_` in a tag is no wildcard and case matters on both engines.
  if (filter.tag) query.andWhere(`${engine === 'postgres' ? 'strpos' : 'instr'}(c.tags, :tag) > 0`, { tag: JSON.stringify(filter.tag) });
  if (filter.contactId) query.andWhere('c.contactId = :contactId', { contactId: filter.contactId });
  if (filter.updatedSince) query.andWhere('c.updatedAt >= :updatedSince', { updatedSince: filter.updatedSince });
  if (filter.q) query.innerJoin('Contact', 'ct', 'ct.id = c.contactId').andWhere(contactMatches('ct', filter.q));
}

/** Conversations, newest activity first, one page at a time (keyset on last activity and id). */
export async function listConversations(db: Database, filter: ConversationFilter): Promise<Page<ConversationView>> {
  const query = repo(db.manager, 'Conversation').createQueryBuilder('c');
  applyFilter(query, filter, db.engine);
  if (filter.cursor) query.andWhere(pastPosition('c', 'lastMessageAt', decodeCursor(filter.cursor), '<'));
  const rows = await query.orderBy('c.lastMessageAt', 'DESC').addOrderBy('c.id', 'DESC').limit(filter.limit + 1).getMany();
  const page = pageOf(rows, filter.limit, (c) => ({ at: c.lastMessageAt, id: c.id }), (items) => items);
  return { items: await viewsOf(db, page.items), nextCursor: page.nextCursor };
}

export async function getConversation(db: Database, id: string): Promise<ConversationView> {
  const conversation = await repo(db.manager, 'Conversation').findOneBy({ id });
  if (!conversation) throw new NotFoundError(`Conversation ${id}`);
  const [view] = await viewsOf(db, [conversation]);
  if (!view) throw new NotFoundError(`Conversation ${id}`);
  return view;
}

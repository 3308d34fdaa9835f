import type { EntityManager } from 'typeorm';
import { newId } from '../ids';
import { insertRows, repo, type DatabaseEngine } from '../model/schemas';
import type { ChannelIdentity, Conversation, ConversationStatus } from '../model/types';
import { Sql } from '../sql';

/** What a customer message did to its conversation; created and reopened ones come with the whole row. */
export type ConversationChange =
  | { kind: 'none'; conversationId: string }
  | { kind: 'created'; conversation: Conversation }
  | { kind: 'reopened'; conversation: Conversation; changes: string[] };

/** Where a message came in: the business address the customer wrote to, and the team behind it. */
export interface ConversationRoute {
  channelAddress: string | null;
  teamId: string | null;
  /** The conversation the channel says the message continues (its thread key), tried first. */
  threadId?: string;
  /** False: without a thread key (or when it names no conversation of the channel) a new conversation opens. */
  continuesLatest?: boolean;
  /** The subject a new conversation gets. */
  subject?: string;
}

interface LatestConversation {
  id: string;
  status: ConversationStatus;
  resolvedAt: Date | string | null;
}

/** The thread key's conversation when it is one of the identity's channel, else the identity's latest with the same business address. */
async function latestConversation(sql: Sql, identity: ChannelIdentity, route: ConversationRoute): Promise<LatestConversation | undefined> {
  if (route.threadId !== undefined) {
    const [thread] = await sql.rows<LatestConversation>(`SELECT id, status, "resolvedAt" FROM conversations WHERE id = ? AND channel = ?`, [route.threadId, identity.channel]);
    if (thread) return thread;
  }
  if (route.continuesLatest === false) return undefined;
  const sameAddress = route.channelAddress === null ? '"channelAddress" IS NULL' : '"channelAddress" = ?';
  const [latest] = await sql.rows<LatestConversation>(
    `SELECT id, status, "resolvedAt" FROM conversations WHERE "identityId" = ? AND ${sameAddress} ORDER BY "createdAt" DESC LIMIT 1`,
    route.channelAddress === null ? [identity.id] : [identity.id, route.channelAddress],
  );
  return latest;
}

/**
 * The conversation a new customer message belongs to: the one its thread key names, when the channel
 * gives one of its own, else the identity's latest conversation with the same
 * business address while it is not resolved (a snoozed one wakes up), a resolved one reopened when the
 * message comes within `reopenWindowMs` of its resolution, else a new conversation.
 */
export async function findOrOpenConversation(
  manager: EntityManager,
  engine: DatabaseEngine,
  identity: ChannelIdentity,
  route: ConversationRoute,
  now: Date,
  reopenWindowMs: number,
): Promise<ConversationChange> {
  const sql = new Sql(manager, engine);
  const latest = await latestConversation(sql, identity, route);
  const conversations = repo(manager, 'Conversation');

  if (latest && latest.status !== 'resolved') {
    if (latest.status !== 'snoozed') return { kind: 'none', conversationId: latest.id };
    await conversations.update({ id: latest.id }, { status: 'open', snoozedUntil: null, updatedAt: now });
    return { kind: 'reopened', conversation: await conversations.findOneByOrFail({ id: latest.id }), changes: ['status', 'snoozedUntil'] };
  }

  const resolvedAt = latest ? sql.readDate(latest.resolvedAt) : null;
  if (latest && resolvedAt && now.getTime() - resolvedAt.getTime() <= reopenWindowMs) {
    await conversations.update({ id: latest.id }, { status: 'open', resolvedAt: null, updatedAt: now });
    return { kind: 'reopened', conversation: await conversations.findOneByOrFail({ id: latest.id }), changes: ['status'] };
  }

  const conversation: Conversation = {
    id: newId(),
    contactId: identity.contactId,
    channel: identity.channel,
    identityId: identity.id,
    channelAddress: route.channelAddress,
    subject: route.subject ?? null,
    status: 'open',
    assigneeId: null,
    teamId: route.teamId,
    priority: 'normal',
    tags: [],
    snoozedUntil: null,
    firstResponseAt: null,
    resolvedAt: null,
    agentLastSeenAt: null,
    lastMessageAt: now,
    lastMessagePreview: null,
    createdAt: now,
    updatedAt: now,
  };
  await insertRows(manager, 'Conversation', conversation);
  return { kind: 'created', conversation };
}

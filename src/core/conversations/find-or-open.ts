import type { EntityManager } from 'typeorm';
import { newId } from '../ids';
import { repo } from '../model/schemas';
import type { ChannelIdentity, Conversation } from '../model/types';

export type ConversationChange = { kind: 'created' } | { kind: 'reopened'; changes: string[] } | { kind: 'none' };

/**
 * The conversation a new customer message belongs to: the identity's latest conversation while it is
 * not resolved (a snoozed one wakes up), a resolved one reopened when the message comes within
 * `reopenWindowMs` of its resolution, else a new conversation.
 */
export async function findOrOpenConversation(
  manager: EntityManager,
  identity: ChannelIdentity,
  now: Date,
  reopenWindowMs: number,
): Promise<{ conversation: Conversation; change: ConversationChange }> {
  const conversations = repo(manager, 'Conversation');
  const latest = await conversations.findOne({ where: { identityId: identity.id }, order: { createdAt: 'DESC' } });

  if (latest && latest.status !== 'resolved') {
    if (latest.status !== 'snoozed') return { conversation: latest, change: { kind: 'none' } };
    const woken: Conversation = { ...latest, status: 'open', snoozedUntil: null, updatedAt: now };
    await conversations.update({ id: latest.id }, { status: 'open', snoozedUntil: null, updatedAt: now });
    return { conversation: woken, change: { kind: 'reopened', changes: ['status'] } };
  }

  if (latest?.resolvedAt && now.getTime() - latest.resolvedAt.getTime() <= reopenWindowMs) {
    const reopened: Conversation = { ...latest, status: 'open', resolvedAt: null, updatedAt: now };
    await conversations.update({ id: latest.id }, { status: 'open', resolvedAt: null, updatedAt: now });
    return { conversation: reopened, change: { kind: 'reopened', changes: ['status'] } };
  }

  const conversation: Conversation = {
    id: newId(),
    contactId: identity.contactId,
    channel: identity.channel,
    identityId: identity.id,
    status: 'open',
    assigneeId: null,
    teamId: null,
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
  await conversations.insert(conversation);
  return { conversation, change: { kind: 'created' } };
}

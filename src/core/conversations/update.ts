import type { EntityManager } from 'typeorm';
import { SYSTEM, type Actor } from '../actor';
import { recordAudit } from '../audit';
import type { Database } from '../database';
import { NotFoundError, ValidationError } from '../errors';
import { events } from '../events';
import { lockRow, repo } from '../model/schemas';
import type { Conversation, ConversationStatus, Priority } from '../model/types';
import { eventsOutboxRow, wakeOutboxRow, type Outbox } from '../outbox';
import { assertTransition } from './transitions';

export interface ConversationPatch {
  status?: ConversationStatus;
  /** Required with status `snoozed`: when the conversation reopens by itself. */
  snoozedUntil?: Date;
  assigneeId?: string | null;
  teamId?: string | null;
  priority?: Priority;
  tags?: string[];
}

type Tracked = Pick<Conversation, 'status' | 'snoozedUntil' | 'assigneeId' | 'teamId' | 'priority' | 'tags' | 'resolvedAt'>;
const AUDITED: (keyof Tracked)[] = ['status', 'snoozedUntil', 'assigneeId', 'teamId', 'priority', 'tags'];

/** Loads a conversation for change, locked on PostgreSQL so that concurrent changes take turns. */
export async function lockConversation(manager: EntityManager, db: Database, id: string): Promise<Conversation> {
  const conversation = await lockRow(manager, db.engine, 'Conversation', id);
  if (!conversation) throw new NotFoundError(`Conversation ${id}`);
  return conversation;
}

async function assertExists(manager: EntityManager, entity: 'Agent' | 'Team', id: string | null | undefined, field: string): Promise<void> {
  if (id === null || id === undefined) return;
  if (!(await repo(manager, entity).existsBy({ id }))) {
    throw new ValidationError(`${field}: no ${entity.toLowerCase()} ${id}`, [{ path: field, message: `is not an existing ${entity.toLowerCase()}`, code: 'not_found' }]);
  }
}

function nextState(current: Conversation, patch: ConversationPatch, now: Date): Tracked {
  const next: Tracked = {
    status: current.status,
    snoozedUntil: current.snoozedUntil,
    assigneeId: patch.assigneeId !== undefined ? patch.assigneeId : current.assigneeId,
    teamId: patch.teamId !== undefined ? patch.teamId : current.teamId,
    priority: patch.priority ?? current.priority,
    tags: patch.tags ? [...new Set(patch.tags)] : current.tags,
    resolvedAt: current.resolvedAt,
  };
  if (patch.status) {
    assertTransition(current.status, patch.status);
    if (patch.status === 'snoozed' && (!patch.snoozedUntil || patch.snoozedUntil.getTime() <= now.getTime())) {
      throw new ValidationError('snoozedUntil must be a time in the future when status is snoozed', [{ path: 'snoozedUntil', message: 'must be in the future', code: 'invalid_value' }]);
    }
    next.status = patch.status;
    next.snoozedUntil = patch.status === 'snoozed' ? (patch.snoozedUntil ?? null) : null;
    if (patch.status === 'resolved' && current.status !== 'resolved') next.resolvedAt = now;
    if (patch.status !== 'resolved') next.resolvedAt = null;
  } else if (patch.snoozedUntil) {
    throw new ValidationError('snoozedUntil goes with status "snoozed"', [{ path: 'snoozedUntil', message: 'needs status "snoozed"', code: 'invalid_value' }]);
  }
  return next;
}

function differs(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) !== JSON.stringify(b);
}

/**
 * Changes status, assignee, team, priority or tags of a conversation in one transaction: the rules of
 * status transitions, resolution time, an audit entry, a `conversation.updated` event (with
 * `conversation.assigned` and `conversation.resolved` when those changed), and for a snooze
 * a delayed job that reopens the conversation at `snoozedUntil`.
 */
export async function updateConversation(deps: { db: Database; outbox: Outbox }, id: string, patch: ConversationPatch, actor: Actor): Promise<Conversation> {
  const { db, outbox } = deps;
  return outbox.runUnit(async ({ manager, write }) => {
    const current = await lockConversation(manager, db, id);
    await assertExists(manager, 'Agent', patch.assigneeId, 'assigneeId');
    await assertExists(manager, 'Team', patch.teamId, 'teamId');
    const now = new Date();
    const next = nextState(current, patch, now);
    const changed = AUDITED.filter((field) => differs(current[field], next[field]));
    if (changed.length === 0) return current;

    const updated: Conversation = { ...current, ...next, updatedAt: now };
    await repo(manager, 'Conversation').update({ id }, { ...next, updatedAt: now });
    await recordAudit(manager, actor, {
      action: 'conversation.updated',
      entityType: 'conversation',
      entityId: id,
      before: Object.fromEntries(changed.map((field) => [field, current[field]])),
      after: Object.fromEntries(changed.map((field) => [field, next[field]])),
    });
    const happened = [events.conversationUpdated(updated, changed, now)];
    if (changed.includes('assigneeId')) happened.push(events.conversationAssigned(updated, current.assigneeId, now));
    if (changed.includes('status') && updated.status === 'resolved') happened.push(events.conversationResolved(updated, now));
    const written = [eventsOutboxRow(happened, now)];
    if (next.status === 'snoozed' && next.snoozedUntil && changed.includes('snoozedUntil')) {
      written.push(wakeOutboxRow({ conversationId: id, snoozedUntil: next.snoozedUntil.toISOString() }, now));
    }
    await write(written);
    return updated;
  });
}

/**
 * Reopens a snoozed conversation when its snooze ends; a no-op when it was reopened, resolved or snoozed
 * again since. Locked like any other change, so that a resolution at the same moment is never undone.
 */
export async function wakeConversation(deps: { db: Database; outbox: Outbox }, id: string, snoozedUntil: string): Promise<boolean> {
  const { db, outbox } = deps;
  return outbox.runUnit(async ({ manager, write }) => {
    const current = await lockRow(manager, db.engine, 'Conversation', id);
    if (current?.status !== 'snoozed' || current.snoozedUntil?.toISOString() !== snoozedUntil) return false;
    const now = new Date();
    const woken: Conversation = { ...current, status: 'open', snoozedUntil: null, updatedAt: now };
    await repo(manager, 'Conversation').update({ id }, { status: 'open', snoozedUntil: null, updatedAt: now });
    await recordAudit(manager, SYSTEM, {
      action: 'conversation.woken',
      entityType: 'conversation',
      entityId: id,
      before: { status: 'snoozed', snoozedUntil },
      after: { status: 'open' },
    });
    await write([eventsOutboxRow([events.conversationUpdated(woken, ['status', 'snoozedUntil'], now)], now)]);
    return true;
  });
}

/**
 * Marks the conversation read by agents: customer messages up to now no longer count as unread, and the
 * customer's side (the widget's "Seen") learns it from the conversation.updated event.
 */
export async function markConversationRead(deps: { db: Database; outbox: Outbox }, id: string, actor: Actor): Promise<void> {
  const { outbox } = deps;
  await outbox.runUnit(async ({ manager, write }) => {
    const current = await repo(manager, 'Conversation').findOneBy({ id });
    if (!current) throw new NotFoundError(`Conversation ${id}`);
    const now = new Date();
    await repo(manager, 'Conversation').update({ id }, { agentLastSeenAt: now });
    await recordAudit(manager, actor, { action: 'conversation.read', entityType: 'conversation', entityId: id, after: { agentLastSeenAt: now } });
    await write([eventsOutboxRow([events.conversationUpdated({ ...current, agentLastSeenAt: now }, ['agentLastSeenAt'], now)], now)]);
  });
}

import { LessThan, MoreThan, type EntityManager } from 'typeorm';
import { lockConversation } from '../conversations/update';
import type { Database } from '../database';
import { newId } from '../ids';
import { addSystemNote } from '../messages/system-notes';
import { insertRows, repo } from '../model/schemas';
import type { ChannelName, Conversation, FollowUp, FollowUpKind, OutboxEvent } from '../model/types';
import type { Outbox } from '../outbox';
import { Sql, type Statement } from '../sql';
import { retryOnUniqueViolation } from '../unique';
import { afterResolveSettings } from './settings';

/**
 * Follow-ups as durable, delayed work: each is a row (what, to whom, when, how far it got) and a job on
 * the sending channel's queue, delayed until it is due, written in one unit. The job carries only the
 * row's id and the row decides: a job that runs twice, or after the row was cancelled, sends nothing.
 */

export interface FollowUpDeps {
  db: Database;
  outbox: Outbox;
}

/** Where a channel's follow-ups are sent from: its name (on the rows) and the queue its jobs go to. */
export interface FollowUpSender {
  channel: ChannelName;
  queue: string;
}

/** What a follow-up job carries: the row decides the rest. */
export interface FollowUpJob {
  followUpId: string;
}

export interface FollowUpPlan {
  kind: FollowUpKind;
  occasion: string;
  address: string;
  dueAt: Date;
}

const HOUR_MS = 3600_000;
const RECONCILE_BATCH = 500;

/**
 * The job of a follow-up, delayed until it is due. Its outbox id is the follow-up's own, so the job id
 * (`outbox-<id>`) is the same each time it is written: reconciling after Redis lost its data adds the
 * job again once, and never next to the one still waiting.
 */
function followUpJobRow(sender: FollowUpSender, followUp: FollowUp, now: Date): OutboxEvent {
  const payload: FollowUpJob = { followUpId: followUp.id };
  return { id: followUp.id, queue: sender.queue, name: followUp.kind, payload, conversationId: followUp.conversationId, runAt: followUp.dueAt, createdAt: now };
}

/**
 * Schedules what the plans say for a conversation, each occasion once: a plan whose (kind, occasion)
 * the conversation has already is skipped, so an event handled twice schedules nothing more. Nothing
 * is scheduled unless `stillWanted` holds for the conversation as it is now (locked, so that a
 * reopening at the same moment comes before or after, never between). Returns the new follow-ups.
 */
export async function scheduleFollowUps(
  deps: FollowUpDeps,
  sender: FollowUpSender,
  conversationId: string,
  plans: readonly FollowUpPlan[],
  stillWanted: (conversation: Conversation) => boolean = () => true,
): Promise<FollowUp[]> {
  if (plans.length === 0) return [];
  const { db, outbox } = deps;
  return retryOnUniqueViolation(() =>
    outbox.runUnit(async (unit) => {
      const conversation = await lockConversation(unit.manager, db, conversationId);
      if (!stillWanted(conversation)) return [];
      const existing = await repo(unit.manager, 'FollowUp').find({ where: { conversationId }, select: { kind: true, occasion: true } });
      const taken = new Set(existing.map((f) => `${f.kind} ${f.occasion}`));
      const now = new Date();
      const created = plans
        .filter((plan) => !taken.has(`${plan.kind} ${plan.occasion}`))
        .map((plan): FollowUp => ({ id: newId(), conversationId, channel: sender.channel, ...plan, status: 'scheduled', sentAt: null, failureReason: null, createdAt: now }));
      if (created.length === 0) return [];
      await insertRows(unit.manager, 'FollowUp', created);
      await unit.write(created.map((followUp) => followUpJobRow(sender, followUp, now)));
      return created;
    }),
  );
}

export interface ResolvedConversation {
  conversationId: string;
  /** The resolution (ISO 8601): the occasion of what it schedules, so that each resolution schedules once. */
  resolvedAt: string;
  /** The customer's address on the sending channel. */
  address: string;
}

/** A resolution's occasion is its time (ISO 8601); a customer's request's is the request's event id. */
export function isResolutionOccasion(occasion: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(occasion);
}

/** True while the conversation is still resolved by the same resolution. */
export function stillResolved(conversation: Pick<Conversation, 'status' | 'resolvedAt'>, resolvedAt: string): boolean {
  return conversation.status === 'resolved' && conversation.resolvedAt?.toISOString() === resolvedAt;
}

/**
 * What a resolution is followed by (see afterResolveSettings): the follow-up after its delay from the
 * resolution, the transcript at once. Nothing when the conversation was reopened since.
 */
export async function scheduleOnResolve(deps: FollowUpDeps, sender: FollowUpSender, resolved: ResolvedConversation, defaultDelayHours: number): Promise<FollowUp[]> {
  const conversation = await repo(deps.db.manager, 'Conversation').findOneBy({ id: resolved.conversationId });
  if (!conversation || !stillResolved(conversation, resolved.resolvedAt)) return [];
  const settings = await afterResolveSettings(deps.db, conversation, defaultDelayHours);
  const plans: FollowUpPlan[] = [];
  const occasion = resolved.resolvedAt;
  if (settings.transcriptOnResolve) plans.push({ kind: 'transcript', occasion, address: resolved.address, dueAt: new Date() });
  if (settings.followUpDelayHours > 0) {
    plans.push({ kind: 'follow_up', occasion, address: resolved.address, dueAt: new Date(Date.parse(occasion) + settings.followUpDelayHours * HOUR_MS) });
  }
  return scheduleFollowUps(deps, sender, resolved.conversationId, plans, (current) => stillResolved(current, occasion));
}

/**
 * Cancels the follow-ups still scheduled (not transcripts: those the customer asked for, or the record of
 * a resolution) of a reopened conversation, for resolutions before `before` (the reopening): a later
 * resolution's follow-up is not this event's to cancel, however late its job runs. Returns how many.
 */
export async function cancelFollowUps(db: Database, conversationId: string, before: Date): Promise<number> {
  // A follow-up's occasion is its resolution's time as toISOString writes it, so text order is time order.
  const where = { conversationId, kind: 'follow_up' as const, status: 'scheduled' as const, occasion: LessThan(before.toISOString()) };
  return (await repo(db.manager, 'FollowUp').update(where, { status: 'cancelled' })).affected ?? 0;
}

/**
 * A customer who writes again, on any conversation, is asked nothing about the earlier ones: their
 * scheduled follow-ups are cancelled in the message's own transaction (this UPDATE, run with the message's
 * other writes), before any job could send one.
 */
export function followUpsOfContactCancel(contactId: string, at: Date): Statement {
  return {
    text: `UPDATE follow_ups SET status = 'cancelled'
      WHERE status = 'scheduled' AND kind = 'follow_up' AND occasion < ? AND "conversationId" IN (SELECT id FROM conversations WHERE "contactId" = ?)`,
    params: [at.toISOString(), contactId],
  };
}

/** Cancels what is still scheduled for an address on a channel (it unsubscribed). */
export async function cancelFollowUpsTo(manager: EntityManager, channel: ChannelName, address: string): Promise<number> {
  return (await repo(manager, 'FollowUp').update({ channel, address, status: 'scheduled' }, { status: 'cancelled' })).affected ?? 0;
}

export type Claim = { claimed: true; followUp: FollowUp } | { claimed: false; why: 'missing' | 'interrupted' | 'settled' };

/**
 * Takes a follow-up for sending: `scheduled` becomes `sending` in one statement, so of two runs of its
 * job one sends. One found `sending` was cut off mid-send by a crash: whether it went out is unknown, so
 * it is failed as `interrupted` and never sent again (a customer gets at most one).
 */
export async function claimFollowUp(db: Database, id: string): Promise<Claim> {
  const followUps = repo(db.manager, 'FollowUp');
  const { affected } = await followUps.update({ id, status: 'scheduled' }, { status: 'sending' });
  if (affected) return { claimed: true, followUp: await followUps.findOneByOrFail({ id }) };
  const { affected: interrupted } = await followUps.update({ id, status: 'sending' }, { status: 'failed', failureReason: 'interrupted' });
  if (interrupted) return { claimed: false, why: 'interrupted' };
  return { claimed: false, why: (await followUps.existsBy({ id })) ? 'settled' : 'missing' };
}

/** Hands a claimed follow-up back for its job's next attempt (sending failed for now). */
export async function releaseFollowUp(db: Database, id: string): Promise<void> {
  await repo(db.manager, 'FollowUp').update({ id, status: 'sending' }, { status: 'scheduled' });
}

/** Ends a claimed follow-up unsent: cancelled (no longer wanted) or failed (with why). */
export async function settleFollowUp(db: Database, id: string, status: 'cancelled' | 'failed', reason: string | null): Promise<void> {
  await repo(db.manager, 'FollowUp').update({ id, status: 'sending' }, { status, failureReason: reason });
}

const SENT_NOTES: Record<FollowUpKind, string> = { follow_up: 'Follow-up sent to', transcript: 'Transcript sent to' };

/** Marks a follow-up sent, with a system note in its conversation for agents, in one unit. */
export async function markFollowUpSent(deps: FollowUpDeps, followUp: FollowUp): Promise<void> {
  const { db, outbox } = deps;
  await outbox.runUnit(async (unit) => {
    // Sent wins over anything a concurrent run wrote meanwhile: it went out.
    await repo(unit.manager, 'FollowUp').update({ id: followUp.id }, { status: 'sent', sentAt: new Date(), failureReason: null });
    const conversation = await repo(unit.manager, 'Conversation').findOneOrFail({ where: { id: followUp.conversationId }, select: { id: true, channel: true } });
    await addSystemNote(unit, db, conversation, `${SENT_NOTES[followUp.kind]} ${followUp.address}`, { followUpId: followUp.id, followUpKind: followUp.kind });
  });
}

/** Whether the customer wrote anything, on any conversation, after a time (a follow-up then asks too late). */
export async function contactWroteSince(db: Database, contactId: string, since: Date): Promise<boolean> {
  const sql = new Sql(db.manager, db.engine);
  const rows = await sql.rows(
    `SELECT 1 FROM messages WHERE "senderKind" = 'contact' AND "createdAt" > ? AND "conversationId" IN (SELECT id FROM conversations WHERE "contactId" = ?) LIMIT 1`,
    [sql.date(since), contactId],
  );
  return rows.length > 0;
}

/**
 * Puts the job of every follow-up a channel still has scheduled back on its queue (see Outbox.restore):
 * after Redis lost its data, each fires at its time; while Redis kept them, nothing changes.
 */
export async function reconcileFollowUps(deps: FollowUpDeps, sender: FollowUpSender): Promise<number> {
  const followUps = repo(deps.db.manager, 'FollowUp');
  let restored = 0;
  let after = '';
  for (;;) {
    const batch = await followUps.find({ where: { channel: sender.channel, status: 'scheduled', id: MoreThan(after) }, order: { id: 'ASC' }, take: RECONCILE_BATCH });
    if (batch.length === 0) return restored;
    const now = new Date();
    await deps.outbox.restore(batch.map((followUp) => followUpJobRow(sender, followUp, now)));
    restored += batch.length;
    after = batch[batch.length - 1]?.id ?? after;
  }
}

import { In, IsNull, type EntityManager } from 'typeorm';
import type { Actor } from '../actor';
import { recordAudit } from '../audit';
import type { Database } from '../database';
import { ConflictError, NotFoundError } from '../errors';
import { events, type DomainEvent } from '../events';
import { insertRows, repo, updateRow } from '../model/schemas';
import type { Contact, ContactMerge } from '../model/types';
import { eventsOutboxRow, type Outbox } from '../outbox';
import { inList, Sql } from '../sql';
import { contactView, type ContactView } from './external-ids';
import { UNMERGE_DAYS } from './merge';
import { contactsKey, lockContacts, required } from './merge-rows';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface UnmergeResult {
  /** The target, without what the merge gave it. */
  contact: ContactView;
  /** The merged contact, re-created with its own id. */
  restored: ContactView;
  mergeId: string;
}

/**
 * Undoes a merge into `targetId` (the latest one standing when `mergeId` is omitted), within UNMERGE_DAYS:
 * the merged contact is re-created with its own id and gets back exactly what moved (identities,
 * conversations with their messages and ratings, page views, external ids, its attributes), even if the
 * target changed since; conversations that began after the merge stay with the target. What the target
 * took from it (empty fields filled, attributes it lacked) is taken back where it is still as merged.
 */
export async function unmergeContacts(deps: { db: Database; outbox: Outbox }, targetId: string, mergeId: string | undefined, actor: Actor): Promise<UnmergeResult> {
  const { db, outbox } = deps;
  const merge = await findMerge(db, targetId, mergeId);
  return outbox.runUnit(async ({ manager, write }) => {
    const sql = new Sql(manager, db.engine);
    const locked = await lockContacts(manager, db, [targetId, merge.sourceId]);
    const target = required(locked, targetId);
    // Read again under the lock: a concurrent unmerge of the same merge finds it undone.
    const current = await repo(manager, 'ContactMerge').findOneBy({ id: merge.id });
    if (!current || current.targetId !== targetId) throw new NotFoundError(`Merge ${merge.id} of contact ${targetId}`);
    if (current.undoneAt) throw new ConflictError('merge_undone', `Merge ${merge.id} was undone already.`);
    const now = new Date();
    if (now.getTime() - current.createdAt.getTime() > UNMERGE_DAYS * DAY_MS) {
      throw new ConflictError('merge_expired', `Merge ${merge.id} is older than ${UNMERGE_DAYS} days and can no longer be undone.`);
    }
    if (locked.has(current.sourceId)) throw new ConflictError('contact_exists', `Contact ${current.sourceId} exists again; the merge cannot be undone.`);

    const { snapshot, sourceId } = current;
    const source: Contact = { ...snapshot.source, createdAt: new Date(snapshot.source.createdAt), updatedAt: now };
    await insertRows(manager, 'Contact', source);

    const { identityIds, conversationIds, pageViewIds } = snapshot;
    if (identityIds.length > 0) await sql.run(`UPDATE channel_identities SET "contactId" = ? WHERE id IN (${inList(identityIds)})`, [sourceId, ...identityIds], { varies: true });
    if (conversationIds.length > 0) {
      const conversations = inList(conversationIds);
      await sql.run(`UPDATE conversations SET "contactId" = ?, "updatedAt" = ? WHERE id IN (${conversations})`, [sourceId, sql.date(now), ...conversationIds], { varies: true });
      await sql.run(`UPDATE messages SET "senderId" = ? WHERE "senderKind" = 'contact' AND "conversationId" IN (${conversations})`, [sourceId, ...conversationIds], { varies: true });
      await sql.run(`UPDATE ratings SET "contactId" = ? WHERE "conversationId" IN (${conversations})`, [sourceId, ...conversationIds], { varies: true });
    }
    if (pageViewIds.length > 0) await sql.run(`UPDATE page_views SET "contactId" = ? WHERE id IN (${inList(pageViewIds)})`, [sourceId, ...pageViewIds], { varies: true });
    await restoreExternalIds(manager, targetId, sourceId, { ...snapshot.externalIds.dropped, ...snapshot.externalIds.moved }, now);
    if (snapshot.followingMergeIds.length > 0) {
      await repo(manager, 'ContactMerge').update({ id: In(snapshot.followingMergeIds), targetId, undoneAt: IsNull() }, { targetId: sourceId });
    }

    const changes = takenBack(target, current);
    const updated: Contact = { ...target, ...changes, updatedAt: now };
    await updateRow(manager, 'Contact', targetId, { ...changes, updatedAt: now });
    await repo(manager, 'ContactMerge').update({ id: current.id }, { undoneAt: now });
    await recordAudit(manager, actor, {
      action: 'contact.unmerged',
      entityType: 'contact',
      entityId: targetId,
      before: { mergeId: current.id },
      after: { mergeId: current.id, restoredContactId: sourceId, identityIds, conversationIds, changes },
    });

    const moved = conversationIds.length > 0 ? await repo(manager, 'Conversation').findBy({ id: In(conversationIds) }) : [];
    const happened: DomainEvent[] = [
      events.contactCreated(source, now),
      events.contactUpdated(updated, [...Object.keys(changes), 'identities', 'conversations'], now),
      ...moved.map((c) => events.conversationUpdated(c, ['contactId'], now)),
    ];
    await write([eventsOutboxRow(happened, now)]);
    return { contact: await contactView(manager, updated), restored: await contactView(manager, source), mergeId: current.id };
  }, { key: contactsKey(targetId, merge.sourceId) });
}

async function findMerge(db: Database, targetId: string, mergeId: string | undefined): Promise<ContactMerge> {
  if (!(await repo(db.manager, 'Contact').existsBy({ id: targetId }))) throw new NotFoundError(`Contact ${targetId}`);
  const merges = repo(db.manager, 'ContactMerge');
  const merge = mergeId
    ? await merges.findOneBy({ id: mergeId, targetId })
    : await merges.findOne({ where: { targetId, undoneAt: IsNull() }, order: { createdAt: 'DESC', id: 'DESC' } });
  if (!merge) throw new NotFoundError(mergeId ? `Merge ${mergeId} of contact ${targetId}` : `A merge into contact ${targetId} that can be undone`);
  return merge;
}

/** The merged contact's external ids back to it, unless another contact has taken one since. */
async function restoreExternalIds(manager: EntityManager, targetId: string, sourceId: string, ids: Record<string, string>, now: Date): Promise<void> {
  const rows = repo(manager, 'ContactExternalId');
  for (const [system, externalId] of Object.entries(ids)) {
    await rows.delete({ contactId: targetId, system, externalId });
    const owner = await rows.findOneBy({ system, externalId });
    if (owner) {
      throw new ConflictError('external_id_taken', `Contact ${owner.contactId} has the ${system} id ${externalId} now; the merge cannot be undone.`, [
        { path: `externalIds.${system}`, message: `is the ${system} id of contact ${owner.contactId}`, code: 'external_id_taken' },
      ]);
    }
    await insertRows(manager, 'ContactExternalId', { contactId: sourceId, system, externalId, createdAt: now });
  }
}

/** What the target gives back: the fields and attributes it took from the merged contact, where they are still as merged. */
function takenBack(target: Contact, merge: ContactMerge): Partial<Contact> {
  const changes: Partial<Contact> = {};
  const { filled, attributesAdded, source } = merge.snapshot;
  for (const field of ['name', 'email', 'phone'] as const) {
    if (filled[field] !== undefined && target[field] === filled[field]) changes[field] = null;
  }
  const kept = Object.entries(target.attributes).filter(([key, value]) => !(attributesAdded.includes(key) && JSON.stringify(value) === JSON.stringify(source.attributes[key])));
  if (kept.length !== Object.keys(target.attributes).length) changes.attributes = Object.fromEntries(kept);
  return changes;
}

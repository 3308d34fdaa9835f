import { In } from 'typeorm';
import type { Actor } from '../actor';
import { recordAudit } from '../audit';
import type { Database } from '../database';
import { ValidationError } from '../errors';
import { events, type DomainEvent } from '../events';
import { newId } from '../ids';
import { insertRows, repo, updateRow } from '../model/schemas';
import type { Contact, ContactMergeSnapshot } from '../model/types';
import { eventsOutboxRow, type Outbox } from '../outbox';
import { Sql } from '../sql';
import { contactView, type ContactView } from './external-ids';
import { contactsKey, lockContacts, required, updatedIds } from './merge-rows';

/** How long a merge can be undone. */
export const UNMERGE_DAYS = 30;

const FIELDS = ['name', 'email', 'phone'] as const;

export interface MergeResult {
  contact: ContactView;
  mergeId: string;
}

/**
 * Merges contact `sourceId` into `targetId` in one unit: its identities, conversations (with their
 * customer messages and ratings), page views and external ids go to the target, which keeps its own id
 * for a system both have and its own attribute values; its name, email and phone fill the target's empty
 * ones. The merged contact is deleted; what moved is kept in a merge record that unmergeContacts undoes
 * for UNMERGE_DAYS. Audited, with `contact.merged`, `contact.updated` and each moved conversation's
 * `conversation.updated` event.
 */
export async function mergeContacts(deps: { db: Database; outbox: Outbox }, targetId: string, sourceId: string, actor: Actor): Promise<MergeResult> {
  const { db, outbox } = deps;
  if (targetId === sourceId) throw new ValidationError('A contact cannot be merged into itself.', [{ path: 'from', message: 'is the contact merged into', code: 'same_contact' }]);
  return outbox.runUnit(async ({ manager, write }) => {
    const sql = new Sql(manager, db.engine);
    const locked = await lockContacts(manager, db, [targetId, sourceId]);
    const target = required(locked, targetId);
    const source = required(locked, sourceId);
    const now = new Date();

    const targetIds = await repo(manager, 'ContactExternalId').findBy({ contactId: targetId });
    const sourceIds = await repo(manager, 'ContactExternalId').findBy({ contactId: sourceId });
    const taken = new Set(targetIds.map((row) => row.system));
    const externalIds: ContactMergeSnapshot['externalIds'] = { moved: {}, dropped: {} };
    for (const row of sourceIds) {
      if (taken.has(row.system)) externalIds.dropped[row.system] = row.externalId;
      else {
        externalIds.moved[row.system] = row.externalId;
        await repo(manager, 'ContactExternalId').update({ contactId: sourceId, system: row.system }, { contactId: targetId });
      }
    }

    // Messages first: they are found through the conversations that are still the source's.
    await sql.run(`UPDATE messages SET "senderId" = ? WHERE "senderKind" = 'contact' AND "senderId" = ? AND "conversationId" IN (SELECT id FROM conversations WHERE "contactId" = ?)`, [targetId, sourceId, sourceId]);
    await sql.run(`UPDATE ratings SET "contactId" = ? WHERE "contactId" = ?`, [targetId, sourceId]);
    const conversationIds = await updatedIds(sql, `UPDATE conversations SET "contactId" = ?, "updatedAt" = ? WHERE "contactId" = ?`, [targetId, sql.date(now), sourceId]);
    const identityIds = await updatedIds(sql, `UPDATE channel_identities SET "contactId" = ? WHERE "contactId" = ?`, [targetId, sourceId]);
    const pageViewIds = await updatedIds(sql, `UPDATE page_views SET "contactId" = ? WHERE "contactId" = ?`, [targetId, sourceId]);
    const followingMergeIds = await updatedIds(sql, `UPDATE contact_merges SET "targetId" = ? WHERE "targetId" = ? AND "undoneAt" IS NULL`, [targetId, sourceId]);

    const changes: Partial<Contact> = {};
    const filled: ContactMergeSnapshot['filled'] = {};
    for (const field of FIELDS) {
      const value = source[field];
      if (target[field] === null && value !== null) {
        changes[field] = value;
        filled[field] = value;
      }
    }
    const attributesAdded = Object.keys(source.attributes).filter((key) => !(key in target.attributes));
    if (attributesAdded.length > 0) changes.attributes = { ...source.attributes, ...target.attributes };
    const updated: Contact = { ...target, ...changes, updatedAt: now };
    await updateRow(manager, 'Contact', targetId, { ...changes, updatedAt: now });
    await repo(manager, 'Contact').delete({ id: sourceId });

    const snapshot: ContactMergeSnapshot = {
      source: { ...source, createdAt: source.createdAt.toISOString(), updatedAt: source.updatedAt.toISOString() },
      identityIds,
      conversationIds,
      pageViewIds,
      externalIds,
      filled,
      attributesAdded,
      followingMergeIds,
    };
    const mergeId = newId();
    await insertRows(manager, 'ContactMerge', { id: mergeId, targetId, sourceId, snapshot, createdAt: now, undoneAt: null });
    await recordAudit(manager, actor, {
      action: 'contact.merged',
      entityType: 'contact',
      entityId: targetId,
      before: { target: { ...target, createdAt: target.createdAt.toISOString(), updatedAt: target.updatedAt.toISOString() }, source: snapshot.source },
      after: { mergeId, sourceId, identityIds, conversationIds, externalIds, filled, attributesAdded },
    });

    const moved = conversationIds.length > 0 ? await repo(manager, 'Conversation').findBy({ id: In(conversationIds) }) : [];
    const happened: DomainEvent[] = [
      events.contactMerged(updated, sourceId, mergeId, now),
      events.contactUpdated(updated, [...Object.keys(changes), 'identities', 'conversations', ...(Object.keys(externalIds.moved).length > 0 ? ['externalIds'] : [])], now),
      ...moved.map((c) => events.conversationUpdated(c, ['contactId'], now)),
    ];
    await write([eventsOutboxRow(happened, now)]);
    return { contact: await contactView(manager, updated), mergeId };
  }, { key: contactsKey(targetId, sourceId) });
}

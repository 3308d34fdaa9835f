import { In, Not, type EntityManager } from 'typeorm';
import { ConflictError } from '../errors';
import { insertRows, repo } from '../model/schemas';
import type { Contact, ContactExternalId } from '../model/types';
import { toJson, type Json } from '../serialize';

/** A contact as the API answers it: with its ids in other systems, by system (`{ hubspot: "123" }`). */
export type ContactView = Json<Contact> & { externalIds: Record<string, string> };

/** Sets a system's id (a string) or removes it (null). */
export type ExternalIdsPatch = Record<string, string | null>;

/** The external ids of many contacts in one query, by contact. */
export async function externalIdsOf(manager: EntityManager, contactIds: readonly string[]): Promise<Map<string, Record<string, string>>> {
  const byContact = new Map<string, Record<string, string>>(contactIds.map((id) => [id, {}]));
  if (contactIds.length === 0) return byContact;
  const rows = await repo(manager, 'ContactExternalId').find({ where: { contactId: In([...new Set(contactIds)]) }, order: { system: 'ASC' } });
  for (const row of rows) {
    const ids = byContact.get(row.contactId);
    if (ids) ids[row.system] = row.externalId;
  }
  return byContact;
}

/** Contacts as the API answers them, their external ids loaded together. */
export async function contactViews(manager: EntityManager, contacts: readonly Contact[]): Promise<ContactView[]> {
  const ids = await externalIdsOf(manager, contacts.map((c) => c.id));
  return contacts.map((contact) => ({ ...toJson(contact), externalIds: ids.get(contact.id) ?? {} }));
}

export async function contactView(manager: EntityManager, contact: Contact): Promise<ContactView> {
  const [view] = await contactViews(manager, [contact]);
  if (!view) throw new Error(`no view of contact ${contact.id}`);
  return view;
}

/**
 * Applies a change of a contact's external ids in the caller's transaction. An id that another contact
 * has in the same system is refused, naming the field. Returns the systems whose id changed, with the
 * ids before and after.
 */
export async function applyExternalIds(manager: EntityManager, contactId: string, patch: ExternalIdsPatch, now: Date): Promise<{ before: Record<string, string | null>; after: Record<string, string | null> }> {
  const rows = repo(manager, 'ContactExternalId');
  const current = (await externalIdsOf(manager, [contactId])).get(contactId) ?? {};
  const before: Record<string, string | null> = {};
  const after: Record<string, string | null> = {};
  for (const [system, externalId] of Object.entries(patch)) {
    const had = current[system] ?? null;
    if (had === externalId) continue;
    if (externalId !== null) {
      const owner = await rows.findOneBy({ system, externalId, contactId: Not(contactId) });
      if (owner) {
        throw new ConflictError('external_id_taken', `Contact ${owner.contactId} already has the ${system} id ${externalId}; merge the two contacts instead.`, [
          { path: `externalIds.${system}`, message: `is the ${system} id of contact ${owner.contactId}`, code: 'external_id_taken' },
        ]);
      }
    }
    await rows.delete({ contactId, system });
    if (externalId !== null) {
      const row: ContactExternalId = { contactId, system, externalId, createdAt: now };
      await insertRows(manager, 'ContactExternalId', row);
    }
    before[system] = had;
    after[system] = externalId;
  }
  return { before, after };
}

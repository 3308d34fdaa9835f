import { Not, type EntityManager } from 'typeorm';
import { actorOfContact } from '../actor';
import { recordAudit, valuesBefore } from '../audit';
import { repo, updateRow } from '../model/schemas';
import type { Contact } from '../model/types';

/** What a visitor says about themselves (pre-chat form, offline form, identify without a hash): unverified. */
export interface VisitorProfile {
  name?: string;
  email?: string;
}

/**
 * Fills the contact's name and email where they are empty, never overwriting what is known. An email that
 * another contact has, or that differs from the contact's own, is kept as `attributes.unverifiedEmail`
 * instead: channels attach a sender to a contact by email, so an address typed into a widget must never
 * pull someone else's email or SMS into the visitor's contact, nor theirs into someone else's.
 */
export async function applyVisitorProfile(manager: EntityManager, contactId: string, profile: VisitorProfile): Promise<void> {
  const contacts = repo(manager, 'Contact');
  const contact = await contacts.findOneByOrFail({ id: contactId });
  const changes: Partial<Contact> = {};
  if (profile.name !== undefined && contact.name === null) changes.name = profile.name;
  if (profile.email !== undefined && profile.email !== contact.email) {
    const taken = contact.email !== null || (await contacts.existsBy({ email: profile.email, id: Not(contactId) }));
    if (!taken) changes.email = profile.email;
    else if (contact.attributes.unverifiedEmail !== profile.email) changes.attributes = { ...contact.attributes, unverifiedEmail: profile.email };
  }
  if (Object.keys(changes).length === 0) return;
  await updateRow(manager, 'Contact', contactId, { ...changes, updatedAt: new Date() });
  await recordAudit(manager, actorOfContact(contactId), { action: 'contact.updated', entityType: 'contact', entityId: contactId, before: valuesBefore(contact, changes), after: { ...changes } });
}

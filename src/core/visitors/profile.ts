import { Not, type EntityManager } from 'typeorm';
import { actorOfContact } from '../actor';
import { recordAudit, valuesBefore } from '../audit';
import { events, type DomainEvent } from '../events';
import { repo, updateRow } from '../model/schemas';
import type { Contact } from '../model/types';
import { eventsOutboxRow, type Outbox } from '../outbox';

/** What a visitor says about themselves (pre-chat form, offline form, identify without a hash): unverified. */
export interface VisitorProfile {
  name?: string;
  email?: string;
}

/**
 * Fills the contact's name and email where they are empty, never overwriting what is known. An email that
 * another contact has, or that differs from the contact's own, is kept as `attributes.unverifiedEmail`
 * instead: channels attach a sender to a contact by email, so an address typed into a widget must never
 * pull someone else's email or SMS into the visitor's contact, nor theirs into someone else's. Returns
 * the `contact.updated` event of the change, if any, for the caller to write with its unit.
 */
export async function applyVisitorProfile(manager: EntityManager, contactId: string, profile: VisitorProfile): Promise<DomainEvent[]> {
  const contacts = repo(manager, 'Contact');
  const contact = await contacts.findOneByOrFail({ id: contactId });
  const changes: Partial<Contact> = {};
  if (profile.name !== undefined && contact.name === null) changes.name = profile.name;
  if (profile.email !== undefined && profile.email !== contact.email) {
    const taken = contact.email !== null || (await contacts.existsBy({ email: profile.email, id: Not(contactId) }));
    if (!taken) changes.email = profile.email;
    else if (contact.attributes.unverifiedEmail !== profile.email) changes.attributes = { ...contact.attributes, unverifiedEmail: profile.email };
  }
  if (Object.keys(changes).length === 0) return [];
  const now = new Date();
  await updateRow(manager, 'Contact', contactId, { ...changes, updatedAt: now });
  await recordAudit(manager, actorOfContact(contactId), { action: 'contact.updated', entityType: 'contact', entityId: contactId, before: valuesBefore(contact, changes), after: { ...changes } });
  return [events.contactUpdated({ ...contact, ...changes, updatedAt: now }, Object.keys(changes), now)];
}

/** applyVisitorProfile in a unit of its own, its event committed with it. */
export async function saveVisitorProfile(deps: { outbox: Outbox }, contactId: string, profile: VisitorProfile): Promise<void> {
  await deps.outbox.runUnit(async ({ manager, write }) => {
    const happened = await applyVisitorProfile(manager, contactId, profile);
    if (happened.length > 0) await write([eventsOutboxRow(happened, new Date())]);
  }, { key: `contact:${contactId}` });
}

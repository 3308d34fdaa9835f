import type { Actor } from '../actor';
import { recordAudit, valuesBefore } from '../audit';
import type { Database } from '../database';
import { NotFoundError, ValidationError } from '../errors';
import { events } from '../events';
import { newId } from '../ids';
import { lockRow, repo, updateRow } from '../model/schemas';
import type { Contact } from '../model/types';
import { eventsOutboxRow, type Outbox } from '../outbox';
import { decodeCursor, pageOf, pastPosition, type Page } from '../pagination';
import { applyExternalIds, contactView, contactViews, type ContactView, type ExternalIdsPatch } from './external-ids';
import { contactMatches } from './search';

export interface ContactSearch {
  /** Free text over name, email and phone. */
  q?: string;
  limit: number;
  cursor?: string;
}

export interface ContactPatch {
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  /** Merged into the custom attributes; a key set to null is removed. */
  attributes?: Record<string, unknown>;
  /** A system's id set, or removed with null. */
  externalIds?: ExternalIdsPatch;
}

/** A contact not stored yet, knowing what `details` say and nothing else. */
export function newContact(now: Date, details: Partial<Pick<Contact, 'name' | 'email' | 'phone'>> = {}): Contact {
  return { id: newId(), name: null, email: null, phone: null, ...details, attributes: {}, createdAt: now, updatedAt: now };
}

/** Refuses, naming the field, custom attributes larger than `maxBytes` as stored. */
export function assertAttributesFit(attributes: Record<string, unknown>, maxBytes: number): void {
  const size = Buffer.byteLength(JSON.stringify(attributes));
  if (size > maxBytes) throw new ValidationError(`Custom attributes would take ${size} bytes; the limit is ${maxBytes}`, [{ path: 'attributes', message: `exceeds ${maxBytes} bytes`, code: 'too_big' }]);
}

/** Contacts, newest first, one page at a time. */
export async function listContacts(db: Database, search: ContactSearch): Promise<Page<ContactView>> {
  const query = repo(db.manager, 'Contact').createQueryBuilder('ct');
  if (search.q) query.andWhere(contactMatches('ct', search.q));
  if (search.cursor) query.andWhere(pastPosition('ct', 'createdAt', decodeCursor(search.cursor), '<'));
  const rows = await query.orderBy('ct.createdAt', 'DESC').addOrderBy('ct.id', 'DESC').limit(search.limit + 1).getMany();
  const page = pageOf(rows, search.limit, (c) => ({ at: c.createdAt, id: c.id }), (items) => items);
  return { items: await contactViews(db.manager, page.items), nextCursor: page.nextCursor };
}

export async function findContact(db: Database, id: string): Promise<Contact> {
  const contact = await repo(db.manager, 'Contact').findOneBy({ id });
  if (!contact) throw new NotFoundError(`Contact ${id}`);
  return contact;
}

export async function getContact(db: Database, id: string): Promise<ContactView> {
  return contactView(db.manager, await findContact(db, id));
}

/**
 * Changes a contact's details, custom attributes and external ids, audited, with a `contact.updated`
 * event committed with the change; attributes are bounded in size.
 */
export async function updateContact(deps: { db: Database; outbox: Outbox }, id: string, patch: ContactPatch, actor: Actor, maxAttributeBytes: number): Promise<ContactView> {
  const { db, outbox } = deps;
  return outbox.runUnit(async ({ manager, write }) => {
    const contact = await lockRow(manager, db.engine, 'Contact', id);
    if (!contact) throw new NotFoundError(`Contact ${id}`);
    const changes: Partial<Contact> = {};
    if (patch.name !== undefined && patch.name !== contact.name) changes.name = patch.name;
    if (patch.email !== undefined && patch.email !== contact.email) changes.email = patch.email;
    if (patch.phone !== undefined && patch.phone !== contact.phone) changes.phone = patch.phone;
    if (patch.attributes !== undefined) {
      const attributes = Object.fromEntries(Object.entries({ ...contact.attributes, ...patch.attributes }).filter(([, value]) => value !== null));
      assertAttributesFit(attributes, maxAttributeBytes);
      if (JSON.stringify(attributes) !== JSON.stringify(contact.attributes)) changes.attributes = attributes;
    }
    const now = new Date();
    const externalIds = patch.externalIds ? await applyExternalIds(manager, id, patch.externalIds, now) : { before: {}, after: {} };
    const changedIds = Object.keys(externalIds.after).length > 0;
    const fields: string[] = [...Object.keys(changes), ...(changedIds ? ['externalIds'] : [])];
    if (fields.length === 0) return contactView(manager, contact);

    const updated: Contact = { ...contact, ...changes, updatedAt: now };
    await updateRow(manager, 'Contact', id, { ...changes, updatedAt: now });
    await recordAudit(manager, actor, {
      action: 'contact.updated',
      entityType: 'contact',
      entityId: id,
      before: { ...valuesBefore(contact, changes), ...(changedIds ? { externalIds: externalIds.before } : {}) },
      after: { ...changes, ...(changedIds ? { externalIds: externalIds.after } : {}) },
    });
    await write([eventsOutboxRow([events.contactUpdated(updated, fields, now)], now)]);
    return contactView(manager, updated);
  }, { key: `contact:${id}` });
}

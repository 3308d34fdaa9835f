import type { Actor } from '../actor';
import { recordAudit, valuesBefore } from '../audit';
import type { Database } from '../database';
import { NotFoundError, ValidationError } from '../errors';
import { repo, updateRow } from '../model/schemas';
import type { Contact } from '../model/types';
import { decodeCursor, pageOf, pastPosition, type Page } from '../pagination';
import { contactMatches } from './search';
import { toJson, type Json } from '../serialize';

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
}

/** Contacts, newest first, one page at a time. */
export async function listContacts(db: Database, search: ContactSearch): Promise<Page<Json<Contact>>> {
  const query = repo(db.manager, 'Contact').createQueryBuilder('ct');
  if (search.q) query.andWhere(contactMatches('ct', search.q));
  if (search.cursor) query.andWhere(pastPosition('ct', 'createdAt', decodeCursor(search.cursor), '<'));
  const rows = await query.orderBy('ct.createdAt', 'DESC').addOrderBy('ct.id', 'DESC').limit(search.limit + 1).getMany();
  return pageOf(rows, search.limit, (c) => ({ at: c.createdAt, id: c.id }), (items) => items.map(toJson));
}

export async function getContact(db: Database, id: string): Promise<Json<Contact>> {
  const contact = await repo(db.manager, 'Contact').findOneBy({ id });
  if (!contact) throw new NotFoundError(`Contact ${id}`);
  return toJson(contact);
}

/** Changes a contact's details and custom attributes, audited; attributes are bounded in size. */
export async function updateContact(db: Database, id: string, patch: ContactPatch, actor: Actor, maxAttributeBytes: number): Promise<Json<Contact>> {
  return db.transaction(async (manager) => {
    const contact = await repo(manager, 'Contact').findOneBy({ id });
    if (!contact) throw new NotFoundError(`Contact ${id}`);
    const changes: Partial<Contact> = {};
    if (patch.name !== undefined) changes.name = patch.name;
    if (patch.email !== undefined) changes.email = patch.email;
    if (patch.phone !== undefined) changes.phone = patch.phone;
    if (patch.attributes !== undefined) {
      const attributes = Object.fromEntries(Object.entries({ ...contact.attributes, ...patch.attributes }).filter(([, value]) => value !== null));
      const size = Buffer.byteLength(JSON.stringify(attributes));
      if (size > maxAttributeBytes) {
        throw new ValidationError(`Custom attributes would take ${size} bytes; the limit is ${maxAttributeBytes}`, [{ path: 'attributes', message: `exceeds ${maxAttributeBytes} bytes`, code: 'too_big' }]);
      }
      changes.attributes = attributes;
    }
    const updated: Contact = { ...contact, ...changes, updatedAt: new Date() };
    await updateRow(manager, 'Contact', id, { ...changes, updatedAt: updated.updatedAt });
    await recordAudit(manager, actor, { action: 'contact.updated', entityType: 'contact', entityId: id, before: valuesBefore(contact, changes), after: changes });
    return toJson(updated);
  });
}

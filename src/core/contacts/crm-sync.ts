import type { EntityManager, SelectQueryBuilder } from 'typeorm';
import type { Actor } from '../actor';
import { recordAudit, valuesBefore } from '../audit';
import type { Database } from '../database';
import { isRefusal } from '../errors';
import { events } from '../events';
import { requestHash } from '../idempotency';
import { postReply, type ReplyDeps } from '../messages/replies';
import { addSystemNote } from '../messages/system-notes';
import { insertRows, repo, updateRow, type DatabaseEngine } from '../model/schemas';
import type { Contact, Message } from '../model/types';
import { eventsOutboxRow, type Unit } from '../outbox';
import { assertAttributesFit, newContact } from './directory';

/**
 * What a CRM tells the hub about its contacts, applied to the hub's own: each change in the unit of
 * work the caller runs (with its record of the event), with its `contact.created` / `contact.updated`
 * event written in that same unit.
 */

/** How a CRM names one of its contacts: its own id for them (in the CRM's system), else their email, else their phone (E.164). */
export interface CrmContactRef {
  externalId?: string;
  email?: string;
  phone?: string;
}

/** What the CRM sends of a contact; null clears a field. Email and phone also find the contact (see findContact). */
export interface CrmContactData {
  externalId?: string;
  email?: string | null;
  phone?: string | null;
  name?: string | null;
  /** First and last name as the CRM keeps them apart: stored as the attributes `firstName` and `lastName`, and joined into `name`. */
  nameParts?: { first?: string | null; last?: string | null };
  /** Merged into the custom attributes; a key set to null is removed. */
  attributes?: Record<string, unknown>;
}

/** Where a change comes from: the system the CRM's external ids are of, and who the audit log names. */
export interface CrmSource {
  system: string;
  actor: Actor;
}

export type CrmUpsert = { kind: 'created' | 'updated' | 'unchanged'; contact: Contact; changes: string[] };
export type CrmRemoval = { kind: 'deleted' | 'unlinked'; contactId: string } | { kind: 'not_found' };
export type CrmNote = { kind: 'noted'; contactId: string; message: Message } | { kind: 'ignored'; reason: string; contactId?: string };
export type CrmSend = { kind: 'sent'; contactId: string; message: Message } | { kind: 'refused'; reason: string; contactId?: string };

const NAME_MAX = 200;

/**
 * The contact a CRM means: the one linked to its external id, else the oldest with its email, else with
 * its phone. With an external id, a contact already linked to another record of the same system is a
 * different person and is never matched by address. With `engine` (inside a transaction only), the
 * contact is locked on PostgreSQL, so that concurrent changes of one contact take turns.
 */
async function findContact(manager: EntityManager, engine: DatabaseEngine | undefined, system: string, ref: CrmContactRef): Promise<Contact | undefined> {
  const contacts = repo(manager, 'Contact');
  const locked = (query: SelectQueryBuilder<Contact>) => (engine === 'postgres' ? query.setLock('pessimistic_write') : query);
  if (ref.externalId !== undefined) {
    const link = await repo(manager, 'ContactExternalId').findOneBy({ system, externalId: ref.externalId });
    if (link) return (await locked(contacts.createQueryBuilder('c').where('c.id = :id', { id: link.contactId })).getOne()) ?? undefined;
  }
  for (const [column, value] of [
    ['email', ref.email],
    ['phone', ref.phone],
  ] as const) {
    if (value === undefined) continue;
    const query = contacts.createQueryBuilder('c').where(`c.${column} = :value`, { value });
    if (ref.externalId !== undefined) query.andWhere('NOT EXISTS (SELECT 1 FROM contact_external_ids x WHERE x."contactId" = c.id AND x.system = :system)', { system });
    const found = await locked(query.orderBy('c.createdAt', 'ASC').addOrderBy('c.id', 'ASC').limit(1)).getOne();
    if (found) return found;
  }
  return undefined;
}

function joinedName(attributes: Record<string, unknown>): string | null {
  const parts = [attributes.firstName, attributes.lastName].filter((part): part is string => typeof part === 'string' && part.trim() !== '');
  return parts.length > 0 ? parts.join(' ').trim().slice(0, NAME_MAX) : null;
}

/** The fields of `current` that the CRM's data changes, with their new values. */
function changesOf(current: Pick<Contact, 'name' | 'email' | 'phone' | 'attributes'>, data: CrmContactData, maxAttributeBytes: number): Partial<Contact> {
  const changes: Partial<Contact> = {};
  if (data.email !== undefined && data.email !== current.email) changes.email = data.email;
  if (data.phone !== undefined && data.phone !== current.phone) changes.phone = data.phone;
  const merged: Record<string, unknown> = { ...current.attributes, ...data.attributes };
  if (data.nameParts?.first !== undefined) merged.firstName = data.nameParts.first;
  if (data.nameParts?.last !== undefined) merged.lastName = data.nameParts.last;
  const attributes = Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== null));
  if (JSON.stringify(attributes) !== JSON.stringify(current.attributes)) {
    assertAttributesFit(attributes, maxAttributeBytes);
    changes.attributes = attributes;
  }
  const name = data.name !== undefined ? data.name : data.nameParts ? joinedName(attributes) : current.name;
  if (name !== current.name) changes.name = name;
  return changes;
}

/**
 * Creates or updates the contact the CRM means (see findContact) with what it sent, and links it to the
 * CRM's external id. Nothing changed: no write and no event.
 */
export async function upsertCrmContact(unit: Unit, db: Database, source: CrmSource, data: CrmContactData, maxAttributeBytes: number): Promise<CrmUpsert> {
  const { manager, write } = unit;
  const now = new Date();
  const found = await findContact(manager, db.engine, source.system, { externalId: data.externalId, email: data.email ?? undefined, phone: data.phone ?? undefined });
  if (!found) {
    const contact = newContact(now);
    Object.assign(contact, changesOf(contact, data, maxAttributeBytes));
    await insertRows(manager, 'Contact', contact);
    if (data.externalId !== undefined) await insertRows(manager, 'ContactExternalId', { contactId: contact.id, system: source.system, externalId: data.externalId, createdAt: now });
    await recordAudit(manager, source.actor, { action: 'contact.created', entityType: 'contact', entityId: contact.id, after: { name: contact.name, email: contact.email, phone: contact.phone, system: source.system } });
    await write([eventsOutboxRow([events.contactCreated(contact, now)], now)]);
    return { kind: 'created', contact, changes: [] };
  }
  const changes = changesOf(found, data, maxAttributeBytes);
  const names = Object.keys(changes);
  if (data.externalId !== undefined && !(await repo(manager, 'ContactExternalId').existsBy({ contactId: found.id, system: source.system }))) {
    await insertRows(manager, 'ContactExternalId', { contactId: found.id, system: source.system, externalId: data.externalId, createdAt: now });
    names.push('externalIds');
  }
  if (names.length === 0) return { kind: 'unchanged', contact: found, changes: [] };
  const updated: Contact = { ...found, ...changes, updatedAt: now };
  await updateRow(manager, 'Contact', found.id, { ...changes, updatedAt: now });
  await recordAudit(manager, source.actor, { action: 'contact.updated', entityType: 'contact', entityId: found.id, before: valuesBefore(found, changes), after: { ...changes, system: source.system } });
  await write([eventsOutboxRow([events.contactUpdated(updated, names, now)], now)]);
  return { kind: 'updated', contact: updated, changes: names };
}

/**
 * The CRM deleted its contact: the hub forgets the link to it, and deletes the contact itself only when
 * it has no conversation (what customers wrote stays, with who wrote it).
 */
export async function removeCrmContact(unit: Unit, db: Database, source: CrmSource, ref: CrmContactRef): Promise<CrmRemoval> {
  const { manager, write } = unit;
  const contact = await findContact(manager, db.engine, source.system, ref);
  if (!contact) return { kind: 'not_found' };
  const unlinked = ((await repo(manager, 'ContactExternalId').delete({ contactId: contact.id, system: source.system })).affected ?? 0) > 0;
  if (!(await repo(manager, 'Conversation').existsBy({ contactId: contact.id }))) {
    await repo(manager, 'Contact').delete({ id: contact.id });
    await recordAudit(manager, source.actor, { action: 'contact.deleted', entityType: 'contact', entityId: contact.id, before: { name: contact.name, email: contact.email, phone: contact.phone }, after: { system: source.system } });
    return { kind: 'deleted', contactId: contact.id };
  }
  if (unlinked) {
    const now = new Date();
    await updateRow(manager, 'Contact', contact.id, { updatedAt: now });
    await recordAudit(manager, source.actor, { action: 'contact.unlinked', entityType: 'contact', entityId: contact.id, after: { system: source.system } });
    await write([eventsOutboxRow([events.contactUpdated({ ...contact, updatedAt: now }, ['externalIds'], now)], now)]);
  }
  return { kind: 'unlinked', contactId: contact.id };
}

/**
 * A private note from the CRM on the contact's latest conversation (by last activity): agents see it,
 * the customer never does. It is no activity of the conversation's: its time and preview stay.
 */
export async function addCrmNote(unit: Unit, db: Database, source: CrmSource, ref: CrmContactRef, body: string, metadata: Record<string, unknown>): Promise<CrmNote> {
  const { manager } = unit;
  const contact = await findContact(manager, db.engine, source.system, ref);
  if (!contact) return { kind: 'ignored', reason: 'no contact matches' };
  const conversation = await repo(manager, 'Conversation').findOne({ where: { contactId: contact.id }, order: { lastMessageAt: 'DESC', id: 'DESC' }, select: { id: true, channel: true } });
  if (!conversation) return { kind: 'ignored', reason: 'the contact has no conversation to add the note to', contactId: contact.id };
  const note = await addSystemNote(unit, db, conversation, body, { ...metadata, system: source.system });
  await recordAudit(manager, source.actor, { action: 'note.created', entityType: 'message', entityId: note.id, after: { conversationId: conversation.id, private: true, system: source.system } });
  return { kind: 'noted', contactId: contact.id, message: note };
}

/**
 * A message from the CRM to the contact on one of their channels, in their latest conversation there,
 * through the same path as an agent's reply (stored `queued`, then delivered by the delivery jobs).
 * `requestKey` makes it idempotent: asking again with it answers the message stored the first time.
 * What the hub refuses (no such contact or conversation, an opted-out recipient, too long for the
 * channel) is answered as refused, with the reason.
 */
export async function sendCrmMessage(deps: ReplyDeps, source: CrmSource, ref: CrmContactRef, channel: string, body: string, requestKey: string, metadata: Record<string, unknown>): Promise<CrmSend> {
  const { manager } = deps.db;
  // Read outside a transaction: postReply locks the conversation it writes in.
  const contact = await findContact(manager, undefined, source.system, ref);
  if (!contact) return { kind: 'refused', reason: 'no contact matches' };
  const conversation = await repo(manager, 'Conversation').findOne({ where: { contactId: contact.id, channel }, order: { lastMessageAt: 'DESC', id: 'DESC' }, select: { id: true } });
  if (!conversation) {
    const identity = await repo(manager, 'ChannelIdentity').existsBy({ contactId: contact.id, channel });
    return { kind: 'refused', reason: identity ? `the contact has no conversation on ${channel}` : `the contact has no identity on the ${channel} channel`, contactId: contact.id };
  }
  try {
    const { message } = await postReply(
      deps,
      conversation.id,
      { body, private: false, attachments: [], metadata: { ...metadata, system: source.system } },
      source.actor,
      // The hash leaves out the conversation: a retry that finds a newer one still answers the first message.
      { apiKeyId: source.system, key: requestKey, requestHash: requestHash(channel, body) },
    );
    return { kind: 'sent', contactId: contact.id, message };
  } catch (error) {
    if (isRefusal(error)) return { kind: 'refused', reason: error.message, contactId: contact.id };
    throw error;
  }
}

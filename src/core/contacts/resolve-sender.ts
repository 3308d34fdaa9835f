import type { EntityManager } from 'typeorm';
import { newId } from '../ids';
import { insertRows, repo, type DatabaseEngine } from '../model/schemas';
import type { ChannelIdentity, ChannelName, Contact } from '../model/types';

/** Who sent a message, already normalized by the channel (email lower-cased, phone in E.164). */
export interface Sender {
  /** The sender's address on the channel: phone number, email, visitor id, external id. */
  address: string;
  name?: string;
  email?: string;
  phone?: string;
}

export interface ResolvedSender {
  contact: Contact;
  identity: ChannelIdentity;
}

/**
 * Finds the contact behind a channel address, or creates it. A new address is attached to an existing
 * contact with the same email or phone, so one person written to from several channels stays one contact.
 * The identity row is locked on PostgreSQL so that concurrent messages from one sender take turns.
 */
export async function resolveSender(manager: EntityManager, engine: DatabaseEngine, channel: ChannelName, sender: Sender, now: Date): Promise<ResolvedSender> {
  const identities = repo(manager, 'ChannelIdentity');
  const contacts = repo(manager, 'Contact');
  const query = identities.createQueryBuilder('identity').where('identity.channel = :channel AND identity.address = :address', { channel, address: sender.address });
  if (engine === 'postgres') query.setLock('pessimistic_write');
  const identity = await query.getOne();

  if (identity) {
    const contact = await contacts.findOneByOrFail({ id: identity.contactId });
    const filled = fillMissing(contact, sender);
    if (filled) {
      Object.assign(contact, filled, { updatedAt: now });
      await contacts.update({ id: contact.id }, { ...filled, updatedAt: now });
    }
    return { contact, identity };
  }

  const contact = (await findContactByEmailOrPhone(manager, sender)) ?? (await createContact(manager, sender, now));
  const filled = fillMissing(contact, sender);
  if (filled) await contacts.update({ id: contact.id }, { ...filled, updatedAt: now });
  const created: ChannelIdentity = { id: newId(), contactId: contact.id, channel, address: sender.address, createdAt: now };
  // A concurrent first message from the same address makes this insert fail; ingest retries and then
  // finds the identity the other transaction created.
  await identities.insert(created);
  return { contact: { ...contact, ...filled }, identity: created };
}

function fillMissing(contact: Contact, sender: Sender): Partial<Pick<Contact, 'name' | 'email' | 'phone'>> | undefined {
  const filled: Partial<Pick<Contact, 'name' | 'email' | 'phone'>> = {};
  if (!contact.name && sender.name) filled.name = sender.name;
  if (!contact.email && sender.email) filled.email = sender.email;
  if (!contact.phone && sender.phone) filled.phone = sender.phone;
  return Object.keys(filled).length > 0 ? filled : undefined;
}

async function findContactByEmailOrPhone(manager: EntityManager, sender: Sender): Promise<Contact | null> {
  const contacts = repo(manager, 'Contact');
  if (sender.email) {
    const byEmail = await contacts.findOne({ where: { email: sender.email }, order: { createdAt: 'ASC' } });
    if (byEmail) return byEmail;
  }
  if (sender.phone) return contacts.findOne({ where: { phone: sender.phone }, order: { createdAt: 'ASC' } });
  return null;
}

async function createContact(manager: EntityManager, sender: Sender, now: Date): Promise<Contact> {
  const contact: Contact = {
    id: newId(),
    name: sender.name ?? null,
    email: sender.email ?? null,
    phone: sender.phone ?? null,
    attributes: {},
    createdAt: now,
    updatedAt: now,
  };
  await insertRows(manager, 'Contact', contact);
  return contact;
}

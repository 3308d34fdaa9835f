import type { EntityManager } from 'typeorm';
import { newId } from '../ids';
import { insertRows, repo, type DatabaseEngine } from '../model/schemas';
import type { ChannelIdentity, ChannelName, Contact } from '../model/types';
import { Sql } from '../sql';

/** Who sent a message, already normalized by the channel (email lower-cased, phone in E.164). */
export interface Sender {
  /** The sender's address on the channel: phone number, email, visitor id, external id. */
  address: string;
  name?: string;
  email?: string;
  phone?: string;
}

type Details = Partial<Pick<Contact, 'name' | 'email' | 'phone'>>;

function detailsOf(sender: Sender): Details {
  const details: Details = {};
  if (sender.name) details.name = sender.name;
  if (sender.email) details.email = sender.email;
  if (sender.phone) details.phone = sender.phone;
  return details;
}

/**
 * Fills in the contact's name, email and phone where they are still empty, never overwriting what is
 * known. One statement that changes nothing once the contact is complete.
 */
async function fillMissing(sql: Sql, contactId: string, details: Details, now: Date): Promise<void> {
  const fields = Object.keys(details) as (keyof Details)[];
  if (fields.length === 0) return;
  await sql.run(
    `UPDATE contacts SET ${fields.map((f) => `"${f}" = COALESCE("${f}", ?)`).join(', ')}, "updatedAt" = ? WHERE id = ? AND (${fields.map((f) => `"${f}" IS NULL`).join(' OR ')})`,
    [...fields.map((f) => details[f]), sql.date(now), contactId],
  );
}

/**
 * Finds the channel identity behind an address, or creates it with its contact. A new address is attached
 * to an existing contact with the same email or phone, so one person writing from several channels stays
 * one contact. The identity row is locked on PostgreSQL so that concurrent messages from one sender take
 * turns.
 */
export async function resolveSender(manager: EntityManager, engine: DatabaseEngine, channel: ChannelName, sender: Sender, now: Date): Promise<ChannelIdentity> {
  const sql = new Sql(manager, engine);
  const details = detailsOf(sender);
  const [found] = await sql.rows<{ id: string; contactId: string; optedOutAt: Date | string | null; createdAt: Date | string }>(
    `SELECT id, "contactId", "optedOutAt", "createdAt" FROM channel_identities WHERE channel = ? AND address = ?${engine === 'postgres' ? ' FOR UPDATE' : ''}`,
    [channel, sender.address],
  );
  if (found) {
    await fillMissing(sql, found.contactId, details, now);
    return {
      id: found.id,
      contactId: found.contactId,
      channel,
      address: sender.address,
      optedOutAt: sql.readDate(found.optedOutAt),
      createdAt: sql.readDate(found.createdAt) ?? now,
    };
  }

  const existing = await findContactByEmailOrPhone(manager, sender);
  const contactId = existing?.id ?? (await createContact(manager, details, now));
  if (existing) await fillMissing(sql, existing.id, details, now);
  const created: ChannelIdentity = { id: newId(), contactId, channel, address: sender.address, optedOutAt: null, createdAt: now };
  // A concurrent first message from the same address makes this insert fail; ingest retries and then
  // finds the identity the other transaction created.
  await insertRows(manager, 'ChannelIdentity', created);
  return created;
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

async function createContact(manager: EntityManager, details: Details, now: Date): Promise<string> {
  const contact: Contact = { id: newId(), name: null, email: null, phone: null, ...details, attributes: {}, createdAt: now, updatedAt: now };
  await insertRows(manager, 'Contact', contact);
  return contact.id;
}

import { newId } from '../ids';
import { insertOf } from '../model/raw-rows';
import type { ChannelIdentity, ChannelName, Contact } from '../model/types';
import type { Sql } from '../sql';

/** Who sent a message, already normalized by the channel (email lower-cased, phone in E.164). */
export interface Sender {
  /** The sender's address on the channel: phone number, email, visitor id, external id. */
  address: string;
  name?: string;
  email?: string;
  phone?: string;
}

/** A sender's identity as a raw query reads it, with what its contact already knows. */
export interface KnownIdentity {
  id: string;
  contactId: string;
  optedOutAt: Date | string | null;
  createdAt: Date | string;
  name: string | null;
  email: string | null;
  phone: string | null;
}

/**
 * The SELECT of a sender's identity and its contact, for the ingest to run in its first statement. The
 * identity row is locked on PostgreSQL so that concurrent messages from one sender take turns.
 */
export function senderLookup(sql: Sql, channel: ChannelName, address: string): { text: string; params: unknown[] } {
  return {
    text: `SELECT i.id, i."contactId", i."optedOutAt", i."createdAt", c.name, c.email, c.phone
             FROM channel_identities i JOIN contacts c ON c.id = i."contactId"
            WHERE i.channel = ? AND i.address = ?${sql.engine === 'postgres' ? ' FOR UPDATE OF i' : ''}`,
    params: [channel, address],
  };
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
 * known. `known`: what the contact holds, when read already; no statement runs when nothing is missing.
 */
async function fillMissing(sql: Sql, contactId: string, details: Details, now: Date, known?: Details): Promise<void> {
  const fields = (Object.keys(details) as (keyof Details)[]).filter((field) => !known || known[field] === null);
  if (fields.length === 0) return;
  await sql.run(
    `UPDATE contacts SET ${fields.map((f) => `"${f}" = COALESCE("${f}", ?)`).join(', ')}, "updatedAt" = ? WHERE id = ? AND (${fields.map((f) => `"${f}" IS NULL`).join(' OR ')})`,
    [...fields.map((f) => details[f]), sql.date(now), contactId],
  );
}

/** The identity behind a sender the hub knows (see senderLookup), its contact completed with what the sender tells. */
export async function knownSender(sql: Sql, channel: ChannelName, sender: Sender, found: KnownIdentity, now: Date): Promise<ChannelIdentity> {
  await fillMissing(sql, found.contactId, detailsOf(sender), now, { name: found.name, email: found.email, phone: found.phone });
  return {
    id: found.id,
    contactId: found.contactId,
    channel,
    address: sender.address,
    optedOutAt: sql.readDate(found.optedOutAt),
    createdAt: sql.readDate(found.createdAt) ?? now,
  };
}

/**
 * Creates the identity of an address the hub has not seen, with its contact. A new address is attached
 * to an existing contact with the same email or phone, so one person writing from several channels stays
 * one contact.
 */
export async function newSender(sql: Sql, channel: ChannelName, sender: Sender, now: Date): Promise<ChannelIdentity> {
  const details = detailsOf(sender);
  const existing = await contactWithEmailOrPhone(sql, sender);
  const contactId = existing ?? (await createContact(sql, details, now));
  if (existing) await fillMissing(sql, existing, details, now);
  const created: ChannelIdentity = { id: newId(), contactId, channel, address: sender.address, optedOutAt: null, createdAt: now };
  // A concurrent first message from the same address makes this insert fail; ingest retries and then
  // finds the identity the other transaction created.
  await sql.runAll([insertOf(sql, 'ChannelIdentity', created)]);
  return created;
}

/** The oldest contact with the sender's email, else with their phone. */
async function contactWithEmailOrPhone(sql: Sql, sender: Sender): Promise<string | undefined> {
  for (const [column, value] of [
    ['email', sender.email],
    ['phone', sender.phone],
  ] as const) {
    if (!value) continue;
    const [found] = await sql.rows<{ id: string }>(`SELECT id FROM contacts WHERE "${column}" = ? ORDER BY "createdAt" ASC LIMIT 1`, [value]);
    if (found) return found.id;
  }
  return undefined;
}

async function createContact(sql: Sql, details: Details, now: Date): Promise<string> {
  const contact: Contact = { id: newId(), name: null, email: null, phone: null, ...details, attributes: {}, createdAt: now, updatedAt: now };
  await sql.runAll([insertOf(sql, 'Contact', contact)]);
  return contact.id;
}

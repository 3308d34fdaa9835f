import { events, type DomainEvent } from '../events';
import { newId } from '../ids';
import { entityOf, insertOf, returningList } from '../model/raw-rows';
import type { ChannelIdentity, ChannelName, Contact } from '../model/types';
import type { Sql } from '../sql';
import { newContact } from './directory';

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

/** A sender's identity, with the events of what resolving it did to contacts (created, completed). */
export interface ResolvedSender {
  identity: ChannelIdentity;
  happened: DomainEvent[];
}

/**
 * Fills in the contact's name, email and phone where they are still empty, never overwriting what is
 * known. `known`: what the contact holds, read already; no statement runs when nothing is missing. The
 * UPDATE answers the row it changed, so the `contact.updated` event costs no statement of its own.
 */
async function fillMissing(sql: Sql, contactId: string, details: Details, now: Date, known: Details): Promise<DomainEvent[]> {
  const fields = (Object.keys(details) as (keyof Details)[]).filter((field) => known[field] === null);
  if (fields.length === 0) return [];
  const [row] = await sql.rows<Record<string, unknown>>(
    `UPDATE contacts SET ${fields.map((f) => `"${f}" = COALESCE("${f}", ?)`).join(', ')}, "updatedAt" = ? WHERE id = ? AND (${fields.map((f) => `"${f}" IS NULL`).join(' OR ')}) RETURNING ${returningList('c', 'Contact')}`,
    [...fields.map((f) => details[f]), sql.date(now), contactId],
  );
  return row ? [events.contactUpdated(entityOf(sql, row, 'c', 'Contact'), fields, now)] : [];
}

/** The identity behind a sender the hub knows (see senderLookup), its contact completed with what the sender tells. */
export async function knownSender(sql: Sql, channel: ChannelName, sender: Sender, found: KnownIdentity, now: Date): Promise<ResolvedSender> {
  const happened = await fillMissing(sql, found.contactId, detailsOf(sender), now, { name: found.name, email: found.email, phone: found.phone });
  const identity: ChannelIdentity = {
    id: found.id,
    contactId: found.contactId,
    channel,
    address: sender.address,
    optedOutAt: sql.readDate(found.optedOutAt),
    createdAt: sql.readDate(found.createdAt) ?? now,
  };
  return { identity, happened };
}

/**
 * Creates the identity of an address the hub has not seen, with its contact. A new address is attached
 * to an existing contact with the same email or phone, so one person writing from several channels stays
 * one contact.
 */
export async function newSender(sql: Sql, channel: ChannelName, sender: Sender, now: Date): Promise<ResolvedSender> {
  const details = detailsOf(sender);
  const existing = await contactWithEmailOrPhone(sql, sender);
  let contactId: string;
  let happened: DomainEvent[];
  if (existing) {
    contactId = existing.id;
    happened = await fillMissing(sql, existing.id, details, now, existing);
  } else {
    const contact = newContact(now, details);
    contactId = contact.id;
    happened = [events.contactCreated(contact, now)];
    await sql.runAll([insertOf(sql, 'Contact', contact)]);
  }
  const identity: ChannelIdentity = { id: newId(), contactId, channel, address: sender.address, optedOutAt: null, createdAt: now };
  // A concurrent first message from the same address makes this insert fail; ingest retries and then
  // finds the identity the other transaction created.
  await sql.runAll([insertOf(sql, 'ChannelIdentity', identity)]);
  return { identity, happened };
}

type ContactDetails = { id: string } & Required<Details>;

/** The oldest contact with the sender's email, else with their phone, with what it knows. */
async function contactWithEmailOrPhone(sql: Sql, sender: Sender): Promise<ContactDetails | undefined> {
  for (const [column, value] of [
    ['email', sender.email],
    ['phone', sender.phone],
  ] as const) {
    if (!value) continue;
    const [found] = await sql.rows<ContactDetails>(`SELECT id, name, email, phone FROM contacts WHERE "${column}" = ? ORDER BY "createdAt" ASC LIMIT 1`, [value]);
    if (found) return found;
  }
  return undefined;
}

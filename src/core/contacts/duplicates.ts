import { In, Like, Not, type EntityManager } from 'typeorm';
import type { ChannelCatalog } from '../channels/catalog';
import type { Database } from '../database';
import { repo } from '../model/schemas';
import type { ChannelIdentity, Contact } from '../model/types';
import { contactViews, type ContactView } from './external-ids';
import { findContact } from './directory';

/** Why another contact looks like the same person. */
export interface DuplicateSuggestion {
  contact: ContactView;
  reason: 'email' | 'phone';
  /** The email address or phone number both share. */
  value: string;
  /** The identity that proves the address (either contact's): the customer wrote from it, or signed in with it. */
  identity: { id: string; contactId: string; channel: string; address: string };
}

/** Where a verified address came from: a contact's identity. */
interface Proof {
  reason: 'email' | 'phone';
  value: string;
  identity: ChannelIdentity;
}

/**
 * Other contacts that are likely the same person, on an address proven on at least one side: a phone an
 * SMS-like channel's customer wrote from, an email an email-like channel's customer wrote from, or the
 * email of a contact signed in through the widget with a valid hash. A phone proven on one side matches
 * the other's phone as stored; an email must be proven on both sides, since an email typed into the widget
 * (unverified) must never pull a visitor into someone else's contact.
 */
export async function findDuplicates(deps: { db: Database; catalog: ChannelCatalog }, contactId: string): Promise<DuplicateSuggestion[]> {
  const { db, catalog } = deps;
  const manager = db.manager;
  const contact = await findContact(db, contactId);
  const phoneChannels = catalog.channelsWithAddresses('phone');
  const emailChannels = catalog.channelsWithAddresses('email');
  const own = await proofsOf(manager, [contact], phoneChannels, emailChannels);
  const found: { contactId: string; proof: Proof }[] = [];

  const identities = repo(manager, 'ChannelIdentity');
  const other = Not(contactId);
  const phones = own.filter((p) => p.reason === 'phone').map((p) => p.value);
  if (phones.length > 0) {
    const stored = await repo(manager, 'Contact').find({ where: { phone: In(phones), id: other }, select: { id: true, phone: true } });
    for (const match of stored) {
      const proof = own.find((p) => p.reason === 'phone' && p.value === match.phone);
      if (proof) found.push({ contactId: match.id, proof });
    }
  }
  // The contact's own stored phone, proven by another contact's identity.
  if (contact.phone && phoneChannels.length > 0) {
    for (const identity of await identities.findBy({ channel: In(phoneChannels), address: contact.phone, contactId: other })) {
      found.push({ contactId: identity.contactId, proof: { reason: 'phone', value: contact.phone, identity } });
    }
  }
  const emails = [...new Set(own.filter((p) => p.reason === 'email').map((p) => p.value))];
  if (emails.length > 0) {
    const candidates = [
      ...(emailChannels.length > 0 ? await identities.findBy({ channel: In(emailChannels), address: In(emails), contactId: other }) : []).map((identity) => identity.contactId),
      ...(await repo(manager, 'Contact').find({ where: { email: In(emails), id: other }, select: { id: true } })).map((c) => c.id),
      ...(await claimedInAttributes(manager, emails, contactId)),
    ];
    const others = candidates.length > 0 ? await repo(manager, 'Contact').findBy({ id: In([...new Set(candidates)]) }) : [];
    const theirs = await proofsOf(manager, others, phoneChannels, emailChannels);
    for (const proof of theirs) {
      if (proof.reason !== 'email' || !emails.includes(proof.value)) continue;
      found.push({ contactId: proof.identity.contactId, proof: own.find((p) => p.reason === 'email' && p.value === proof.value) ?? proof });
    }
  }

  const firstOf = new Map<string, Proof>();
  for (const { contactId: id, proof } of found) if (!firstOf.has(id)) firstOf.set(id, proof);
  const contacts = firstOf.size > 0 ? await repo(manager, 'Contact').findBy({ id: In([...firstOf.keys()]) }) : [];
  const views = await contactViews(manager, contacts);
  return views.flatMap((view) => {
    const proof = firstOf.get(view.id);
    if (!proof) return [];
    const { id, contactId: owner, channel, address } = proof.identity;
    return [{ contact: view, reason: proof.reason, value: proof.value, identity: { id, contactId: owner, channel, address } }];
  });
}

/** The addresses proven for each contact, with the identity that proves each. */
async function proofsOf(manager: EntityManager, contacts: readonly Contact[], phoneChannels: readonly string[], emailChannels: readonly string[]): Promise<Proof[]> {
  if (contacts.length === 0) return [];
  const ids = contacts.map((c) => c.id);
  const identities = repo(manager, 'ChannelIdentity');
  const written = phoneChannels.length + emailChannels.length > 0 ? await identities.findBy({ contactId: In(ids), channel: In([...phoneChannels, ...emailChannels]) }) : [];
  const proofs: Proof[] = written.map((identity) => ({ reason: phoneChannels.includes(identity.channel) ? 'phone' : 'email', value: identity.address, identity }));
  // A widget user's identity: the site's backend vouched for the user with the hash (see visitors/identify.ts),
  // so the email they gave is theirs, also when another contact had it (kept as attributes.unverifiedEmail).
  const signedIn = await identities.findBy({ contactId: In(ids), address: Like('user:%') });
  for (const identity of signedIn) {
    const contact = contacts.find((c) => c.id === identity.contactId);
    const given = contact?.attributes.unverifiedEmail;
    for (const email of new Set([contact?.email, typeof given === 'string' ? given : null])) {
      if (email) proofs.push({ reason: 'email', value: email, identity });
    }
  }
  return proofs;
}

/** Contacts that were given one of the emails while another contact had it (see visitors/profile.ts). */
async function claimedInAttributes(manager: EntityManager, emails: readonly string[], except: string): Promise<string[]> {
  const claims = Object.fromEntries(emails.map((email, i) => [`claim${i}`, `%"unverifiedEmail":${JSON.stringify(email)}%`]));
  const rows = await repo(manager, 'Contact')
    .createQueryBuilder('ct')
    .select('ct.id', 'id')
    .where(Object.keys(claims).map((name) => `ct.attributes LIKE :${name}`).join(' OR '), claims)
    .getRawMany<{ id: string }>();
  return rows.map((row) => row.id).filter((id) => id !== except);
}

import type { Database } from '../database';
import { events } from '../events';
import { newId } from '../ids';
import { insertRows, repo } from '../model/schemas';
import type { ChannelIdentity, ChannelName, Conversation, Website } from '../model/types';
import { eventsOutboxRow, type Outbox } from '../outbox';
import type { VisitorScope } from './scope';
import { newContact } from '../contacts/directory';

/** A widget visitor as a request knows them once their token checked out. */
export interface Visitor {
  website: Website;
  /** The browser's own identity: on the visitors' channel, address = the visitor id. */
  identity: ChannelIdentity;
  /** The site's own id of the user, once `identify` verified it. */
  userId: string | null;
  /** Who the visitor is: the user's contact once verified, else the browser's own. */
  contactId: string;
  scope: VisitorScope;
  /**
   * The identity the visitor's messages come from: the user's once verified (so that a user's devices
   * continue one conversation), else the browser's.
   */
  sender: ChannelIdentity;
}

/** The address of a verified user's identity: per website, since two sites' user ids are unrelated. */
export function userAddress(websiteId: string, userId: string): string {
  return `user:${websiteId}:${userId}`;
}

/** A new anonymous visitor on `channel`: a browser identity with a contact of its own, which knows nothing yet. */
export async function createVisitor(deps: { outbox: Outbox }, channel: ChannelName): Promise<ChannelIdentity> {
  const now = new Date();
  const contact = newContact(now);
  const identity: ChannelIdentity = { id: newId(), contactId: contact.id, channel, address: newId(), optedOutAt: null, createdAt: now };
  await deps.outbox.runUnit(async ({ manager, write }) => {
    await insertRows(manager, 'Contact', contact);
    await insertRows(manager, 'ChannelIdentity', identity);
    await write([eventsOutboxRow([events.contactCreated(contact, now)], now)]);
  }, { key: `contact:${contact.id}` });
  return identity;
}

/**
 * The visitor a token names, or null when its identities are gone (the contact was deleted) or it names
 * something that is no browser identity on `channel`.
 */
export async function loadVisitor(db: Database, channel: ChannelName, website: Website, claims: { identityId: string; userId: string | null }): Promise<Visitor | null> {
  const identities = repo(db.manager, 'ChannelIdentity');
  const identity = await identities.findOneBy({ id: claims.identityId, channel });
  if (!identity || identity.address.startsWith('user:')) return null;
  if (claims.userId === null) {
    return { website, identity, userId: null, contactId: identity.contactId, scope: { channel, websiteId: website.id, kind: 'visitor', identityId: identity.id }, sender: identity };
  }
  const user = await identities.findOneBy({ channel, address: userAddress(website.id, claims.userId) });
  if (!user) return null;
  return { website, identity, userId: claims.userId, contactId: user.contactId, scope: { channel, websiteId: website.id, kind: 'user', contactId: user.contactId }, sender: user };
}

/**
 * The conversation the visitor's next message goes to, while it is not resolved (the rule of ingest's
 * findOrOpenConversation): where their typing and page views belong.
 */
export async function openConversationOf(db: Database, visitor: Visitor): Promise<Conversation | null> {
  const latest = await repo(db.manager, 'Conversation').findOne({
    where: { identityId: visitor.sender.id, channelAddress: visitor.website.id },
    order: { createdAt: 'DESC' },
  });
  return latest && latest.status !== 'resolved' ? latest : null;
}

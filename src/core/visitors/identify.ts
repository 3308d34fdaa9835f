import { createHmac, timingSafeEqual } from 'node:crypto';
import { In, Like, type EntityManager } from 'typeorm';
import { actorOfContact } from '../actor';
import { recordAudit } from '../audit';
import { newContact } from '../contacts/directory';
import type { Database } from '../database';
import { IdentityNotVerifiedError } from '../errors';
import { events, type DomainEvent } from '../events';
import { newId } from '../ids';
import { insertRows, repo } from '../model/schemas';
import type { ChannelIdentity, ChannelName, Contact, Conversation } from '../model/types';
import { eventsOutboxRow, type Outbox } from '../outbox';
import { Sql } from '../sql';
import { retryOnUniqueViolation } from '../unique';
import { applyVisitorProfile, saveVisitorProfile, type VisitorProfile } from './profile';
import { userAddress, type Visitor } from './visitors';

export interface IdentifyInput extends VisitorProfile {
  /** The site's own id of its logged-in user. */
  userId: string;
  /** Hex HMAC-SHA256 of `userId`, keyed with the website's identity secret, computed by the site's backend. */
  hash?: string;
}

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/** What the site's backend computes for `identify`: hex HMAC-SHA256 of the user id, keyed with the identity secret as written. */
export function identityHash(identitySecret: string, userId: string): string {
  return createHmac('sha256', identitySecret).update(userId).digest('hex');
}

export function isValidIdentityHash(identitySecret: string, userId: string, hash: string): boolean {
  if (!HEX_SHA256.test(hash)) return false;
  return timingSafeEqual(Buffer.from(hash, 'hex'), Buffer.from(identityHash(identitySecret, userId), 'hex'));
}

/**
 * The widget's `identify`. With a valid hash the visitor becomes the site's user: their browser identity
 * and its conversations join the user's contact (made on first sight), so every device of the user shares
 * one history. Without a hash, where the website allows that, the name and email only describe the
 * visitor's own contact and grant nothing. A bad hash, or none where one is required, changes nothing.
 * Returns the user id the visitor's next token carries.
 */
export async function identifyVisitor(deps: { db: Database; outbox: Outbox }, visitor: Visitor, input: IdentifyInput): Promise<{ userId: string | null }> {
  const profile = { name: input.name, email: input.email };
  if (input.hash === undefined) {
    if (visitor.website.requireVerifiedIdentity) throw new IdentityNotVerifiedError('This website accepts only verified users: identify needs the hash of the user id.');
    await saveVisitorProfile(deps, visitor.contactId, profile);
    return { userId: visitor.userId };
  }
  if (!isValidIdentityHash(visitor.website.identitySecret, input.userId, input.hash)) {
    throw new IdentityNotVerifiedError("The hash does not match the user id: compute it on your server with the website's identity secret.");
  }
  // Two devices of a new user identifying at once both try to create the user's identity; the loser's retry joins it.
  await retryOnUniqueViolation(() => joinUser(deps, visitor, input.userId, profile));
  return { userId: input.userId };
}

interface IdentityRow {
  id: string;
  contactId: string;
}

async function joinUser({ db, outbox }: { db: Database; outbox: Outbox }, visitor: Visitor, userId: string, profile: VisitorProfile): Promise<void> {
  await outbox.runUnit(async ({ manager, write }) => {
    const sql = new Sql(manager, db.engine);
    const lock = db.engine === 'postgres' ? ' FOR UPDATE' : '';
    // The browser's identity first, then the user's: every identify takes the locks in this order.
    const [browser] = await sql.rows<IdentityRow>(`SELECT id, "contactId" FROM channel_identities WHERE id = ?${lock}`, [visitor.identity.id]);
    if (!browser) throw new Error(`visitor identity ${visitor.identity.id} vanished`);
    const { channel } = visitor.identity;
    const address = userAddress(visitor.website.id, userId);
    const [user] = await sql.rows<IdentityRow>(`SELECT id, "contactId" FROM channel_identities WHERE channel = ? AND address = ?${lock}`, [channel, address]);
    const now = new Date();
    const happened: DomainEvent[] = [];

    let target = user?.contactId;
    if (target === undefined) {
      // The browser's contact becomes the user's, unless it is already another user's (a shared computer).
      if (await isSomeUsersContact(manager, channel, browser.contactId)) {
        const created = await createContact(manager, now);
        happened.push(events.contactCreated(created, now));
        target = created.id;
      } else target = browser.contactId;
      const identity: ChannelIdentity = { id: newId(), contactId: target, channel, address, optedOutAt: null, createdAt: now };
      await insertRows(manager, 'ChannelIdentity', identity);
      await recordAudit(manager, actorOfContact(target), { action: 'visitor.identified', entityType: 'channel_identity', entityId: identity.id, after: { websiteId: visitor.website.id, userId } });
    }
    const moved = target === browser.contactId ? { happened: [] } : await moveBrowser(manager, browser, target, now);
    happened.push(...moved.happened, ...(await applyVisitorProfile(manager, target, profile)));
    await write(happened.length > 0 ? [eventsOutboxRow(happened, now)] : []);
  });
}

async function isSomeUsersContact(manager: EntityManager, channel: ChannelName, contactId: string): Promise<boolean> {
  return repo(manager, 'ChannelIdentity').existsBy({ contactId, channel, address: Like('user:%') });
}

async function createContact(manager: EntityManager, now: Date): Promise<Contact> {
  const contact = newContact(now);
  await insertRows(manager, 'Contact', contact);
  return contact;
}

/**
 * Moves a browser identity and its conversations (with their messages' sender and ratings) to the user's
 * contact, audited as `contact.merged`. The contact left behind is deleted once nothing refers to it,
 * its page views and name going to the user's contact first. Returns the outbox rows of the
 * `conversation.updated` events (so that agents' views and the user's other devices follow) and the
 * `contact.updated` event of what the user's contact took from the one left behind.
 */
async function moveBrowser(manager: EntityManager, browser: IdentityRow, target: string, now: Date): Promise<{ happened: DomainEvent[] }> {
  const from = browser.contactId;
  const conversations = repo(manager, 'Conversation');
  const moved = await conversations.findBy({ identityId: browser.id });
  const ids = moved.map((c) => c.id);
  await repo(manager, 'ChannelIdentity').update({ id: browser.id }, { contactId: target });
  if (ids.length > 0) {
    await conversations.update({ id: In(ids) }, { contactId: target, updatedAt: now });
    await repo(manager, 'Message').update({ conversationId: In(ids), senderKind: 'contact', senderId: from }, { senderId: target });
    await repo(manager, 'Rating').update({ conversationId: In(ids) }, { contactId: target });
  }

  const leftBehind = (await repo(manager, 'ChannelIdentity').existsBy({ contactId: from })) || (await conversations.existsBy({ contactId: from }));
  const happened: DomainEvent[] = [];
  if (!leftBehind) {
    await repo(manager, 'PageView').update({ contactId: from }, { contactId: target });
    const old = await repo(manager, 'Contact').findOneByOrFail({ id: from });
    await repo(manager, 'Contact').delete({ id: from });
    // What the visitor said about themselves before logging in still describes them, by the same rules.
    happened.push(...(await applyVisitorProfile(manager, target, { name: old.name ?? undefined, email: old.email ?? undefined })));
  }
  await recordAudit(manager, actorOfContact(target), {
    action: 'contact.merged',
    entityType: 'contact',
    entityId: target,
    before: { contactId: from },
    after: { contactId: target, identityId: browser.id, conversationIds: ids, removedContact: leftBehind ? null : from },
  });
  const updated: Conversation[] = moved.map((c) => ({ ...c, contactId: target, updatedAt: now }));
  return { happened: [...updated.map((c) => events.conversationUpdated(c, ['contactId'], now)), ...happened] };
}

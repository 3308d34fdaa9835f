import { randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Actor } from '../actor';
import { requireTeams } from '../agents/teams';
import { recordAudit, valuesBefore } from '../audit';
import type { Database } from '../database';
import { NotFoundError } from '../errors';
import { newId } from '../ids';
import { insertRows, repo, updateRow } from '../model/schemas';
import type { AfterResolveSettings, ChannelName, Conversation, Website, WebsiteLocale, WebsitePosition } from '../model/types';
import { toJson, type Json } from '../serialize';

/** The launcher's colour when none is given: white text on it passes WCAG AA. */
export const DEFAULT_WEBSITE_COLOR = '#2563eb';

/** A website's settings; `allowedOrigins` are already normalized (see normalizeAllowedOrigin). */
export interface WebsiteInput extends Partial<AfterResolveSettings> {
  name: string;
  allowedOrigins: string[];
  color?: string;
  greeting?: string | null;
  awayMessage?: string | null;
  position?: WebsitePosition;
  locale?: WebsiteLocale | null;
  teamId?: string | null;
  requireVerifiedIdentity?: boolean;
  preChatForm?: boolean;
  recordPageViews?: boolean;
  keepQueryStrings?: boolean;
}

export type WebsitePatch = Partial<WebsiteInput>;

/** `wk_` and 24 URL-safe characters (144 random bits): public, but not guessable. */
function newWebsiteKey(): string {
  return `wk_${randomBytes(18).toString('base64url')}`;
}

/** 32 random bytes, hex: the key of the HMAC-SHA256 that signs visitors' user ids. */
function newIdentitySecret(): string {
  return randomBytes(32).toString('hex');
}

/** What the audit log may keep of a website: everything but its identity secret. */
function audited(website: Partial<Website>): Record<string, unknown> {
  const { identitySecret: _secret, createdAt: _created, updatedAt: _updated, ...rest } = website;
  return rest;
}

/** The tag that installs a website's widget on its pages. */
export function widgetSnippet(publicUrl: string, key: string): string {
  return `<script src="${publicUrl}/widget.js" data-website="${key}" async></script>`;
}

export async function findWebsiteByKey(db: Database, key: string): Promise<Website | null> {
  return repo(db.manager, 'Website').findOneBy({ key });
}

export async function listWebsites(db: Database): Promise<Json<Website>[]> {
  return (await repo(db.manager, 'Website').find({ order: { name: 'ASC', id: 'ASC' } })).map(toJson);
}

async function findWebsite(manager: EntityManager, id: string): Promise<Website> {
  const website = await repo(manager, 'Website').findOneBy({ id });
  if (!website) throw new NotFoundError(`Website ${id}`);
  return website;
}

export async function getWebsite(db: Database, id: string): Promise<Json<Website>> {
  return toJson(await findWebsite(db.manager, id));
}

/**
 * The website's inbox on `channel` (the channel its visitors write on), at the website's id: it gives
 * the website's conversations its team the way a phone number's inbox does (see findOrOpenConversation), kept in step
 * with the website in the same transaction.
 */
async function syncInbox(manager: EntityManager, channel: ChannelName, website: Website): Promise<void> {
  const inboxes = repo(manager, 'Inbox');
  const changes = { name: website.name, teamId: website.teamId, updatedAt: website.updatedAt };
  const { affected } = await inboxes.update({ channel, address: website.id }, changes);
  if (!affected) await insertRows(manager, 'Inbox', { id: newId(), channel, address: website.id, createdAt: website.updatedAt, ...changes });
}

/**
 * The website a conversation came in on, if any: its business address is the website's id, at the
 * website's inbox on the conversation's channel.
 */
export async function websiteOfConversation(db: Database, conversation: Pick<Conversation, 'channel' | 'channelAddress'>): Promise<string | null> {
  const { channel, channelAddress } = conversation;
  if (channelAddress === null) return null;
  const query = repo(db.manager, 'Website').createQueryBuilder('w').innerJoin('Inbox', 'i', 'i.address = w.id');
  const found = await query.where('w.id = :channelAddress AND i.channel = :channel', { channelAddress, channel }).getExists();
  return found ? channelAddress : null;
}

/**
 * Creates a website with a new random key (or `key`, for the demo's fixed one) and identity secret;
 * its visitors write on `channel`.
 */
export async function createWebsite(db: Database, channel: ChannelName, input: WebsiteInput, actor: Actor, key = newWebsiteKey()): Promise<Json<Website>> {
  const now = new Date();
  const website: Website = {
    id: newId(),
    key,
    name: input.name,
    allowedOrigins: [...new Set(input.allowedOrigins)],
    color: input.color ?? DEFAULT_WEBSITE_COLOR,
    greeting: input.greeting ?? null,
    awayMessage: input.awayMessage ?? null,
    position: input.position ?? 'right',
    locale: input.locale ?? null,
    teamId: input.teamId ?? null,
    identitySecret: newIdentitySecret(),
    requireVerifiedIdentity: input.requireVerifiedIdentity ?? false,
    preChatForm: input.preChatForm ?? false,
    recordPageViews: input.recordPageViews ?? true,
    keepQueryStrings: input.keepQueryStrings ?? false,
    followUpDelayHours: input.followUpDelayHours ?? null,
    transcriptOnResolve: input.transcriptOnResolve ?? null,
    createdAt: now,
    updatedAt: now,
  };
  // No conflict for a taken key: a random key does not collide, and the demo's fixed one is retried by its caller.
  await db.transaction(async (manager) => {
    if (website.teamId) await requireTeams(manager, [{ path: 'teamId', id: website.teamId }]);
    await insertRows(manager, 'Website', website);
    await syncInbox(manager, channel, website);
    await recordAudit(manager, actor, { action: 'website.created', entityType: 'website', entityId: website.id, after: audited(website) });
  });
  return toJson(website);
}

export async function updateWebsite(db: Database, channel: ChannelName, id: string, patch: WebsitePatch, actor: Actor): Promise<Json<Website>> {
  const changes: WebsitePatch = patch.allowedOrigins ? { ...patch, allowedOrigins: [...new Set(patch.allowedOrigins)] } : { ...patch };
  return db.transaction(async (manager) => {
    const website = await findWebsite(manager, id);
    if (changes.teamId) await requireTeams(manager, [{ path: 'teamId', id: changes.teamId }]);
    const updated: Website = { ...website, ...changes, updatedAt: new Date() };
    await updateRow(manager, 'Website', id, { ...changes, updatedAt: updated.updatedAt });
    if (changes.teamId !== undefined || changes.name !== undefined) await syncInbox(manager, channel, updated);
    await recordAudit(manager, actor, { action: 'website.updated', entityType: 'website', entityId: id, before: valuesBefore(website, changes), after: { ...changes } });
    return toJson(updated);
  });
}

/** A new identity secret: hashes signed with the old one are refused from now on. */
export async function rotateIdentitySecret(db: Database, id: string, actor: Actor): Promise<Json<Website>> {
  return db.transaction(async (manager) => {
    const website = await findWebsite(manager, id);
    const updated: Website = { ...website, identitySecret: newIdentitySecret(), updatedAt: new Date() };
    await updateRow(manager, 'Website', id, { identitySecret: updated.identitySecret, updatedAt: updated.updatedAt });
    await recordAudit(manager, actor, { action: 'website.secret_rotated', entityType: 'website', entityId: id });
    return toJson(updated);
  });
}

/** Deletes a website and its inbox; its page views go with it (foreign key cascade), its conversations stay. */
export async function deleteWebsite(db: Database, channel: ChannelName, id: string, actor: Actor): Promise<void> {
  await db.transaction(async (manager) => {
    const website = await findWebsite(manager, id);
    await repo(manager, 'Inbox').delete({ channel, address: id });
    await repo(manager, 'Website').delete({ id });
    await recordAudit(manager, actor, { action: 'website.deleted', entityType: 'website', entityId: id, before: audited(website) });
  });
}

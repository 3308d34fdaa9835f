import { randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Actor } from '../../../core/actor';
import { recordAudit, valuesBefore } from '../../../core/audit';
import type { Database } from '../../../core/database';
import { NotFoundError } from '../../../core/errors';
import { newId } from '../../../core/ids';
import { insertRows, lockRow, repo, updateRow } from '../../../core/model/schemas';
import type { WebhookEndpoint } from '../../../core/model/types';
import { decodeCursor, pageOf, pastPosition, type Page } from '../../../core/pagination';
import { toJson, type Json } from '../../../core/serialize';
import { checkWebhookUrl } from './ssrf';

/** What the endpoint API needs besides the database: the settings that shape what it accepts. */
export interface EndpointSettings {
  allowPrivateUrls: boolean;
  secretOverlapHours: number;
}

export interface EndpointInput {
  url: string;
  events: string[];
  description?: string | null;
}

export interface EndpointPatch {
  url?: string;
  events?: string[];
  enabled?: boolean;
  description?: string | null;
}

/** An endpoint as the API shows it: never a secret. */
export type EndpointView = Omit<Json<WebhookEndpoint>, 'secret' | 'previousSecret'>;

/** An endpoint with its signing secret: answered at creation and rotation only. */
export type EndpointWithSecret = EndpointView & { secret: string };

/** A Standard Webhooks secret: `whsec_` and the base64 of 24 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

export function endpointView(endpoint: WebhookEndpoint): EndpointView {
  const { secret: _secret, previousSecret: _previous, ...shown } = toJson(endpoint);
  return shown;
}

/** What the audit log keeps of an endpoint: its settings, never its secrets. */
function audited(endpoint: Pick<WebhookEndpoint, 'url' | 'events' | 'description' | 'enabled'>): Record<string, unknown> {
  return { url: endpoint.url, events: endpoint.events, description: endpoint.description, enabled: endpoint.enabled };
}

/** The URL as it is stored and called, after the SSRF guard let it through. */
async function checkedUrl(url: string, settings: EndpointSettings): Promise<string> {
  const parsed = new URL(url);
  await checkWebhookUrl(parsed, settings.allowPrivateUrls);
  return parsed.href;
}

/** Loads an endpoint for change: locked on PostgreSQL, so that two rotations take turns. */
async function endpointForChange(manager: EntityManager, db: Database, id: string): Promise<WebhookEndpoint> {
  const endpoint = await lockRow(manager, db.engine, 'WebhookEndpoint', id);
  if (!endpoint) throw new NotFoundError(`Webhook ${id}`);
  return endpoint;
}

export async function findEndpoint(manager: EntityManager, id: string): Promise<WebhookEndpoint> {
  const endpoint = await repo(manager, 'WebhookEndpoint').findOneBy({ id });
  if (!endpoint) throw new NotFoundError(`Webhook ${id}`);
  return endpoint;
}

/** A new endpoint's row: on, with a fresh secret, failing never. */
export function newEndpoint(fields: Pick<WebhookEndpoint, 'url' | 'events' | 'description'> & Partial<WebhookEndpoint>, now: Date): WebhookEndpoint {
  return {
    id: newId(),
    enabled: true,
    secret: newWebhookSecret(),
    previousSecret: null,
    previousSecretExpiresAt: null,
    failingSince: null,
    disabledAt: null,
    disabledReason: null,
    createdAt: now,
    updatedAt: now,
    ...fields,
  };
}

export async function createEndpoint(db: Database, settings: EndpointSettings, input: EndpointInput, actor: Actor): Promise<EndpointWithSecret> {
  // Resolved before the transaction: a slow DNS answer must not hold the database.
  const url = await checkedUrl(input.url, settings);
  const endpoint = newEndpoint({ url, events: input.events, description: input.description ?? null }, new Date());
  await db.transaction(async (manager) => {
    await insertRows(manager, 'WebhookEndpoint', endpoint);
    await recordAudit(manager, actor, { action: 'webhook.created', entityType: 'webhook', entityId: endpoint.id, after: audited(endpoint) });
  });
  return { ...endpointView(endpoint), secret: endpoint.secret };
}

/** The endpoints, newest first. */
export async function listEndpoints(db: Database, filter: { limit: number; cursor?: string }): Promise<Page<EndpointView>> {
  const query = repo(db.manager, 'WebhookEndpoint').createQueryBuilder('e');
  if (filter.cursor) query.andWhere(pastPosition('e', 'createdAt', decodeCursor(filter.cursor), '<'));
  const rows = await query.orderBy('e.createdAt', 'DESC').addOrderBy('e.id', 'DESC').limit(filter.limit + 1).getMany();
  return pageOf(rows, filter.limit, (e) => ({ at: e.createdAt, id: e.id }), (items) => items.map(endpointView));
}

export async function getEndpoint(db: Database, id: string): Promise<EndpointView> {
  return endpointView(await findEndpoint(db.manager, id));
}

/** The columns a patch changes. Turning an endpoint on clears what the hub recorded when it turned it off. */
function changesOf(endpoint: WebhookEndpoint, patch: EndpointPatch, url: string | undefined, now: Date): Partial<WebhookEndpoint> {
  const changes: Partial<WebhookEndpoint> = {};
  if (url !== undefined) changes.url = url;
  if (patch.events !== undefined) changes.events = patch.events;
  if (patch.description !== undefined) changes.description = patch.description;
  if (patch.enabled === true && !endpoint.enabled) Object.assign(changes, { enabled: true, disabledAt: null, disabledReason: null, failingSince: null });
  if (patch.enabled === false && endpoint.enabled) Object.assign(changes, { enabled: false, disabledAt: now, disabledReason: null });
  return changes;
}

export async function updateEndpoint(db: Database, settings: EndpointSettings, id: string, patch: EndpointPatch, actor: Actor): Promise<EndpointView> {
  // An unknown endpoint is 404 before its new URL is looked up.
  await findEndpoint(db.manager, id);
  const url = patch.url === undefined ? undefined : await checkedUrl(patch.url, settings);
  return db.transaction(async (manager) => {
    const endpoint = await endpointForChange(manager, db, id);
    const now = new Date();
    const changes = changesOf(endpoint, patch, url, now);
    if (Object.keys(changes).length === 0) return endpointView(endpoint);
    const updated: WebhookEndpoint = { ...endpoint, ...changes, updatedAt: now };
    await updateRow(manager, 'WebhookEndpoint', id, { ...changes, updatedAt: now });
    await recordAudit(manager, actor, { action: 'webhook.updated', entityType: 'webhook', entityId: id, before: valuesBefore(endpoint, changes), after: toJson(changes) });
    return endpointView(updated);
  });
}

/** Deletes an endpoint; its deliveries go with it (foreign key cascade), and their pending tries find nothing to send. */
export async function deleteEndpoint(db: Database, id: string, actor: Actor): Promise<void> {
  await db.transaction(async (manager) => {
    const endpoint = await endpointForChange(manager, db, id);
    await repo(manager, 'WebhookEndpoint').delete({ id });
    await recordAudit(manager, actor, { action: 'webhook.deleted', entityType: 'webhook', entityId: id, before: audited(endpoint) });
  });
}

/**
 * A new signing secret. The one it replaces keeps signing beside it for the overlap, so that receivers
 * can switch without losing a delivery; a second rotation within the overlap drops the oldest secret,
 * keeping only the one it replaces.
 */
export async function rotateSecret(db: Database, settings: EndpointSettings, id: string, actor: Actor): Promise<EndpointWithSecret> {
  return db.transaction(async (manager) => {
    const endpoint = await endpointForChange(manager, db, id);
    const now = new Date();
    const overlapMs = settings.secretOverlapHours * 3600_000;
    const changes: Partial<WebhookEndpoint> = {
      secret: newWebhookSecret(),
      previousSecret: overlapMs > 0 ? endpoint.secret : null,
      previousSecretExpiresAt: overlapMs > 0 ? new Date(now.getTime() + overlapMs) : null,
      updatedAt: now,
    };
    const updated: WebhookEndpoint = { ...endpoint, ...changes };
    await updateRow(manager, 'WebhookEndpoint', id, changes);
    await recordAudit(manager, actor, { action: 'webhook.secret_rotated', entityType: 'webhook', entityId: id, after: { previousSecretExpiresAt: toJson(updated).previousSecretExpiresAt } });
    return { ...endpointView(updated), secret: updated.secret };
  });
}

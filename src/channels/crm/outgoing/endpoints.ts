import type { Logger } from 'pino';
import type { Database } from '../../../core/database';
import { events } from '../../../core/events';
import type { WebhookEndpoint } from '../../../core/model/types';
import { eventsOutboxRow, type Unit } from '../../../core/outbox';
import { Sql } from '../../../core/sql';

/** An endpoint's state as deliveries change it: failing since when, disabled by the hub. */

export function wants(endpoint: Pick<WebhookEndpoint, 'events'>, type: string): boolean {
  return endpoint.events.includes('*') || endpoint.events.includes(type);
}

/** The event types the enabled endpoints want, together (`*` among them when one wants all). */
export async function wantedTypes(db: Database): Promise<Set<string>> {
  const sql = new Sql(db.manager, db.engine);
  const rows = await sql.rows<{ events: string }>(`SELECT events FROM webhook_endpoints WHERE enabled = ?`, [sql.bool(true)]);
  return new Set(rows.flatMap((row) => JSON.parse(row.events) as string[]));
}

export async function subscribedEndpoints(unit: Unit, db: Database, type: string): Promise<Pick<WebhookEndpoint, 'id' | 'events'>[]> {
  const sql = new Sql(unit.manager, db.engine);
  const enabled = await sql.rows<{ id: string; events: string }>(`SELECT id, events FROM webhook_endpoints WHERE enabled = ?`, [sql.bool(true)]);
  return enabled.map((row) => ({ id: row.id, events: JSON.parse(row.events) as string[] })).filter((endpoint) => wants(endpoint, type));
}

/**
 * Turns an endpoint off for `reason`, if it is still on, and tells admins in the same unit: a
 * `webhook.disabled` event (the event stream; Slack when it is on). True when this call disabled it.
 */
export async function disableEndpoint(unit: Unit, db: Database, endpoint: WebhookEndpoint, reason: string, now: Date, logger: Logger): Promise<boolean> {
  const sql = new Sql(unit.manager, db.engine);
  const rows = await sql.rows(`UPDATE webhook_endpoints SET enabled = ?, "disabledAt" = ?, "disabledReason" = ?, "updatedAt" = ? WHERE id = ? AND enabled = ? RETURNING id`, [
    sql.bool(false),
    sql.date(now),
    reason,
    sql.date(now),
    endpoint.id,
    sql.bool(true),
  ]);
  if (rows.length === 0) return false;
  const ref = { id: endpoint.id, url: endpoint.url, description: endpoint.description };
  await unit.write([eventsOutboxRow([events.webhookDisabled(ref, reason, now)], now)]);
  logger.warn({ endpointId: endpoint.id, reason }, 'webhook endpoint disabled');
  return true;
}

/** A success: the endpoint is no longer failing. */
export async function noteSuccess(unit: Unit, db: Database, endpoint: WebhookEndpoint, now: Date): Promise<void> {
  if (endpoint.failingSince === null) return;
  const sql = new Sql(unit.manager, db.engine);
  await sql.run(`UPDATE webhook_endpoints SET "failingSince" = NULL, "updatedAt" = ? WHERE id = ?`, [sql.date(now), endpoint.id]);
}

/** Whether the endpoint's failing period has lasted long enough that the next failure disables it. */
export function failedLongEnough(endpoint: Pick<WebhookEndpoint, 'failingSince'>, now: Date, disableAfterMs: number): boolean {
  return endpoint.failingSince !== null && now.getTime() - endpoint.failingSince.getTime() >= disableAfterMs;
}

/**
 * A failed try: the first since a success starts the failing period; one that comes when the period
 * has lasted `disableAfterMs` disables the endpoint (true then).
 */
export async function noteFailure(unit: Unit, db: Database, endpoint: WebhookEndpoint, now: Date, disableAfterMs: number, logger: Logger): Promise<boolean> {
  const sql = new Sql(unit.manager, db.engine);
  if (endpoint.failingSince === null) {
    await sql.run(`UPDATE webhook_endpoints SET "failingSince" = ?, "updatedAt" = ? WHERE id = ? AND "failingSince" IS NULL`, [sql.date(now), sql.date(now), endpoint.id]);
    return false;
  }
  if (!failedLongEnough(endpoint, now, disableAfterMs)) return false;
  const days = Math.round(disableAfterMs / 86_400_000);
  return disableEndpoint(unit, db, endpoint, `every delivery failed for ${days} day${days === 1 ? '' : 's'}`, now, logger);
}

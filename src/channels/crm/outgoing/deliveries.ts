import type { EntityManager } from 'typeorm';
import type { Database } from '../../../core/database';
import { entityOf, insertAllOf, selectList } from '../../../core/model/raw-rows';
import { repo } from '../../../core/model/schemas';
import type { WebhookAttempt, WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint } from '../../../core/model/types';
import { Sql } from '../../../core/sql';

/**
 * The statements of the delivery queue: what is to send lives in webhook_deliveries, one row per event
 * and endpoint, and each (endpoint, orderKey) is a line that goes out one delivery at a time.
 */

export type DeliveryLine = Pick<WebhookDelivery, 'id' | 'endpointId' | 'orderKey' | 'orderAt' | 'orderIndex'>;

function sqlOf(manager: EntityManager, db: Database): Sql {
  return new Sql(manager, db.engine);
}

/** Inserts deliveries, skipping those of an (endpoint, event) already there; answers the ids inserted. */
export async function insertDeliveries(manager: EntityManager, db: Database, deliveries: readonly WebhookDelivery[]): Promise<Set<string>> {
  const sql = sqlOf(manager, db);
  const insert = insertAllOf(sql, 'WebhookDelivery', deliveries);
  if (!insert) return new Set();
  const rows = await sql.rows<{ id: string }>(`${insert.text} ON CONFLICT ("endpointId", "eventId") DO NOTHING RETURNING id`, insert.params, { varies: insert.varies });
  return new Set(rows.map((row) => row.id));
}

export function findDelivery(manager: EntityManager, id: string): Promise<WebhookDelivery | null> {
  return repo(manager, 'WebhookDelivery').findOneBy({ id });
}

/** A delivery with its endpoint (undefined when the endpoint is gone), in one query: what an attempt starts from. */
export async function deliveryWithEndpoint(db: Database, id: string): Promise<{ delivery: WebhookDelivery; endpoint: WebhookEndpoint | undefined } | undefined> {
  const sql = sqlOf(db.manager, db);
  const [row] = await sql.rows<Record<string, unknown>>(
    `SELECT ${selectList('d', 'WebhookDelivery')}, ${selectList('e', 'WebhookEndpoint')} FROM webhook_deliveries d LEFT JOIN webhook_endpoints e ON e.id = d."endpointId" WHERE d.id = ?`,
    [id],
  );
  if (!row) return undefined;
  return { delivery: entityOf(sql, row, 'd', 'WebhookDelivery'), endpoint: row.e_id === null || row.e_id === undefined ? undefined : entityOf(sql, row, 'e', 'WebhookEndpoint') };
}

/**
 * Whether a delivery earlier in its line (by orderAt, orderIndex, then id: one total order) is still
 * pending. On PostgreSQL the rows found are locked, so a
 * predecessor that is finishing right now is waited for (and then no longer counts): either its finish
 * sees this delivery and wakes it, or this check sees it finished. No wake-up falls between the two.
 */
export async function hasPendingPredecessor(manager: EntityManager, db: Database, line: DeliveryLine): Promise<boolean> {
  const sql = sqlOf(manager, db);
  const at = sql.date(line.orderAt);
  const rows = await sql.rows(
    `SELECT id FROM webhook_deliveries WHERE "endpointId" = ? AND "orderKey" = ? AND status = 'pending'
       AND ("orderAt" < ? OR ("orderAt" = ? AND ("orderIndex" < ? OR ("orderIndex" = ? AND id < ?)))) LIMIT 1${db.engine === 'postgres' ? ' FOR UPDATE' : ''}`,
    [line.endpointId, line.orderKey, at, at, line.orderIndex, line.orderIndex, line.id],
  );
  return rows.length > 0;
}

/**
 * Takes the next try of a pending delivery for one job: it had `attemptCount` tries when the job was
 * written, or one more claimed by this same job (run again after a crash). Two jobs never both win.
 */
export async function claimAttempt(manager: EntityManager, db: Database, job: { deliveryId: string; attemptCount: number; token: string }, now: Date): Promise<boolean> {
  const sql = sqlOf(manager, db);
  const next = job.attemptCount + 1;
  const rows = await sql.rows(
    `UPDATE webhook_deliveries SET "attemptCount" = ?, "claimToken" = ?, "updatedAt" = ? WHERE id = ? AND status = 'pending' AND ("attemptCount" = ? OR ("attemptCount" = ? AND "claimToken" = ?)) RETURNING id`,
    [next, job.token, sql.date(now), job.deliveryId, job.attemptCount, next, job.token],
  );
  return rows.length > 0;
}

export interface DeliveryResult {
  status: WebhookDeliveryStatus;
  attempts: WebhookAttempt[];
  nextAttemptAt: Date | null;
  finishedAt: Date | null;
}

/** Writes the result of a claimed try; false when the claim is no longer this job's (another took over). */
export async function recordResult(manager: EntityManager, db: Database, claim: { deliveryId: string; attemptCount: number; token: string }, result: DeliveryResult, now: Date): Promise<boolean> {
  const sql = sqlOf(manager, db);
  const rows = await sql.rows(
    `UPDATE webhook_deliveries SET status = ?, attempts = ?, "nextAttemptAt" = ?, "finishedAt" = ?, "updatedAt" = ? WHERE id = ? AND status = 'pending' AND "attemptCount" = ? AND "claimToken" = ? RETURNING id`,
    [result.status, sql.json(result.attempts), sql.date(result.nextAttemptAt), sql.date(result.finishedAt), sql.date(now), claim.deliveryId, claim.attemptCount, claim.token],
  );
  return rows.length > 0;
}

/**
 * Fails a pending delivery without a try (its endpoint is disabled or gone), with why in its log as a
 * try that got no answer.
 */
export async function failUntried(manager: EntityManager, db: Database, id: string, now: Date, why: string): Promise<boolean> {
  const current = await findDelivery(manager, id);
  if (current?.status !== 'pending') return false;
  const sql = sqlOf(manager, db);
  const attempts: WebhookAttempt[] = [...current.attempts, { at: now.toISOString(), statusCode: null, latencyMs: 0, response: why }];
  const rows = await sql.rows(
    `UPDATE webhook_deliveries SET status = 'failed', attempts = ?, "nextAttemptAt" = NULL, "finishedAt" = ?, "updatedAt" = ? WHERE id = ? AND status = 'pending' AND "attemptCount" = ? RETURNING id`,
    [sql.json(attempts), sql.date(now), sql.date(now), id, current.attemptCount],
  );
  return rows.length > 0;
}

export type LineWaiter = Pick<WebhookDelivery, 'id' | 'attemptCount' | 'orderKey' | 'nextAttemptAt'>;

/** The first pending delivery of a line (after the one that just finished): the one to wake. */
export async function nextInLine(manager: EntityManager, db: Database, endpointId: string, orderKey: string): Promise<LineWaiter | undefined> {
  const sql = sqlOf(manager, db);
  const [row] = await sql.rows<{ id: string; attemptCount: number; nextAttemptAt: Date | string | null }>(
    `SELECT id, "attemptCount", "nextAttemptAt" FROM webhook_deliveries WHERE "endpointId" = ? AND "orderKey" = ? AND status = 'pending' ORDER BY "orderAt", "orderIndex", id LIMIT 1`,
    [endpointId, orderKey],
  );
  return row ? { id: row.id, attemptCount: row.attemptCount, orderKey, nextAttemptAt: sql.readDate(row.nextAttemptAt) } : undefined;
}

/**
 * The first pending delivery of every line, a page at a time (after `after`, by id): what start-up puts
 * back on the queue.
 */
export async function lineHeads(db: Database, after: string, limit: number): Promise<WebhookDelivery[]> {
  const sql = sqlOf(db.manager, db);
  const rows = await sql.rows<Record<string, unknown>>(
    `SELECT ${selectList('d', 'WebhookDelivery')} FROM webhook_deliveries d WHERE d.status = 'pending' AND d.id > ?
       AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e."endpointId" = d."endpointId" AND e."orderKey" = d."orderKey" AND e.status = 'pending'
         AND (e."orderAt" < d."orderAt" OR (e."orderAt" = d."orderAt" AND (e."orderIndex" < d."orderIndex" OR (e."orderIndex" = d."orderIndex" AND e.id < d.id)))))
     ORDER BY d.id LIMIT ?`,
    [after, limit],
  );
  return rows.map((row) => entityOf(sql, row, 'd', 'WebhookDelivery'));
}

/** Deletes finished deliveries that finished before `before`, at most `limit`; answers how many. */
export async function deleteFinishedBefore(db: Database, before: Date, limit: number): Promise<number> {
  const sql = sqlOf(db.manager, db);
  const rows = await sql.rows(
    `DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries WHERE status <> 'pending' AND "finishedAt" < ? LIMIT ?) RETURNING id`,
    [sql.date(before), limit],
  );
  return rows.length;
}

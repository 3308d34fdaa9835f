import type { EntityManager } from 'typeorm';
import type { Actor } from './actor';
import type { Database } from './database';
import { newId } from './ids';
import { insertOf } from './model/raw-rows';
import { insertRows, repo } from './model/schemas';
import { decodeCursor, pageOf, pastPosition, type Page } from './pagination';
import { toJson, type Json } from './serialize';
import type { Sql, Statement } from './sql';
import type { AuditEntry } from './model/types';

export type AuditInput = Pick<AuditEntry, 'action' | 'entityType' | 'entityId'> & Partial<Pick<AuditEntry, 'before' | 'after'>>;

/** Records who changed what, in the transaction of the change itself. */
export async function recordAudit(manager: EntityManager, actor: Actor, input: AuditInput): Promise<void> {
  await insertRows(manager, 'AuditEntry', auditEntry(actor, input));
}

/** recordAudit's INSERT in plain SQL, to run with a hot path's other writes (see Sql.runAll). */
export function auditInsert(sql: Sql, actor: Actor, input: AuditInput): Statement {
  return insertOf(sql, 'AuditEntry', auditEntry(actor, input));
}

function auditEntry(actor: Actor, input: AuditInput): AuditEntry {
  return { before: null, after: null, ...input, actorType: actor.type, actorId: actor.id, id: newId(), createdAt: new Date() };
}

/** The values of the changed fields before a change, for the audit entry's `before`. */
export function valuesBefore<T extends object>(entity: T, changes: Partial<T>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(changes).map((key) => [key, entity[key as keyof T]]));
}

export interface AuditFilter {
  entityType?: string;
  entityId?: string;
  actorId?: string;
  limit: number;
  cursor?: string;
}

/** The audit log, newest first. */
export async function listAudit(db: Database, filter: AuditFilter): Promise<Page<Json<AuditEntry>>> {
  const query = repo(db.manager, 'AuditEntry').createQueryBuilder('a');
  if (filter.entityType) query.andWhere('a.entityType = :entityType', { entityType: filter.entityType });
  if (filter.entityId) query.andWhere('a.entityId = :entityId', { entityId: filter.entityId });
  if (filter.actorId) query.andWhere('a.actorId = :actorId', { actorId: filter.actorId });
  if (filter.cursor) query.andWhere(pastPosition('a', 'createdAt', decodeCursor(filter.cursor), '<'));
  const rows = await query.orderBy('a.createdAt', 'DESC').addOrderBy('a.id', 'DESC').limit(filter.limit + 1).getMany();
  return pageOf(rows, filter.limit, (a) => ({ at: a.createdAt, id: a.id }), (items) => items.map(toJson));
}

import type { EntityManager } from 'typeorm';
import { newId } from './ids';
import { insertRows } from './model/schemas';
import type { AuditEntry } from './model/types';

export type AuditInput = Omit<AuditEntry, 'id' | 'createdAt' | 'before' | 'after'> & Partial<Pick<AuditEntry, 'before' | 'after'>>;

/** Records who changed what, in the transaction of the change itself. */
export async function recordAudit(manager: EntityManager, input: AuditInput): Promise<void> {
  await insertRows(manager, 'AuditEntry', { before: null, after: null, ...input, id: newId(), createdAt: new Date() });
}

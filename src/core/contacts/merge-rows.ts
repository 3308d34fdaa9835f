import { In, type EntityManager } from 'typeorm';
import type { Database } from '../database';
import { NotFoundError } from '../errors';
import { repo } from '../model/schemas';
import type { Contact } from '../model/types';
import { inList, Sql } from '../sql';

/**
 * Loads contacts for a merge or unmerge, locked on PostgreSQL in id order, so that two merges of the
 * same pair (A into B and B into A at once) take turns instead of deadlocking; the second then finds
 * one of them gone. SQLite's transactions take turns already.
 */
export async function lockContacts(manager: EntityManager, db: Database, ids: readonly string[]): Promise<Map<string, Contact>> {
  const sql = new Sql(manager, db.engine);
  const sorted = [...new Set(ids)].sort();
  if (db.engine === 'postgres') await sql.rows(`SELECT id FROM contacts WHERE id IN (${inList(sorted)}) ORDER BY id FOR UPDATE`, sorted, { varies: true });
  const found = await repo(manager, 'Contact').findBy({ id: In(sorted) });
  return new Map(found.map((contact) => [contact.id, contact]));
}

export function required(contacts: Map<string, Contact>, id: string): Contact {
  const contact = contacts.get(id);
  if (!contact) throw new NotFoundError(`Contact ${id}`);
  return contact;
}

/** Runs an UPDATE … RETURNING id and answers the ids it changed. */
export async function updatedIds(sql: Sql, text: string, params: unknown[], varies = false): Promise<string[]> {
  const rows = await sql.rows<{ id: string }>(`${text} RETURNING id`, params, { varies });
  return rows.map((row) => row.id);
}

/** The unit key of a change of these contacts, the same whichever way round they are named. */
export function contactsKey(...ids: string[]): string {
  return `contacts:${[...ids].sort().join(':')}`;
}

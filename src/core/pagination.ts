import { Brackets } from 'typeorm';
import { ValidationError } from './errors';

/** A position in a list ordered by (timestamp, id): opaque to clients, stable under concurrent inserts. */
export interface Cursor {
  at: Date;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.at.toISOString(), cursor.id])).toString('base64url');
}

export function decodeCursor(text: string): Cursor {
  try {
    const [at, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(at))) return { at: new Date(at), id };
  } catch {
    // reported below
  }
  throw new ValidationError('The cursor is invalid: pass the nextCursor of a previous page.', [{ path: 'cursor', message: 'is not a cursor of this API', code: 'invalid_cursor' }]);
}

/**
 * The keyset condition for rows past a position in a list ordered by (`column`, id): `<` for lists in
 * descending order, `>` for ascending. Rows that share the timestamp are told apart by their id.
 */
export function pastPosition(alias: string, column: string, position: Cursor, op: '<' | '>'): Brackets {
  const at = `${alias}.${column}`;
  return new Brackets((q) => q.where(`${at} ${op} :cursorAt`, { cursorAt: position.at }).orWhere(`(${at} = :cursorAt AND ${alias}.id ${op} :cursorId)`, { cursorId: position.id }));
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

/** Builds a page from `limit + 1` fetched rows: the extra row only tells that there is a next page. */
export function pageOf<R, T>(rows: R[], limit: number, key: (row: R) => Cursor, map: (rows: R[]) => T[]): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items: map(items), nextCursor: rows.length > limit && last ? encodeCursor(key(last)) : null };
}

import { In } from 'typeorm';
import type { Database } from '../database';
import { repo } from '../model/schemas';
import type { Message } from '../model/types';
import { decodeCursor, encodeCursor, type Page } from '../pagination';
import { toJson, type Json } from '../serialize';
import { Sql } from '../sql';
import { findContact } from './directory';

export type TimelineEntry =
  | { type: 'message'; at: string; conversationId: string; channel: string; message: Json<Message> }
  | { type: 'conversation_started' | 'conversation_resolved'; at: string; conversationId: string; channel: string };

interface EntryRow {
  kind: TimelineEntry['type'];
  at: Date | string;
  key: string;
  conversationId: string;
  channel: string;
}

/**
 * A contact's history across all their conversations and channels, newest first: every message (private
 * notes too: this is the agents' view), and when each conversation started and was last resolved. Paged
 * by (time, key); a resolution's key is its conversation's id with `/resolved`, so entries never tie.
 */
export async function contactTimeline(db: Database, contactId: string, options: { limit: number; cursor?: string }): Promise<Page<TimelineEntry>> {
  await findContact(db, contactId);
  const sql = new Sql(db.manager, db.engine);
  const position = options.cursor ? decodeCursor(options.cursor) : undefined;
  const past = position ? `WHERE e.at < ? OR (e.at = ? AND e.key < ?)` : '';
  const rows = await sql.rows<EntryRow>(
    `SELECT e.kind, e.at, e.key, e."conversationId", e.channel FROM (
       SELECT 'message' AS kind, m."createdAt" AS at, m.id AS key, m."conversationId" AS "conversationId", m.channel AS channel
         FROM messages m JOIN conversations c ON c.id = m."conversationId" WHERE c."contactId" = ?
       UNION ALL
       SELECT 'conversation_started', c."createdAt", c.id, c.id, c.channel FROM conversations c WHERE c."contactId" = ?
       UNION ALL
       SELECT 'conversation_resolved', c."resolvedAt", c.id || '/resolved', c.id, c.channel FROM conversations c WHERE c."contactId" = ? AND c."resolvedAt" IS NOT NULL
     ) e ${past} ORDER BY e.at DESC, e.key DESC LIMIT ?`,
    [contactId, contactId, contactId, ...(position ? [sql.date(position.at), sql.date(position.at), position.id] : []), options.limit + 1],
  );
  const items = rows.slice(0, options.limit);
  const messageIds = items.filter((row) => row.kind === 'message').map((row) => row.key);
  const messages = new Map((messageIds.length > 0 ? await repo(db.manager, 'Message').findBy({ id: In(messageIds) }) : []).map((m) => [m.id, m]));
  const entries = items.flatMap((row): TimelineEntry[] => {
    const at = (sql.readDate(row.at) ?? new Date(0)).toISOString();
    const base = { at, conversationId: row.conversationId, channel: row.channel };
    if (row.kind !== 'message') return [{ type: row.kind, ...base }];
    const message = messages.get(row.key);
    return message ? [{ type: 'message', ...base, message: toJson(message) }] : [];
  });
  const last = items[items.length - 1];
  return { items: entries, nextCursor: rows.length > options.limit && last ? encodeCursor({ at: sql.readDate(last.at) ?? new Date(0), id: last.key }) : null };
}

import { MESSAGE_COLUMNS } from '../model/raw-rows';
import type { Conversation, Message } from '../model/types';
import type { Sql, Statement } from '../sql';
import { messagePreview } from './preview';

/** Stores a message (inbound, reply or note) in plain SQL: it is on the hot path of every message. */
export async function insertMessage(sql: Sql, m: Message): Promise<void> {
  const statement = messageInsert(sql, m);
  await sql.run(statement.text, statement.params);
}

/** The INSERT of a message, to run with other writes (see Sql.runAll). */
export function messageInsert(sql: Sql, m: Message): Statement {
  return statement(
    `INSERT INTO messages (id, "conversationId", channel, direction, "senderKind", "senderId", body, attachments, "externalId",
       "deliveryStatus", "failureReason", "statusChangedAt", private, metadata, "createdAt")
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      m.id, m.conversationId, m.channel, m.direction, m.senderKind, m.senderId, m.body, sql.json(m.attachments), m.externalId,
      m.deliveryStatus, m.failureReason, sql.date(m.statusChangedAt), sql.bool(m.private), sql.json(m.metadata), sql.date(m.createdAt),
    ],
  );
}

function statement(text: string, params: unknown[]): Statement {
  return { text, params };
}

/** The original of a received message, in the message's transaction. */
export async function insertOriginal(sql: Sql, message: Pick<Message, 'id' | 'createdAt'>, original: { contentType: string; content: Buffer }): Promise<void> {
  await sql.run(`INSERT INTO message_originals ("messageId", "contentType", content, "createdAt") VALUES (?, ?, ?, ?)`, [message.id, original.contentType, original.content, sql.date(message.createdAt)]);
}

export type Activity = Pick<Conversation, 'lastMessageAt' | 'lastMessagePreview' | 'updatedAt'> & Partial<Pick<Conversation, 'firstResponseAt'>>;

/**
 * The UPDATE that makes a new message its conversation's latest activity (time and preview) and, for
 * the first agent reply, its first-response time, to run with the message's other writes (see
 * Sql.runAll); with the fields it sets.
 */
export function activityUpdate(sql: Sql, message: Message, firstResponse: boolean): { activity: Activity; update: Statement } {
  const at = message.createdAt;
  const activity: Activity = { lastMessageAt: at, lastMessagePreview: messagePreview(message.body, message.attachments), updatedAt: at };
  if (firstResponse) activity.firstResponseAt = at;
  const update = statement(
    `UPDATE conversations SET "lastMessageAt" = ?, "lastMessagePreview" = ?, "updatedAt" = ?${firstResponse ? ', "firstResponseAt" = ?' : ''} WHERE id = ?`,
    [sql.date(at), activity.lastMessagePreview, sql.date(at), ...(firstResponse ? [sql.date(at)] : []), message.conversationId],
  );
  return { activity, update };
}

/** An UPDATE of a message's fields by id, each value stored as its column's kind asks (see raw-rows). */
export function messageUpdate(sql: Sql, id: string, fields: Partial<Message>): Statement {
  const entries = Object.entries(fields) as [keyof Message, unknown][];
  const value = (column: keyof Message, v: unknown): unknown => {
    if (v === null || v === undefined) return null;
    const kind = MESSAGE_COLUMNS[column];
    if (kind === 'date') return sql.date(v as Date);
    if (kind === 'json') return sql.json(v);
    if (kind === 'bool') return sql.bool(v === true);
    return v;
  };
  return statement(`UPDATE messages SET ${entries.map(([column]) => `"${column}" = ?`).join(', ')} WHERE id = ?`, [...entries.map(([column, v]) => value(column, v)), id]);
}

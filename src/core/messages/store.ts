import { insertOf, updateOf } from '../model/raw-rows';
import type { Conversation, Message } from '../model/types';
import type { Sql, Statement } from '../sql';
import { messagePreview } from './preview';

/** Stores a message (inbound, reply or note) in plain SQL: it is on the hot path of every message. */
export async function insertMessage(sql: Sql, m: Message): Promise<void> {
  await sql.runAll([insertOf(sql, 'Message', m)]);
}

/** The original of a received message, in the message's transaction. */
export async function insertOriginal(sql: Sql, message: Pick<Message, 'id' | 'createdAt'>, original: { contentType: string; content: Buffer }): Promise<void> {
  await sql.runAll([insertOf(sql, 'MessageOriginal', { messageId: message.id, contentType: original.contentType, content: original.content, createdAt: message.createdAt })]);
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
  return { activity, update: updateOf(sql, 'Conversation', message.conversationId, activity) };
}

import type { Database } from '../../core/database';
import type { Conversation } from '../../core/model/types';
import { toJson, type Json } from '../../core/serialize';
import { findVisibleMessage, visibleConversations, visibleMessages, type VisitorScope } from '../../core/visitors/scope';
import type { WidgetConversation, WidgetMessage } from './protocol';
import type { WidgetViews } from './views';

/** At most this many messages in one answer: the latest ones, or the first ones after the visitor's last. */
export const HISTORY_LIMIT = 500;

/** A message's place in the visitor's history: by time, then id. */
export interface HistoryPosition {
  createdAt: string;
  id: string;
}

export function isAtOrBefore(message: HistoryPosition, position: HistoryPosition): boolean {
  return message.createdAt < position.createdAt || (message.createdAt === position.createdAt && message.id <= position.id);
}

export interface VisitorHistory {
  /** The message the visitor said they have, when it is theirs; what they get follows it. */
  after: HistoryPosition | null;
  /** The conversations as stored, for those who follow their changes (the socket). */
  stored: Json<Conversation>[];
  conversations: WidgetConversation[];
  messages: WidgetMessage[];
}

/**
 * What `GET /widget/v1/history` answers and the socket sends on resume: the visitor's conversations, and
 * their messages after `after`. An `after` the visitor cannot see is no anchor: they get their latest
 * messages, and learn nothing about the id.
 */
export async function visitorHistory(db: Database, views: WidgetViews, scope: VisitorScope, after?: string): Promise<VisitorHistory> {
  const anchor = after ? await findVisibleMessage(db, scope, after) : null;
  const [conversations, messages] = await Promise.all([visibleConversations(db, scope), visibleMessages(db, scope, { after: anchor ?? undefined, limit: HISTORY_LIMIT })]);
  const stored = conversations.map(toJson);
  const [conversationViews, messageViews] = await Promise.all([views.conversations(stored), views.messages(messages.map(toJson))]);
  return { after: anchor ? { createdAt: anchor.createdAt.toISOString(), id: anchor.id } : null, stored, conversations: conversationViews, messages: messageViews };
}

import type { Database } from '../../core/database';
import type { Conversation } from '../../core/model/types';
import { toJson, type Json } from '../../core/serialize';
import { visibleConversations, visibleMessages, type VisitorScope } from '../../core/visitors/scope';
import type { WidgetConversation, WidgetMessage } from './protocol';
import type { WidgetViews } from './views';

/** At most this many messages in one answer: the latest ones, or the first ones after the visitor's last. */
export const HISTORY_LIMIT = 500;

export interface VisitorHistory {
  /** The conversations as stored, for those who follow their changes (the socket). */
  stored: Json<Conversation>[];
  conversations: WidgetConversation[];
  messages: WidgetMessage[];
}

/** What `GET /widget/v1/history` answers and the socket sends on resume: the visitor's conversations, and their messages after `after`. */
export async function visitorHistory(db: Database, views: WidgetViews, scope: VisitorScope, after?: string): Promise<VisitorHistory> {
  const [conversations, messages] = await Promise.all([visibleConversations(db, scope), visibleMessages(db, scope, { after, limit: HISTORY_LIMIT })]);
  const stored = conversations.map(toJson);
  const [conversationViews, messageViews] = await Promise.all([views.conversations(stored), views.messages(messages.map(toJson))]);
  return { stored, conversations: conversationViews, messages: messageViews };
}

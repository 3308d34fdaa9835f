import type { Database } from '../database';
import { repo } from '../model/schemas';
import type { PageView, Rating } from '../model/types';
import { recentPageViews } from '../page-views/list';
import type { Json } from '../serialize';
import { websiteOfConversation } from '../websites/websites';
import { getConversation, type ConversationView } from './list';

/** How many of the visitor's last pages a conversation shows. */
export const CONVERSATION_PAGE_VIEWS = 5;

export type ConversationDetails = ConversationView & {
  /** The contact's last pages on the conversation's website, newest first; empty off the widget. */
  pageViews: Json<PageView>[];
  rating: Pick<Json<Rating>, 'score' | 'comment' | 'createdAt'> | null;
};

/**
 * One conversation with what an agent wants beside it, read only for a single conversation (lists stay
 * one query per page): the pages the visitor saw and their rating of the conversation.
 */
export async function getConversationDetails(db: Database, id: string): Promise<ConversationDetails> {
  const conversation = await getConversation(db, id);
  const websiteId = await websiteOfConversation(db, conversation);
  const [pageViews, rating] = await Promise.all([
    websiteId ? recentPageViews(db, conversation.contactId, websiteId, CONVERSATION_PAGE_VIEWS) : Promise.resolve([]),
    repo(db.manager, 'Rating').findOneBy({ conversationId: id }),
  ]);
  return { ...conversation, pageViews, rating: rating ? { score: rating.score, comment: rating.comment, createdAt: rating.createdAt.toISOString() } : null };
}

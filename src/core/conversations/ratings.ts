import { In } from 'typeorm';
import type { Actor } from '../actor';
import { recordAudit, valuesBefore } from '../audit';
import type { Database } from '../database';
import { ConflictError } from '../errors';
import { events } from '../events';
import { newId } from '../ids';
import { insertRows, repo, updateRow } from '../model/schemas';
import type { Conversation, Rating } from '../model/types';
import { eventsOutboxRow, type Outbox } from '../outbox';
import { retryOnUniqueViolation } from '../unique';
import { lockConversation } from './update';

export interface RatingInput {
  /** 1 to 5. */
  score: number;
  comment: string | null;
}

/**
 * The customer's rating of a resolved conversation; rating again changes it. Audited as
 * `rating.created` or `rating.updated`, as the customer's own act; the first rating is a
 * `rating.created` event.
 */
export async function rateConversation(deps: { db: Database; outbox: Outbox }, conversationId: string, input: RatingInput, actor: Actor): Promise<Rating> {
  const { db, outbox } = deps;
  // Two first ratings at once race on the conversation's unique rating; the loser's retry updates the winner's.
  return retryOnUniqueViolation(() =>
    outbox.runUnit(async ({ manager, write }) => {
      const conversation = await lockConversation(manager, db, conversationId);
      if (conversation.status !== 'resolved') {
        throw new ConflictError('conversation_not_resolved', 'A conversation can be rated once it is resolved.');
      }
      const now = new Date();
      const ratings = repo(manager, 'Rating');
      const existing = await ratings.findOneBy({ conversationId });
      if (existing) {
        const changes: Partial<Rating> = { score: input.score, comment: input.comment };
        await updateRow(manager, 'Rating', existing.id, { ...changes, updatedAt: now });
        await recordAudit(manager, actor, { action: 'rating.updated', entityType: 'rating', entityId: existing.id, before: valuesBefore(existing, changes), after: { ...changes } });
        return { ...existing, ...changes, updatedAt: now };
      }
      const rating: Rating = { id: newId(), conversationId, contactId: conversation.contactId, score: input.score, comment: input.comment, createdAt: now, updatedAt: now };
      await insertRows(manager, 'Rating', rating);
      await recordAudit(manager, actor, { action: 'rating.created', entityType: 'rating', entityId: rating.id, after: { conversationId, score: rating.score, comment: rating.comment } });
      await write([eventsOutboxRow([events.ratingCreated(rating, now)], now)]);
      return rating;
    }, { key: conversationId }),
  );
}

/** The ratings of some conversations, by conversation id. */
export async function ratingsOf(db: Database, conversations: readonly Pick<Conversation, 'id'>[]): Promise<Map<string, Rating>> {
  if (conversations.length === 0) return new Map();
  const ratings = await repo(db.manager, 'Rating').findBy({ conversationId: In(conversations.map((c) => c.id)) });
  return new Map(ratings.map((rating) => [rating.conversationId, rating]));
}

import type { Database } from '../database';
import { NotFoundError, ValidationError } from '../errors';
import { repo } from '../model/schemas';
import type { Message } from '../model/types';
import { pastPosition } from '../pagination';
import { toJson, type Json } from '../serialize';

export interface MessageListOptions {
  /** Messages after this message id (the next page). */
  after?: string;
  /** Messages before this message id (older history). */
  before?: string;
  limit: number;
}

export interface MessagePage {
  items: Json<Message>[];
  /** True when there are more messages in the direction asked for. */
  hasMore: boolean;
}

/**
 * A conversation's messages, oldest first. With `after`, the ones following a message; with `before`,
 * the ones just before it; with neither, from the start.
 */
export async function listMessages(db: Database, conversationId: string, options: MessageListOptions): Promise<MessagePage> {
  if (options.after && options.before) {
    throw new ValidationError('Pass either after or before, not both', [{ path: 'before', message: 'cannot be combined with after', code: 'invalid_value' }]);
  }
  const manager = db.manager;
  if (!(await repo(manager, 'Conversation').existsBy({ id: conversationId }))) throw new NotFoundError(`Conversation ${conversationId}`);
  const query = repo(manager, 'Message').createQueryBuilder('m').where('m.conversationId = :conversationId', { conversationId });

  const anchorId = options.after ?? options.before;
  if (anchorId) {
    const anchor = await repo(manager, 'Message').findOne({ where: { id: anchorId, conversationId }, select: { id: true, createdAt: true } });
    if (!anchor) throw new ValidationError(`No message ${anchorId} in this conversation`, [{ path: options.after ? 'after' : 'before', message: 'is not a message of this conversation', code: 'not_found' }]);
    query.andWhere(pastPosition('m', 'createdAt', { at: anchor.createdAt, id: anchor.id }, options.after ? '>' : '<'));
  }
  const direction = options.before ? 'DESC' : 'ASC';
  const rows = await query.orderBy('m.createdAt', direction).addOrderBy('m.id', direction).limit(options.limit + 1).getMany();
  const items = rows.slice(0, options.limit);
  if (options.before) items.reverse();
  return { items: items.map(toJson), hasMore: rows.length > options.limit };
}

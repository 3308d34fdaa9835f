import type { Database } from '../database';
import { NotFoundError } from '../errors';
import { repo } from '../model/schemas';
import type { PageView } from '../model/types';
import { decodeCursor, pageOf, pastPosition, type Page } from '../pagination';
import { toJson, type Json } from '../serialize';

/** The pages widget visitors saw, as agents read them: newest first. */

export interface PageViewQuery {
  limit: number;
  cursor?: string;
}

/** A contact's page views on every website, newest first, one page at a time (keyset on viewedAt and id). */
export async function listPageViews(db: Database, contactId: string, query: PageViewQuery): Promise<Page<Json<PageView>>> {
  if (!(await repo(db.manager, 'Contact').existsBy({ id: contactId }))) throw new NotFoundError(`Contact ${contactId}`);
  const builder = repo(db.manager, 'PageView').createQueryBuilder('p').where('p.contactId = :contactId', { contactId });
  if (query.cursor) builder.andWhere(pastPosition('p', 'viewedAt', decodeCursor(query.cursor), '<'));
  const rows = await builder.orderBy('p.viewedAt', 'DESC').addOrderBy('p.id', 'DESC').limit(query.limit + 1).getMany();
  return pageOf(rows, query.limit, (p) => ({ at: p.viewedAt, id: p.id }), (items) => items.map(toJson));
}

/** The last `count` pages a contact saw on one website, newest first: what an agent sees beside the chat. */
export async function recentPageViews(db: Database, contactId: string, websiteId: string, count: number): Promise<Json<PageView>[]> {
  const rows = await repo(db.manager, 'PageView').find({ where: { contactId, websiteId }, order: { viewedAt: 'DESC', id: 'DESC' }, take: count });
  return rows.map(toJson);
}

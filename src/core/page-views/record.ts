import type { Database } from '../database';
import { NotFoundError } from '../errors';
import { newId } from '../ids';
import { insertRows, repo } from '../model/schemas';
import type { PageView } from '../model/types';
import { openConversationOf, type Visitor } from '../visitors/visitors';

export interface PageViewInput {
  /** An absolute http(s) URL. */
  url: string;
  title?: string;
  referrer?: string;
}

/**
 * A page's address as it is kept: never its fragment (client-side state, sometimes an access token), and
 * its query string only where the website asked for it, since queries often carry tokens and personal data.
 */
export function recordedUrl(url: string, keepQuery: boolean): string {
  const parsed = new URL(url);
  parsed.hash = '';
  if (!keepQuery) parsed.search = '';
  return parsed.toString();
}

/**
 * Records a page the visitor saw, with the conversation they have open if any, so that agents see what
 * was browsed before and during the chat. Null when the website does not record page views.
 */
export async function recordPageView(db: Database, visitor: Visitor, input: PageViewInput, now = new Date()): Promise<PageView | null> {
  const { website } = visitor;
  if (!website.recordPageViews) return null;
  const open = await openConversationOf(db, visitor);
  const view: PageView = {
    id: newId(),
    contactId: visitor.contactId,
    websiteId: website.id,
    conversationId: open?.id ?? null,
    url: recordedUrl(input.url, website.keepQueryStrings),
    title: input.title ?? null,
    referrer: input.referrer ? recordedUrl(input.referrer, website.keepQueryStrings) : null,
    viewedAt: now,
    durationSeconds: null,
    createdAt: now,
  };
  await insertRows(db.manager, 'PageView', view);
  return view;
}

/** Sets how long the visitor stayed on a page they viewed; another's page view is "not found". */
export async function recordTimeOnPage(db: Database, visitor: Visitor, pageViewId: string, seconds: number): Promise<void> {
  const result = await repo(db.manager, 'PageView').update({ id: pageViewId, contactId: visitor.contactId, websiteId: visitor.website.id }, { durationSeconds: seconds });
  if (!result.affected) throw new NotFoundError(`Page view ${pageViewId}`);
}

import { randomUUID } from 'node:crypto';
import type { IngestResult } from '../../src/core/ingest';
import { insertRows } from '../../src/core/model/schemas';
import type { PageView } from '../../src/core/model/types';
import { WIDGET_CHANNEL } from '../../src/channels/widget/name';
import { expectStatus } from './agent-api';
import type { TestHub } from './hub';

/** Websites, widget conversations and page views for the tests of the admin side of the widget. */

export interface WebsiteItem {
  id: string;
  key: string;
  name: string;
  allowedOrigins: string[];
  color: string;
  greeting: string | null;
  awayMessage: string | null;
  position: 'left' | 'right';
  locale: 'en' | 'fr' | null;
  teamId: string | null;
  identitySecret?: string;
  requireVerifiedIdentity: boolean;
  preChatForm: boolean;
  recordPageViews: boolean;
  keepQueryStrings: boolean;
  followUpDelayHours: number | null;
  transcriptOnResolve: boolean | null;
  snippet: string;
  createdAt: string;
  updatedAt: string;
}

/** A website through the API, with an admin key (the test hub's default key). */
export function createWebsite(t: TestHub, input: Record<string, unknown> = {}): Promise<WebsiteItem> {
  return expectStatus<WebsiteItem>(201, t, 'POST', '/api/v1/websites', { name: 'Test shop', allowedOrigins: ['https://shop.example.com'], ...input });
}

/**
 * A visitor's message on a website, stored the way the widget channel stores it (channel `widget`, the
 * website's id as the address), so these tests need no browser and no widget server.
 */
export function widgetMessage(t: TestHub, websiteId: string, options: { visitorId?: string; name?: string; body?: string } = {}): Promise<IngestResult> {
  const visitorId = options.visitorId ?? randomUUID();
  return t.hub.ingestor.ingest({
    channel: WIDGET_CHANNEL,
    externalId: `${visitorId}:${randomUUID()}`,
    sender: { address: visitorId, ...(options.name ? { name: options.name } : {}) },
    channelAddress: websiteId,
    body: options.body ?? 'Hello from the shop',
  });
}

/** A page view written straight into the table, as the widget server records it. */
export async function insertPageView(t: TestHub, view: Pick<PageView, 'contactId' | 'websiteId' | 'url'> & Partial<PageView>): Promise<PageView> {
  const row: PageView = { id: randomUUID(), conversationId: null, title: null, referrer: null, viewedAt: new Date(), durationSeconds: null, createdAt: new Date(), ...view };
  await insertRows(t.hub.db.manager, 'PageView', row);
  return row;
}

import { randomUUID } from 'node:crypto';
import { createApiKey } from '../../src/core/api-keys';
import { insertRows } from '../../src/core/model/schemas';
import { allPages, api, errorCode, expectStatus, ids, inbound, type ConversationItem, type ErrorBody, type Page } from '../support/agent-api';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { createWebsite, insertPageView, widgetMessage } from '../support/websites';

/**
 * What agents see of a widget visitor's browsing: `GET /api/v1/contacts/:id/page-views` (newest first,
 * keyset pages) and, on `GET /api/v1/conversations/:id`, the last pages on the conversation's website
 * and the visitor's rating.
 */

interface PageViewItem {
  id: string;
  contactId: string;
  websiteId: string;
  conversationId: string | null;
  url: string;
  title: string | null;
  referrer: string | null;
  viewedAt: string;
  durationSeconds: number | null;
  createdAt: string;
}

type ConversationDetails = ConversationItem & { pageViews: PageViewItem[]; rating: { score: number; comment: string | null; createdAt: string } | null };

const T0 = Date.parse('2030-01-01T10:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

describe.each(ENGINES)('Page views API on %s', (engine) => {
  let t: TestHub;
  let readKey: string;

  beforeAll(async () => {
    t = await startTestHub(engine);
    readKey = (await createApiKey(t.hub.db, { name: 'reader', scopes: ['read'] })).key;
  });
  afterAll(async () => {
    await t.stop();
  });

  it("lists a contact's page views newest first, on every website, with a read key", async () => {
    const shop = await createWebsite(t);
    const blog = await createWebsite(t, { name: 'Blog', allowedOrigins: ['https://blog.example.com'] });
    const { contactId, conversationId } = await widgetMessage(t, shop.id);
    const home = await insertPageView(t, { contactId, websiteId: shop.id, url: 'https://shop.example.com/', title: 'Home', referrer: 'https://search.example/', viewedAt: at(0), durationSeconds: 12 });
    const post = await insertPageView(t, { contactId, websiteId: blog.id, url: 'https://blog.example.com/post', viewedAt: at(2) });
    const cart = await insertPageView(t, { contactId, websiteId: shop.id, conversationId, url: 'https://shop.example.com/cart', title: 'Cart', viewedAt: at(1) });
    // Someone else's pages are not this contact's.
    const other = await widgetMessage(t, shop.id);
    await insertPageView(t, { contactId: other.contactId, websiteId: shop.id, url: 'https://shop.example.com/other', viewedAt: at(3) });

    const page = await expectStatus<Page<PageViewItem>>(200, t, 'GET', `/api/v1/contacts/${contactId}/page-views`, undefined, { key: readKey });
    expect(ids(page.items)).toEqual([post.id, cart.id, home.id]);
    expect(page.nextCursor).toBeNull();
    expect(page.items[2]).toEqual({
      id: home.id,
      contactId,
      websiteId: shop.id,
      conversationId: null,
      url: 'https://shop.example.com/',
      title: 'Home',
      referrer: 'https://search.example/',
      viewedAt: at(0).toISOString(),
      durationSeconds: 12,
      createdAt: home.createdAt.toISOString(),
    });
    expect(page.items[1]).toMatchObject({ conversationId, title: 'Cart' });
  });

  it('pages with a cursor, each view once, also when views share a timestamp', async () => {
    const shop = await createWebsite(t);
    const { contactId } = await widgetMessage(t, shop.id);
    const views = [];
    for (let i = 0; i < 7; i++) views.push(await insertPageView(t, { contactId, websiteId: shop.id, url: `https://shop.example.com/${i}`, viewedAt: at(Math.floor(i / 3)) }));
    const paged = await allPages<PageViewItem>(t, `/api/v1/contacts/${contactId}/page-views`, 2);
    const whole = await allPages<PageViewItem>(t, `/api/v1/contacts/${contactId}/page-views`, 100);
    expect(ids(paged)).toEqual(ids(whole));
    expect(new Set(ids(paged)).size).toBe(7);
    const times = whole.map((v) => Date.parse(v.viewedAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('answers 404 for an unknown contact and 400 for bad parameters', async () => {
    expect(await api<ErrorBody>(t, 'GET', `/api/v1/contacts/${randomUUID()}/page-views`)).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    const { contactId } = await inbound(t);
    expect(await expectStatus<Page<PageViewItem>>(200, t, 'GET', `/api/v1/contacts/${contactId}/page-views`)).toEqual({ items: [], nextCursor: null });
    for (const path of ['/api/v1/contacts/nope/page-views', `/api/v1/contacts/${contactId}/page-views?limit=0`, `/api/v1/contacts/${contactId}/page-views?limit=101`, `/api/v1/contacts/${contactId}/page-views?cursor=garbage`, `/api/v1/contacts/${contactId}/page-views?since=2030-01-01`]) {
      const res = await api(t, 'GET', path);
      expect({ path, status: res.status, code: errorCode(res.body) }).toEqual({ path, status: 400, code: 'validation_failed' });
    }
  });

  it("shows the visitor's last 5 pages on the conversation's website and their rating in the conversation", async () => {
    const shop = await createWebsite(t);
    const blog = await createWebsite(t, { name: 'Blog', allowedOrigins: ['https://blog.example.com'] });
    const { contactId, conversationId } = await widgetMessage(t, shop.id);
    const shopViews = [];
    for (let i = 0; i < 7; i++) shopViews.push(await insertPageView(t, { contactId, websiteId: shop.id, url: `https://shop.example.com/p${i}`, title: `Page ${i}`, viewedAt: at(i) }));
    await insertPageView(t, { contactId, websiteId: blog.id, url: 'https://blog.example.com/latest', viewedAt: at(10) });

    const before = await expectStatus<ConversationDetails>(200, t, 'GET', `/api/v1/conversations/${conversationId}`, undefined, { key: readKey });
    expect(before.pageViews.map((v) => v.title)).toEqual(['Page 6', 'Page 5', 'Page 4', 'Page 3', 'Page 2']);
    expect(before.pageViews.every((v) => v.websiteId === shop.id)).toBe(true);
    expect(before.rating).toBeNull();
    expect(before).toMatchObject({ id: conversationId, channel: 'widget', contact: { id: contactId } });

    const ratedAt = new Date('2030-01-02T08:00:00Z');
    await insertRows(t.hub.db.manager, 'Rating', { id: randomUUID(), conversationId, contactId, score: 4, comment: 'Quick & kind', createdAt: ratedAt, updatedAt: ratedAt });
    const after = await expectStatus<ConversationDetails>(200, t, 'GET', `/api/v1/conversations/${conversationId}`);
    expect(after.rating).toEqual({ score: 4, comment: 'Quick & kind', createdAt: ratedAt.toISOString() });

    // Lists keep their shape: no per-conversation reads.
    const listed = await expectStatus<Page<ConversationItem>>(200, t, 'GET', `/api/v1/conversations?contact=${contactId}`);
    expect(listed.items[0]).not.toHaveProperty('pageViews');
    expect(listed.items[0]).not.toHaveProperty('rating');
  });

  it('shows no pages on conversations of other channels', async () => {
    const { contactId, conversationId } = await inbound(t, { name: 'Api Person' });
    const shop = await createWebsite(t);
    await insertPageView(t, { contactId, websiteId: shop.id, url: 'https://shop.example.com/' });
    expect(await expectStatus<ConversationDetails>(200, t, 'GET', `/api/v1/conversations/${conversationId}`)).toMatchObject({ pageViews: [], rating: null });
    expect((await api(t, 'GET', `/api/v1/conversations/${randomUUID()}`)).status).toBe(404);
  });
});

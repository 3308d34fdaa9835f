import { randomUUID } from 'node:crypto';
import { createApiKey } from '../../src/core/api-keys';
import { insertRows, repo } from '../../src/core/model/schemas';
import type { Website } from '../../src/core/model/types';
import type { UploadedFile, WidgetHistory, WidgetMessage, WidgetSettings } from '../../src/channels/widget/protocol';
import { errorCode, expectStatus, type MessageItem } from '../support/agent-api';
import { ENGINES } from '../support/env';
import { exeBytes, pngBytes } from '../support/files';
import { startTestHub, type TestHub } from '../support/hub';
import { createWebsite, GENEROUS_LIMITS, newVisitor, visitorSays, widget, widgetOk } from '../support/widget';

const MAX_BYTES = 4096;
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');

/**
 * What a visitor sends: messages (once per clientId), attachments checked on their bytes, the offline
 * form, and the pages they browse; and what the widget is told about the website.
 */
describe.each(ENGINES)('widget messages on %s', (engine) => {
  let t: TestHub;
  let website: Website;

  beforeAll(async () => {
    t = await startTestHub(engine, { env: { ...GENEROUS_LIMITS, UPLOAD_MAX_BYTES: String(MAX_BYTES), PUBLIC_URL: 'https://hub.example.com' } });
    website = await createWebsite(t);
  });
  afterAll(async () => {
    await t.stop();
  });

  const messagesOf = (conversationId: string) => repo(t.hub.db.manager, 'Message').find({ where: { conversationId }, order: { createdAt: 'ASC' } });

  it('stores a message once however often its clientId is sent, answering 201 then 200 with the same message', async () => {
    const { token } = await newVisitor(t, website);
    const clientId = randomUUID();
    const json = { clientId, body: 'Where is my parcel?', pageUrl: 'https://shop.example.com/orders/42?token=secret' };
    const first = await widget<{ message: WidgetMessage }>(t, website, '/messages', { token, json });
    const again = await Promise.all([1, 2, 3].map(() => widget<{ message: WidgetMessage }>(t, website, '/messages', { token, json })));
    expect(first.status).toBe(201);
    expect(again.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(again.map((r) => r.body.message)).toEqual([first.body.message, first.body.message, first.body.message]);
    expect(first.body.message).toMatchObject({ clientId, from: 'visitor', body: 'Where is my parcel?', status: 'received', senderName: null, attachments: [] });

    const stored = await messagesOf(first.body.message.conversationId);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ channel: 'widget', direction: 'inbound', metadata: { clientId, pageUrl: 'https://shop.example.com/orders/42?token=secret' } });
    const conversation = await repo(t.hub.db.manager, 'Conversation').findOneByOrFail({ id: first.body.message.conversationId });
    expect(conversation).toMatchObject({ channel: 'widget', channelAddress: website.id, status: 'open' });
    // Sent at the same moment, it is still stored once.
    const racing = { clientId: randomUUID(), body: 'sent three times at once' };
    const raced = await Promise.all([1, 2, 3].map(() => widget<{ message: WidgetMessage }>(t, website, '/messages', { token, json: racing })));
    expect(raced.map((r) => r.status).sort()).toEqual([200, 200, 201]);
    expect(await repo(t.hub.db.manager, 'Message').countBy({ body: racing.body })).toBe(1);
    // The same clientId from another visitor is another message.
    const other = await newVisitor(t, website);
    expect((await widget(t, website, '/messages', { token: other.token, json })).status).toBe(201);
  });

  it('shows agents’ replies with their names and the conversation in history, never a private note', async () => {
    const { token } = await newVisitor(t, website);
    const question = await visitorSays(t, website, token, 'Hi');
    const agent = await expectStatus<{ id: string }>(201, t, 'POST', '/api/v1/agents', { name: 'Linus', email: `linus-${engine}@example.com` });
    const { key } = await createApiKey(t.hub.db, { name: 'linus', scopes: ['write', 'read'], agentId: agent.id });
    await expectStatus<MessageItem>(201, t, 'POST', `/api/v1/conversations/${question.conversationId}/messages`, { body: 'Hello! How can I help?' }, { key });
    await expectStatus<MessageItem>(201, t, 'POST', `/api/v1/conversations/${question.conversationId}/messages`, { body: 'internal: VIP', private: true }, { key });
    const history = await widgetOk<WidgetHistory>(200, t, website, '/history', { token });
    expect(history.messages.map((m) => [m.from, m.senderName, m.body])).toEqual([
      ['visitor', null, 'Hi'],
      ['agent', 'Linus', 'Hello! How can I help?'],
    ]);
    expect(history.conversations).toEqual([{ id: question.conversationId, status: 'open', agentLastSeenAt: null, rating: null, emailTranscript: false, createdAt: expect.any(String) as unknown }]);
    const after = await widgetOk<WidgetHistory>(200, t, website, `/history?after=${question.id}`, { token });
    expect(after.messages.map((m) => m.body)).toEqual(['Hello! How can I help?']);
  });

  it('takes a PNG, refuses an executable named .png, an SVG and an oversized file, and attaches what it took', async () => {
    const { token } = await newVisitor(t, website);
    const upload = (body: Buffer, contentType: string, name: string) => widget<UploadedFile>(t, website, `/uploads?name=${encodeURIComponent(name)}`, { token, body, headers: { 'content-type': contentType } });

    const png = await upload(pngBytes(), 'image/png', 'photo.png');
    expect(png.status).toBe(201);
    expect(png.body).toEqual({ fileKey: expect.stringMatching(/^[0-9a-f]{32}$/) as unknown, name: 'photo.png', contentType: 'image/png', size: pngBytes().length, url: expect.stringMatching(/^https:\/\/hub\.example\.com\/files\/[0-9a-f]{32}\?expires=\d+&signature=/) as unknown });
    // The signed link serves the picture to the visitor's page, without an API key.
    const link = new URL(png.body.url);
    const served = await fetch(`${t.url}${link.pathname}${link.search}`);
    expect(served.status).toBe(200);
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await served.arrayBuffer()).equals(pngBytes())).toBe(true);

    for (const [bytes, type, name, status, code] of [
      [exeBytes(), 'image/png', 'invoice.png', 415, 'unsupported_file_type'],
      [SVG, 'image/svg+xml', 'logo.svg', 415, 'unsupported_file_type'],
      [SVG, 'image/png', 'logo.png', 415, 'unsupported_file_type'],
      [Buffer.alloc(MAX_BYTES + 1, 1), 'image/png', 'huge.png', 413, 'file_too_large'],
    ] as const) {
      const refused = await upload(bytes, type, name);
      expect({ name, status: refused.status, code: errorCode(refused.body) }).toEqual({ name, status, code });
      expect((refused.body as unknown as { error: { message: string } }).error.message.length).toBeGreaterThan(10);
    }

    const sent = await widgetOk<{ message: WidgetMessage }>(201, t, website, '/messages', { token, json: { clientId: randomUUID(), attachments: [{ fileKey: png.body.fileKey }] } });
    expect(sent.message.attachments).toEqual([{ name: 'photo.png', contentType: 'image/png', size: pngBytes().length, url: expect.stringContaining('/files/') as unknown }]);
    const [stored] = await messagesOf(sent.message.conversationId);
    expect(stored?.attachments).toEqual([{ url: `https://hub.example.com/api/v1/files/${png.body.fileKey}`, contentType: 'image/png', name: 'photo.png', size: pngBytes().length, fileKey: png.body.fileKey }]);
  });

  it('stores the offline form as a message, with the email handled as an unverified profile', async () => {
    const visitor = await newVisitor(t, website);
    const email = `offline-${engine}-${randomUUID()}@example.com`;
    const sent = await widgetOk<{ message: WidgetMessage }>(201, t, website, '/offline', { token: visitor.token, json: { email, name: 'Night Owl', message: 'Call me back tomorrow' } });
    const [stored] = await messagesOf(sent.message.conversationId);
    expect(stored).toMatchObject({ body: 'Call me back tomorrow', metadata: { offline: true, email } });
    const identity = await repo(t.hub.db.manager, 'ChannelIdentity').findOneByOrFail({ channel: 'widget', address: visitor.visitorId });
    expect(await repo(t.hub.db.manager, 'Contact').findOneByOrFail({ id: identity.contactId })).toMatchObject({ name: 'Night Owl', email });
    // Sent twice, it is two messages: the form has no id of its own.
    await widgetOk(201, t, website, '/offline', { token: visitor.token, json: { email, message: 'Also: order 42' } });
    expect(await messagesOf(sent.message.conversationId)).toHaveLength(2);
  });

  it('records page views without query string or fragment, with the open conversation, and time on page only for the visitor’s own', async () => {
    const visitor = await newVisitor(t, website);
    const first = await widgetOk<{ id: string }>(201, t, website, '/page-views', { token: visitor.token, json: { url: 'https://shop.example.com/p/shoes?utm_source=mail&token=abc#reviews', title: 'Shoes', referrer: 'https://search.example/?q=my+name' } });
    const view = await repo(t.hub.db.manager, 'PageView').findOneByOrFail({ id: first.id });
    expect(view).toMatchObject({ url: 'https://shop.example.com/p/shoes', title: 'Shoes', referrer: 'https://search.example/', conversationId: null, durationSeconds: null, websiteId: website.id });

    const message = await visitorSays(t, website, visitor.token, 'about these shoes');
    const second = await widgetOk<{ id: string }>(201, t, website, '/page-views', { token: visitor.token, json: { url: 'https://shop.example.com/cart', referrer: '' } });
    expect(await repo(t.hub.db.manager, 'PageView').findOneByOrFail({ id: second.id })).toMatchObject({ conversationId: message.conversationId, referrer: null });

    expect((await widget(t, website, `/page-views/${first.id}`, { method: 'PATCH', token: visitor.token, json: { seconds: 41.6 } })).status).toBe(204);
    expect((await repo(t.hub.db.manager, 'PageView').findOneByOrFail({ id: first.id })).durationSeconds).toBe(42);
    const stranger = await newVisitor(t, website);
    expect((await widget(t, website, `/page-views/${second.id}`, { method: 'PATCH', token: stranger.token, json: { seconds: 5 } })).status).toBe(404);
    expect((await repo(t.hub.db.manager, 'PageView').findOneByOrFail({ id: second.id })).durationSeconds).toBeNull();

    const keeping = await createWebsite(t, { keepQueryStrings: true });
    const keeper = await newVisitor(t, keeping);
    const kept = await widgetOk<{ id: string }>(201, t, keeping, '/page-views', { token: keeper.token, json: { url: 'https://shop.example.com/search?q=boots#top' } });
    expect((await repo(t.hub.db.manager, 'PageView').findOneByOrFail({ id: kept.id })).url).toBe('https://shop.example.com/search?q=boots');

    const silent = await createWebsite(t, { recordPageViews: false });
    const quiet = await newVisitor(t, silent);
    const before = await repo(t.hub.db.manager, 'PageView').count();
    expect((await widget(t, silent, '/page-views', { token: quiet.token, json: { url: 'https://shop.example.com/' } })).status).toBe(204);
    expect(await repo(t.hub.db.manager, 'PageView').count()).toBe(before);
  });

  it('tells the widget how the website looks and whether someone of its team is online', async () => {
    const team = await expectStatus<{ id: string }>(201, t, 'POST', '/api/v1/teams', { name: `Support ${engine}` });
    const site = await createWebsite(t, { teamId: team.id, locale: 'fr', greeting: 'Bonjour !', position: 'left', preChatForm: true });
    const settings = await widgetOk<WidgetSettings>(200, t, site, '/settings');
    expect(settings).toEqual({
      name: 'Test shop',
      color: '#0055ff',
      greeting: 'Bonjour !',
      position: 'left',
      locale: 'fr',
      preChatForm: true,
      requireVerifiedIdentity: false,
      recordPageViews: true,
      online: false,
      awayMessage: expect.stringMatching(/^Nous sommes absents/) as unknown,
      attachments: { maxBytes: MAX_BYTES, allowedTypes: expect.arrayContaining(['image/png', 'application/pdf']) as unknown },
    });
    const agent = await expectStatus<{ id: string }>(201, t, 'POST', '/api/v1/agents', { name: 'Online Olga', email: `olga-${engine}@example.com`, status: 'online' });
    await insertRows(t.hub.db.manager, 'TeamMember', { teamId: team.id, agentId: agent.id, createdAt: new Date() });
    expect((await widgetOk<WidgetSettings>(200, t, site, '/settings')).online).toBe(true);
  });
});

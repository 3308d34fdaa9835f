import { repo } from '../../src/core/model/schemas';
import type { Website } from '../../src/core/model/types';
import type { ServerFrame, WidgetHistory } from '../../src/channels/widget/protocol';
import { errorCode, expectStatus } from '../support/agent-api';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { createWebsite, GENEROUS_LIMITS, newVisitor, visitorSays, widget, widgetOk, WidgetSocket } from '../support/widget';

/** The end of a conversation: the visitor rates it once it is resolved, and downloads a transcript that runs nothing. */
describe.each(ENGINES)('widget resolution on %s', (engine) => {
  let t: TestHub;
  let website: Website;

  beforeAll(async () => {
    t = await startTestHub(engine, { env: GENEROUS_LIMITS });
    website = await createWebsite(t, { name: 'Shop <b>&</b> "Co"' });
  });
  afterAll(async () => {
    await t.stop();
  });

  const resolve = (conversationId: string, status = 'resolved') => expectStatus(200, t, 'PATCH', `/api/v1/conversations/${conversationId}`, { status });

  it('takes a rating only once the conversation is resolved, and a second rating changes it', async () => {
    const { token } = await newVisitor(t, website);
    const question = await visitorSays(t, website, token, 'Can you help?');
    const rate = (json: unknown) => widget(t, website, `/conversations/${question.conversationId}/rating`, { method: 'PUT', token, json });

    const early = await rate({ score: 5 });
    expect({ status: early.status, code: errorCode(early.body) }).toEqual({ status: 409, code: 'conversation_not_resolved' });
    expect(await repo(t.hub.db.manager, 'Rating').countBy({ conversationId: question.conversationId })).toBe(0);

    const socket = await WidgetSocket.ready(t.url, website, token);
    try {
      await resolve(question.conversationId);
      await socket.until('the resolution', (f: ServerFrame) => f.type === 'conversation' && f.conversation.status === 'resolved');
    } finally {
      socket.close();
    }
    const rated = await rate({ score: 4, comment: '  Quick and kind  ' });
    expect(rated).toMatchObject({ status: 200, body: { rating: { score: 4, comment: 'Quick and kind' } } });
    expect((await rate({ score: 2 })).body).toEqual({ rating: { score: 2, comment: null } });

    const stored = await repo(t.hub.db.manager, 'Rating').findBy({ conversationId: question.conversationId });
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ score: 2, comment: null });
    const history = await widgetOk<WidgetHistory>(200, t, website, '/history', { token });
    expect(history.conversations.find((c) => c.id === question.conversationId)).toMatchObject({ status: 'resolved', rating: { score: 2, comment: null } });
    const audit = await expectStatus<{ items: { action: string; actorType: string }[] }>(200, t, 'GET', `/api/v1/audit?entityType=rating&entityId=${stored[0]?.id ?? ''}`);
    expect(audit.items.map((entry) => [entry.action, entry.actorType]).sort()).toEqual([
      ['rating.created', 'contact'],
      ['rating.updated', 'contact'],
    ]);
    expect((await rate({ score: 0 })).status).toBe(400);
  });

  it('offers a transcript that escapes everything and leaves out private notes', async () => {
    const { token } = await newVisitor(t, website);
    const question = await visitorSays(t, website, token, '<script>alert("xss")</script> & <img src=x onerror=alert(1)>');
    await expectStatus(201, t, 'POST', `/api/v1/conversations/${question.conversationId}/messages`, { body: 'note: this customer is difficult', private: true });
    await expectStatus(201, t, 'POST', `/api/v1/conversations/${question.conversationId}/messages`, { body: 'Here is <b>bold</b> text\nand a second line' });
    await resolve(question.conversationId);

    const response = await fetch(`${t.url}/widget/v1/conversations/${question.conversationId}/transcript`, {
      headers: { origin: 'https://shop.example.com', 'x-switchboard-website': website.key, authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="transcript-${question.conversationId}.html"`);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'.*sandbox/);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
    const html = await response.text();

    // Every tag in the file is the transcript's own.
    expect([...new Set(html.match(/<[a-z!][a-z0-9]*/gi))].sort()).toEqual(['<!DOCTYPE', '<article', '<body', '<h1', '<head', '<header', '<html', '<meta', '<p', '<strong', '<style', '<time', '<title']);
    expect(html).toContain('&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('Here is &lt;b&gt;bold&lt;/b&gt; text\nand a second line');
    expect(html).toContain('Conversation with Shop &lt;b&gt;&amp;&lt;/b&gt; &quot;Co&quot;');
    expect(html).not.toContain('difficult');
    expect(html).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    expect(html.indexOf('&lt;script&gt;')).toBeLessThan(html.indexOf('Here is'));
  });

  it('lets a visitor rate and download only their own conversations', async () => {
    const owner = await newVisitor(t, website);
    const question = await visitorSays(t, website, owner.token, 'mine');
    await resolve(question.conversationId);
    const stranger = await newVisitor(t, website);
    expect((await widget(t, website, `/conversations/${question.conversationId}/rating`, { method: 'PUT', token: stranger.token, json: { score: 1 } })).status).toBe(404);
    expect((await widget(t, website, `/conversations/${question.conversationId}/transcript`, { token: stranger.token })).status).toBe(404);
    expect(await repo(t.hub.db.manager, 'Rating').countBy({ conversationId: question.conversationId })).toBe(0);
  });
});

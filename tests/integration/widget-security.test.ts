import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { repo } from '../../src/core/model/schemas';
import type { Website } from '../../src/core/model/types';
import type { VisitorSession, WidgetHistory } from '../../src/channels/widget/protocol';
import { errorCode, expectStatus } from '../support/agent-api';
import { ENGINES } from '../support/env';
import { pngBytes } from '../support/files';
import { startTestHub, type TestHub } from '../support/hub';
import { createWebsite, ELSEWHERE, GENEROUS_LIMITS, newVisitor, SocketRefused, visitorSays, widget, WidgetSocket, widgetOk } from '../support/widget';

/**
 * Who may use the widget's endpoints: only pages of the website's allowed origins (HTTP and socket),
 * only with a token the hub signed for that website, and a visitor only ever reaches their own
 * conversations, messages and page views.
 */
describe.each(ENGINES)('widget security on %s', (engine) => {
  let t: TestHub;
  let website: Website;

  beforeAll(async () => {
    t = await startTestHub(engine, { env: GENEROUS_LIMITS });
    website = await createWebsite(t, { allowedOrigins: ['https://shop.example.com', 'https://*.brand.example'] });
  });
  afterAll(async () => {
    await t.stop();
  });

  function expectErrorShape(reply: { status: number; body: unknown }, status: number, code: string): void {
    expect({ status: reply.status, code: errorCode(reply.body) }).toEqual({ status, code });
    expect(Object.keys((reply.body as { error: object }).error).sort()).toEqual(['code', 'message']);
  }

  it('answers pages of an allowed origin with CORS for that origin, and refuses others with 403', async () => {
    const settings = await widget(t, website, '/settings');
    expect(settings.status).toBe(200);
    expect(settings.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
    expect(settings.headers.get('vary')).toMatch(/Origin/);
    expect(settings.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(settings.body).toMatchObject({ name: 'Test shop', color: '#0055ff', online: false, recordPageViews: true });

    expect((await widget(t, website, '/settings', { origin: 'https://www.brand.example' })).status).toBe(200);
    // The origin of the Referer counts when a same-origin request sends no Origin.
    expect((await widget(t, website, '/settings', { origin: null, headers: { referer: 'https://shop.example.com/cart?x=1' } })).status).toBe(200);

    for (const origin of [ELSEWHERE, 'https://brand.example', 'http://shop.example.com', 'null', null]) {
      const refused = await widget(t, website, '/settings', { origin });
      expectErrorShape(refused, 403, 'origin_not_allowed');
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    }
    // A same-origin request with neither (a page the hub serves, under no-referrer) is the hub's own origin.
    const hubOrigin = new URL(t.url).origin;
    const hubsOwn = await createWebsite(t, { allowedOrigins: [hubOrigin] });
    expect((await widget(t, hubsOwn, '/settings', { origin: null, headers: { 'sec-fetch-site': 'same-origin' } })).status).toBe(200);
    expectErrorShape(await widget(t, website, '/settings', { origin: null, headers: { 'sec-fetch-site': 'same-origin' } }), 403, 'origin_not_allowed');
    expectErrorShape(await widget(t, hubsOwn, '/settings', { origin: null, headers: { 'sec-fetch-site': 'cross-site' } }), 403, 'origin_not_allowed');
    const visitorElsewhere = await widget(t, website, '/visitors', { method: 'POST', origin: ELSEWHERE });
    expectErrorShape(visitorElsewhere, 403, 'origin_not_allowed');
    expectErrorShape(await widget(t, { key: 'wk_nosuchsite' }, '/settings'), 404, 'not_found');
    // The website may also be named in the query, as the socket does.
    expect((await widget(t, website, `/settings?website=${website.key}`, { website: null })).status).toBe(200);
  });

  it('answers CORS preflights for the widget’s methods and headers', async () => {
    const preflight = await fetch(`${t.url}/widget/v1/messages`, {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-switchboard-website' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET, POST, PUT, PATCH');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type, X-Switchboard-Website');
    const refused = await fetch(`${t.url}/widget/v1/messages?website=${website.key}`, { method: 'OPTIONS', headers: { origin: ELSEWHERE, 'access-control-request-method': 'POST' } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a socket upgrade from another origin with 403 in the JSON error shape', async () => {
    const refusal = await WidgetSocket.open(t.url, website, ELSEWHERE).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(SocketRefused);
    expect((refusal as SocketRefused).status).toBe(403);
    expect(JSON.parse((refusal as SocketRefused).body)).toEqual({ error: { code: 'origin_not_allowed', message: expect.any(String) as unknown } });

    const unknownSite = await WidgetSocket.open(t.url, { key: 'wk_nosuchsite' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect((unknownSite as SocketRefused).status).toBe(404);

    // Another path on the hub is no socket at all.
    const elsewhere = await new Promise<string>((resolve) => {
      const ws = new WebSocket(`${t.url.replace('http', 'ws')}/api/v1/events`, { origin: 'https://shop.example.com' });
      ws.once('error', (error) => resolve(error.message));
      ws.once('open', () => resolve('open'));
    });
    expect(elsewhere).not.toBe('open');
  });

  it('refuses forged, foreign and missing tokens with 401', async () => {
    const { token } = await newVisitor(t, website);
    const other = await createWebsite(t);
    const otherSession = await newVisitor(t, other);
    const [version, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims, u: 'admin' })).toString('base64url');
    const forged = [
      `${version}.${forgedPayload}.${signature}`,
      `${version}.${payload}.${signature.slice(0, -2)}AA`,
      `${version}.${payload}`,
      'v2.' + payload + '.' + signature,
      otherSession.token,
      'garbage',
    ];
    for (const bad of forged) {
      expectErrorShape(await widget(t, website, '/history', { token: bad }), 401, 'invalid_visitor_token');
      expectErrorShape(await widget(t, website, '/messages', { token: bad, json: { clientId: randomUUID(), body: 'hi' } }), 401, 'invalid_visitor_token');
    }
    expectErrorShape(await widget(t, website, '/history'), 401, 'invalid_visitor_token');

    const socket = await WidgetSocket.open(t.url, website);
    socket.send({ type: 'hello', token: forged[0] });
    expect((await socket.whenClosed()).code).toBe(4401);
    const early = await WidgetSocket.open(t.url, website);
    early.send({ type: 'ping' });
    expect((await early.whenClosed()).code).toBe(4401);
  });

  it('keeps each visitor to their own conversations, messages, ratings, transcripts and page views', async () => {
    const a = await newVisitor(t, website);
    const b = await newVisitor(t, website);
    const fromA = await visitorSays(t, website, a.token, 'A writes privately');
    await visitorSays(t, website, b.token, 'B writes');
    await expectStatus(200, t, 'PATCH', `/api/v1/conversations/${fromA.conversationId}`, { status: 'resolved' });

    const bHistory = await widgetOk<WidgetHistory>(200, t, website, '/history', { token: b.token });
    expect(bHistory.messages.map((m) => m.body)).toEqual(['B writes']);
    expect(bHistory.conversations.map((c) => c.id)).not.toContain(fromA.conversationId);
    // An id of A's as the anchor tells B nothing: B gets its own latest messages.
    expect((await widgetOk<WidgetHistory>(200, t, website, `/history?after=${fromA.id}`, { token: b.token })).messages.map((m) => m.body)).toEqual(['B writes']);

    expectErrorShape(await widget(t, website, `/conversations/${fromA.conversationId}/rating`, { method: 'PUT', token: b.token, json: { score: 1 } }), 404, 'not_found');
    expectErrorShape(await widget(t, website, `/conversations/${fromA.conversationId}/transcript`, { token: b.token }), 404, 'not_found');
    expect(await repo(t.hub.db.manager, 'Rating').countBy({ conversationId: fromA.conversationId })).toBe(0);

    const view = await widgetOk<{ id: string }>(201, t, website, '/page-views', { token: a.token, json: { url: 'https://shop.example.com/account' } });
    expectErrorShape(await widget(t, website, `/page-views/${view.id}`, { method: 'PATCH', token: b.token, json: { seconds: 999 } }), 404, 'not_found');
    expect((await repo(t.hub.db.manager, 'PageView').findOneByOrFail({ id: view.id })).durationSeconds).toBeNull();

    // B's socket hears nothing of A's conversation.
    const bSocket = await WidgetSocket.ready(t.url, website, b.token);
    await expectStatus(200, t, 'PATCH', `/api/v1/conversations/${fromA.conversationId}`, { status: 'open' });
    await expectStatus(201, t, 'POST', `/api/v1/conversations/${fromA.conversationId}/messages`, { body: 'for A only' });
    const bReply = await visitorSays(t, website, b.token, 'B again');
    await bSocket.until('B’s own message', (f) => f.type === 'message' && f.message.id === bReply.id);
    expect(JSON.stringify(bSocket.frames)).not.toContain('for A only');
    expect(JSON.stringify(bSocket.frames)).not.toContain(fromA.conversationId);
    bSocket.close();
  });

  it('answers bad input on every endpoint with a 4xx error shape and writes nothing', async () => {
    const { token } = await newVisitor(t, website);
    const counts = async () => {
      const m = t.hub.db.manager;
      return [await repo(m, 'Message').count(), await repo(m, 'Contact').count(), await repo(m, 'PageView').count(), await repo(m, 'Rating').count(), await repo(m, 'ChannelIdentity').count()];
    };
    const before = await counts();
    const id = randomUUID();
    const cases: [string, string, { json?: unknown; body?: string; headers?: Record<string, string>; method?: string }, number][] = [
      ['POST', '/messages', { json: { body: 'no clientId' } }, 400],
      ['POST', '/messages', { json: { clientId: 'x'.repeat(65), body: 'hi' } }, 400],
      ['POST', '/messages', { json: { clientId: randomUUID(), body: '   ' } }, 400],
      ['POST', '/messages', { json: { clientId: randomUUID(), body: 'hi', extra: true } }, 400],
      ['POST', '/messages', { json: { clientId: randomUUID(), body: 'nul\u0000' } }, 400],
      ['POST', '/messages', { json: { clientId: randomUUID(), body: 'hi', attachments: [{ fileKey: '0'.repeat(32) }] } }, 400],
      ['POST', '/messages', { body: '{"clientId":', headers: { 'content-type': 'application/json' } }, 400],
      ['POST', '/messages', { body: 'clientId=1&body=hi', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415],
      ['POST', '/identify', { json: { name: 'no id' } }, 400],
      ['POST', '/identify', { json: { id: 'u1', email: 'not an email' } }, 400],
      ['POST', '/profile', { json: { email: 'nope' } }, 400],
      ['POST', '/profile', { json: { phone: '+15550100' } }, 400],
      ['POST', '/offline', { json: { email: 'a@example.com' } }, 400],
      ['POST', '/offline', { json: { email: 'bad', message: 'hello' } }, 400],
      ['POST', '/page-views', { json: { url: 'javascript:alert(1)' } }, 400],
      ['POST', '/page-views', { json: { url: '/relative' } }, 400],
      ['PATCH', `/page-views/${id}`, { json: { seconds: -1 } }, 400],
      ['PATCH', '/page-views/not-a-uuid', { json: { seconds: 1 } }, 400],
      ['PUT', `/conversations/${id}/rating`, { json: { score: 6 } }, 400],
      ['PUT', `/conversations/${id}/rating`, { json: { score: 3 } }, 404],
      ['PUT', '/conversations/nope/rating', { json: { score: 3 } }, 400],
      ['GET', `/conversations/${id}/transcript`, {}, 404],
      ['GET', '/history?after=not-a-uuid', {}, 400],
    ];
    for (const [method, path, request, status] of cases) {
      const reply = await widget(t, website, path, { token, method, ...request });
      expect({ method, path, status: reply.status }).toEqual({ method, path, status });
      expect({ method, path, shape: typeof errorCode(reply.body) }).toEqual({ method, path, shape: 'string' });
    }
    const upload = await widget(t, website, '/uploads', { token, body: pngBytes(), headers: { 'content-type': 'image/png' }, origin: ELSEWHERE });
    expect(upload.status).toBe(403);
    expect(await counts()).toEqual(before);
  });

  it('starts a visitor with a token for this website only', async () => {
    const session = await newVisitor(t, website);
    expect(session).toEqual({ token: expect.stringMatching(/^v1\.[\w-]+\.[\w-]+$/) as unknown, visitorId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown, userId: null } satisfies Record<keyof VisitorSession, unknown>);
    const identity = await repo(t.hub.db.manager, 'ChannelIdentity').findOneByOrFail({ channel: 'widget', address: session.visitorId });
    expect(await repo(t.hub.db.manager, 'Contact').findOneByOrFail({ id: identity.contactId })).toMatchObject({ name: null, email: null });
  });
});

import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repo } from '../../src/core/model/schemas';
import type { Website } from '../../src/core/model/types';
import type { VisitorSession, WidgetMessage } from '../../src/channels/widget/protocol';
import { expectStatus } from '../support/agent-api';
import { ENGINES } from '../support/env';
import { pngBytes } from '../support/files';
import { startTestHub, type TestHub } from '../support/hub';
import { createWebsite, widget, type WidgetReply } from '../support/widget';

/**
 * Rate limits per visitor and per address (from X-Forwarded-For, with TRUST_PROXY, so each test has an
 * address of its own): past a limit the answer is 429 with Retry-After, and nothing is written.
 */
describe.each(ENGINES)('widget rate limits on %s', (engine) => {
  let t: TestHub;
  let website: Website;
  let addresses = 0;

  beforeAll(async () => {
    t = await startTestHub(engine, {
      env: {
        TRUST_PROXY: 'true',
        WIDGET_MESSAGES_PER_MINUTE_PER_VISITOR: '3',
        WIDGET_MESSAGES_PER_MINUTE_PER_IP: '5',
        WIDGET_CONVERSATIONS_PER_HOUR_PER_VISITOR: '1',
        WIDGET_CONVERSATIONS_PER_HOUR_PER_IP: '100',
        WIDGET_UPLOADS_PER_HOUR_PER_VISITOR: '2',
        WIDGET_UPLOADS_PER_HOUR_PER_IP: '100',
        WIDGET_VISITORS_PER_HOUR_PER_IP: '3',
        WIDGET_PAGE_VIEWS_PER_HOUR_PER_VISITOR: '2',
      },
    });
    website = await createWebsite(t);
  });
  afterAll(async () => {
    await t.stop();
  });

  /** A fresh client address for a test. */
  function address(): string {
    addresses += 1;
    return `203.0.113.${addresses}`;
  }

  const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });

  async function visitor(ip: string): Promise<VisitorSession> {
    const reply = await widget<VisitorSession>(t, website, '/visitors', { method: 'POST', ...from(ip) });
    if (reply.status !== 201) throw new Error(`POST /visitors answered ${reply.status}: ${JSON.stringify(reply.body)}`);
    return reply.body;
  }

  const send = (token: string, ip: string, body: string, clientId: string = randomUUID()) => widget<{ message: WidgetMessage }>(t, website, '/messages', { token, json: { clientId, body }, ...from(ip) });

  function expectLimited(reply: WidgetReply, window: number): void {
    expect(reply.status).toBe(429);
    const retryAfter = Number(reply.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(window);
    expect(reply.body).toEqual({ error: { code: 'rate_limited', message: expect.stringMatching(/^Too many .+; try again in \d+ seconds\.$/) as unknown, retryAfterSeconds: retryAfter } });
    // The widget reads the header across origins.
    expect(reply.headers.get('access-control-expose-headers')).toBe('Retry-After');
  }

  it('limits messages per visitor, storing nothing past the limit; a retried clientId costs nothing', async () => {
    const ip = address();
    const { token } = await visitor(ip);
    const first = await send(token, ip, 'one', 'first-client-id');
    expect(first.status).toBe(201);
    for (const body of ['two', 'three']) expect((await send(token, ip, body)).status).toBe(201);
    const before = await repo(t.hub.db.manager, 'Message').countBy({ conversationId: first.body.message.conversationId });
    expectLimited(await send(token, ip, 'four'), 60);
    expect(await repo(t.hub.db.manager, 'Message').countBy({ conversationId: first.body.message.conversationId })).toBe(before);
    expect((await send(token, ip, 'one', 'first-client-id')).status).toBe(200);
  });

  it('limits messages per address across visitors', async () => {
    const ip = address();
    const [a, b] = [await visitor(ip), await visitor(ip)];
    for (const body of ['a1', 'a2', 'a3']) expect((await send(a.token, ip, body)).status).toBe(201);
    for (const body of ['b1', 'b2']) expect((await send(b.token, ip, body)).status).toBe(201);
    expectLimited(await send(b.token, ip, 'b3'), 60);
    // From elsewhere, the same visitor may write (up to its own limit).
    expect((await send(b.token, address(), 'b3 from the phone network')).status).toBe(201);
  });

  it('limits new conversations per visitor, without counting the refused message against its messages', async () => {
    const ip = address();
    const { token } = await visitor(ip);
    const first = await send(token, ip, 'first question');
    expect(first.status).toBe(201);
    await expectStatus(200, t, 'PATCH', `/api/v1/conversations/${first.body.message.conversationId}`, { status: 'resolved' });
    const refused = await send(token, ip, 'a second question');
    expectLimited(refused, 3600);
    expect((refused.body as unknown as { error: { message: string } }).error.message).toMatch(/^Too many new conversations/);
    expect(await repo(t.hub.db.manager, 'Message').countBy({ body: 'a second question' })).toBe(0);
    await expectStatus(200, t, 'PATCH', `/api/v1/conversations/${first.body.message.conversationId}`, { status: 'open' });
    // Two message points are left: the refused message took none.
    for (const body of ['follow-up 1', 'follow-up 2']) expect((await send(token, ip, body)).status).toBe(201);
  });

  it('limits uploads per visitor, before storing the file', async () => {
    const ip = address();
    const { token } = await visitor(ip);
    const upload = () => widget(t, website, '/uploads?name=pixel.png', { token, body: pngBytes(), headers: { 'content-type': 'image/png', ...from(ip).headers } });
    expect((await upload()).status).toBe(201);
    expect((await upload()).status).toBe(201);
    const uploads = join(t.environment.dataDir, 'uploads');
    const stored = existsSync(uploads) ? readdirSync(uploads, { recursive: true }).length : 0;
    expectLimited(await upload(), 3600);
    expect(existsSync(uploads) ? readdirSync(uploads, { recursive: true }).length : 0).toBe(stored);
  });

  it('limits new visitors per address and page views per visitor', async () => {
    const ip = address();
    const contacts = async () => repo(t.hub.db.manager, 'Contact').count();
    const sessions = [await visitor(ip), await visitor(ip), await visitor(ip)];
    const before = await contacts();
    expectLimited(await widget(t, website, '/visitors', { method: 'POST', ...from(ip) }), 3600);
    expect(await contacts()).toBe(before);

    const token = sessions[0]?.token ?? '';
    const view = () => widget(t, website, '/page-views', { token, json: { url: 'https://shop.example.com/' }, ...from(ip) });
    expect((await view()).status).toBe(201);
    expect((await view()).status).toBe(201);
    const views = await repo(t.hub.db.manager, 'PageView').count();
    expectLimited(await view(), 3600);
    expect(await repo(t.hub.db.manager, 'PageView').count()).toBe(views);
  });
});

import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import type { WidgetHistory } from '../../src/channels/widget/protocol';
import type { ConversationItem } from '../support/agent-api';
import { cspViolations, launchBrowser, newVisitor } from '../support/browser';
import { CustomerSite } from '../support/customer-site';
import type { PageElement, PageGlobals } from '../support/page-globals';
import { WidgetHub } from '../support/widget-hub';
import { unique, WidgetPage } from '../support/widget-page';
import { helloOutcome } from '../support/widget-socket';

/**
 * The widget runs on pages we do not control and shows text written by strangers: nothing in a message,
 * a name or a file name may run, and a visitor sees their own conversations only, from an allowed origin.
 */

/** The agent's display name is a payload too: the widget shows it above the agent's replies. */
const AGENT_NAME = '<img src=x onerror=alert("xss-agent-name")>Ada';

let hub: WidgetHub;
let browser: Browser;

beforeAll(async () => {
  [hub, browser] = await Promise.all([WidgetHub.start({ agentName: AGENT_NAME }), launchBrowser()]);
}, 60_000);

afterAll(async () => {
  await browser.close();
  await hub.stop();
});

/** Would set window.xssRan if any handler ran, dialogs or not. */
const PAYLOADS = [
  '<script>alert("xss-script")</script>',
  '<img src=x onerror=alert("xss-img")>',
  '<img src="x" onerror="window.xssRan=1">',
  '<svg onload=alert("xss-svg")><circle r="5"></circle></svg>',
  '<svg><script>window.xssRan=2</script></svg>',
  '<a href="javascript:alert(\'xss-anchor\')">click me</a>',
  'javascript:alert("xss-link")',
  '[click me](javascript:alert("xss-markdown"))',
  '"><iframe srcdoc="<script>parent.alert(1)</script>"></iframe>',
];

/** What an injection would have left in the page (the widget's shadow root included: CSS locators go in). */
async function injected(page: Page): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const selector of ['script:not([src]):not([data-customer-site])', '[onerror]', '[onload]', '[onclick]', 'iframe', 'object', 'embed', 'img[src="x"]', 'circle', 'a[href^="javascript:" i]']) {
    counts[selector] = await page.locator(selector).count();
  }
  return counts;
}

/** The status of the page's next `POST /widget/v1/identify` (the page calls identify once loaded). */
async function identifyAnswer(page: Page): Promise<number> {
  const response = await page.waitForResponse((res) => res.url().includes('/widget/v1/identify') && res.request().method() === 'POST', { timeout: 15_000 });
  return response.status();
}

describe('XSS: payloads in messages, names and identify are shown as text and run nothing', () => {
  it('both ways, on a page without a CSP (so that an injected handler would run)', async () => {
    const { context, page, trouble } = await newVisitor(browser);
    try {
      const widget = new WidgetPage(page, hub.website.key);
      const visitorName = '<img src=x onerror=alert("xss-visitor-name")>Grace';
      const identified = identifyAnswer(page);
      await page.goto(hub.site.url(`/identify?csp=off&id=${encodeURIComponent(`anon-${randomUUID()}`)}&name=${encodeURIComponent(visitorName)}`));
      expect(await identified).toBe(200);
      await widget.open();

      const [first, ...rest] = PAYLOADS.slice(0, 5);
      const opening = unique(first ?? '');
      await widget.send(opening);
      const inbound = await hub.visitorMessage(opening);
      for (const payload of rest) await widget.send(payload);
      // The agents' API has each body exactly as typed.
      for (const payload of rest) expect((await hub.visitorMessage(payload)).body).toBe(payload);

      for (const payload of PAYLOADS.slice(5)) await hub.reply(inbound.conversationId, payload);
      const link = 'See https://acme.example/returns?order=1042 for details';
      await hub.reply(inbound.conversationId, link);
      await widget.waitForMessage('for details');
      for (const payload of [opening, ...PAYLOADS.slice(1)]) {
        await widget.waitForMessage(payload);
        expect({ payload, shown: await widget.count(payload) }).toEqual({ payload, shown: 1 });
      }
      // The agent's name is shown, as text.
      await page.getByText(AGENT_NAME).first().waitFor();

      // An http(s) link is a safe anchor; every anchor that opens elsewhere is http(s), without opener or referrer.
      const anchors = await page.locator('a[target="_blank"]').evaluateAll((elements: PageElement[]) => elements.map((a) => ({ href: a.getAttribute('href') ?? '', rel: a.getAttribute('rel') ?? '' })));
      expect(anchors.map((a) => a.href)).toContain('https://acme.example/returns?order=1042');
      for (const anchor of anchors) {
        expect(anchor.href).toMatch(/^https?:\/\//);
        expect(anchor.rel.split(/\s+/)).toEqual(expect.arrayContaining(['noopener', 'noreferrer']));
      }

      const counts = await injected(page);
      expect(counts).toEqual(Object.fromEntries(Object.keys(counts).map((key) => [key, 0])));
      expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).xssRan)).toBeUndefined();
      expect(trouble.dialogs).toEqual([]);
      expect(trouble.pageErrors).toEqual([]);

      // The visitor's name reached the contact as the text it is.
      const conversation = await hub.expect<ConversationItem>(200, 'GET', `/api/v1/conversations/${inbound.conversationId}`);
      expect(conversation.contact.name).toBe(visitorName);
    } finally {
      await context.close();
    }
  });

  it('under the strict CSP, the same payloads cause no CSP refusal (nothing tried to run)', async () => {
    const { context, page, trouble } = await newVisitor(browser);
    try {
      const widget = new WidgetPage(page, hub.website.key);
      await page.goto(hub.site.url('/'));
      await widget.open();
      const opening = unique('<img src=x onerror=alert(1)> hello');
      await widget.send(opening);
      const inbound = await hub.visitorMessage(opening);
      for (const payload of PAYLOADS.slice(0, 4)) await hub.reply(inbound.conversationId, payload);
      for (const payload of PAYLOADS.slice(0, 4)) await widget.waitForMessage(payload);
      expect({ dialogs: trouble.dialogs, errors: trouble.pageErrors, csp: cspViolations(trouble) }).toEqual({ dialogs: [], errors: [], csp: [] });
    } finally {
      await context.close();
    }
  });
});

describe('a visitor sees their own conversations only', () => {
  it("one browser's token cannot read another's conversation, over HTTP or the socket", async () => {
    const a = await newVisitor(browser);
    const b = await newVisitor(browser);
    try {
      const widgetA = new WidgetPage(a.page, hub.website.key);
      const widgetB = new WidgetPage(b.page, hub.website.key);
      await Promise.all([a.page.goto(hub.site.url('/')), b.page.goto(hub.site.url('/'))]);
      await Promise.all([widgetA.open(), widgetB.open()]);
      const secret = unique("A's card ends in 4242");
      const mine = unique("B's question");
      await widgetA.send(secret);
      await widgetB.send(mine);
      const [fromA, fromB] = await Promise.all([hub.visitorMessage(secret), hub.visitorMessage(mine)]);
      expect(fromA.conversationId).not.toBe(fromB.conversationId);
      await widgetB.waitForMessage(mine);
      expect(await widgetB.count(secret)).toBe(0);

      const tokenA = await widgetA.token();
      const tokenB = await widgetB.token();
      expect(tokenB).not.toBe(tokenA);

      // B's own history: B's conversation, nothing of A's.
      const history = await hub.widget<WidgetHistory>('GET', 'history', { token: tokenB });
      expect(history.status).toBe(200);
      expect(history.body.conversations.map((c) => c.id)).toEqual([fromB.conversationId]);
      expect(history.text).not.toContain(secret);

      // A's conversation by id, with B's token: refused, and nothing of it in the answer.
      for (const [method, path, json] of [
        ['GET', `conversations/${fromA.conversationId}/transcript`, undefined],
        ['PUT', `conversations/${fromA.conversationId}/rating`, { score: 1, comment: 'peeking' }],
      ] as const) {
        const res = await hub.widget(method, path, { token: tokenB, json });
        expect({ path, status: [403, 404].includes(res.status) }).toEqual({ path, status: true });
        expect(res.text).not.toContain(secret);
      }

      // The socket, with B's token, replays B's messages only.
      const socket = await helloOutcome(hub.url, hub.website.key, hub.site.origin, { type: 'hello', token: tokenB });
      expect(socket.frames.map((f) => f.type)).toContain('ready');
      expect(JSON.stringify(socket.frames)).not.toContain(secret);
      expect(JSON.stringify(socket.frames)).toContain(mine);

      // A forged token (A's, one character changed) is no token at all.
      const forged = `${tokenA.slice(0, -2)}${tokenA.endsWith('AA') ? 'BB' : 'AA'}`;
      const refused = await hub.widget('GET', 'history', { token: forged });
      expect(refused.status).toBe(401);
      expect(refused.text).not.toContain(secret);
      const forgedSocket = await helloOutcome(hub.url, hub.website.key, hub.site.origin, { type: 'hello', token: forged });
      expect(forgedSocket.closeCode).toBe(4401);
      expect(JSON.stringify(forgedSocket.frames)).not.toContain(secret);

      // A's token on another website (same allowed origin) is refused too.
      const other = await hub.createWebsite({ name: 'Acme Outlet', allowedOrigins: [hub.site.origin] });
      const elsewhere = await hub.widget('GET', 'history', { token: tokenA, websiteKey: other.key });
      expect(elsewhere.status).toBe(401);
      expect(elsewhere.text).not.toContain(secret);
    } finally {
      await a.context.close();
      await b.context.close();
    }
  });

  it('a page on an origin the website does not allow gets 403 and no widget, over HTTP and the socket', async () => {
    const intruder = (await CustomerSite.start()).embed(hub.link.url, hub.website.key);
    const { context, page, trouble } = await newVisitor(browser);
    try {
      // The hub's 403 carries no CORS header for the intruder, so the page cannot read it: the browser
      // reports a failed request, the hub's log the 403, and the widget gives up with a console warning.
      const seenLines = hub.process.lines.length;
      const failed = page.waitForEvent('requestfailed', { predicate: (req) => req.url().includes('/widget/v1/settings'), timeout: 15_000 });
      const gaveUp = page.waitForEvent('console', { predicate: (message) => message.text().includes('Switchboard'), timeout: 15_000 });
      await page.goto(intruder.url('/'));
      await failed;
      await hub.process.waitForLog('the 403 to the intruder page', (line) => {
        const { req, res } = line as { req?: { url?: string }; res?: { statusCode?: number } };
        return hub.process.lines.indexOf(line) >= seenLines && req?.url === '/widget/v1/settings' && res?.statusCode === 403;
      });
      expect((await gaveUp).type()).toBe('warning');
      expect(await new WidgetPage(page, hub.website.key).launcher().count()).toBe(0);
      expect(trouble.pageErrors).toEqual([]);

      // The same calls from the allowed origin are answered, with CORS for it.
      const allowed = await hub.widget('GET', 'settings');
      expect(allowed.status).toBe(200);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(hub.site.origin);

      for (const [method, path] of [
        ['GET', 'settings'],
        ['POST', 'visitors'],
      ] as const) {
        const res = await hub.widget(method, path, { origin: intruder.origin, json: method === 'POST' ? {} : undefined });
        expect({ path, status: res.status, code: (res.body as { error?: { code?: string } }).error?.code }).toEqual({ path, status: 403, code: 'origin_not_allowed' });
        expect(res.headers.get('access-control-allow-origin')).not.toBe(intruder.origin);
      }
      // A Referer from the intruder, with no Origin header, is the intruder's page too.
      const byReferer = await fetch(`${hub.url}/widget/v1/settings?website=${hub.website.key}`, { headers: { referer: intruder.url('/') } });
      expect(byReferer.status).toBe(403);

      // A real visitor's token does not open the door from another origin.
      const visitor = await hub.widget<{ token: string }>('POST', 'visitors', { json: {} });
      expect(visitor.status).toBe(201);
      expect((await hub.widget('GET', 'history', { origin: intruder.origin, token: visitor.body.token })).status).toBe(403);
      const socket = await helloOutcome(hub.url, hub.website.key, intruder.origin, { type: 'hello', token: visitor.body.token });
      expect(socket.refusedStatus).toBe(403);
    } finally {
      await context.close();
      await intruder.close();
    }
  });

  it('identify with a bad hash gets no history (nor does typing the user\'s email); with the right hash it does', async () => {
    const userId = `user-${randomUUID()}`;
    const email = `grace-${randomUUID().slice(0, 8)}@acme.example`;
    const query = (fields: Record<string, string>) => `/identify?${new URLSearchParams(fields).toString()}`;
    const owner = await newVisitor(browser);
    try {
      const widget = new WidgetPage(owner.page, hub.website.key);
      const identified = identifyAnswer(owner.page);
      await owner.page.goto(hub.site.url(query({ id: userId, email, name: 'Grace', hash: hub.identityHash(userId) })));
      expect(await identified).toBe(200);
      await widget.open();
      const secret = unique("Grace's private question");
      await widget.send(secret);
      await hub.visitorMessage(secret);
    } finally {
      await owner.context.close();
    }

    const badHash = hub.identityHash(userId).replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const attempts: Record<string, string>[] = [{ id: userId, hash: badHash }, { id: userId, hash: 'not-hex' }, { id: userId, email }];
    for (const fields of attempts) {
      const stranger = await newVisitor(browser);
      try {
        const widget = new WidgetPage(stranger.page, hub.website.key);
        const identify = identifyAnswer(stranger.page);
        await stranger.page.goto(hub.site.url(query(fields)));
        const status = await identify;
        if (fields.hash !== undefined) expect({ fields, status }).toEqual({ fields, status: 403 });
        await widget.open();
        const mine = unique('Who am I?');
        await widget.send(mine);
        await widget.waitForMessage(mine);
        expect(await stranger.page.getByText("Grace's private question").count()).toBe(0);
        const history = await hub.widget<WidgetHistory>('GET', 'history', { token: await widget.token() });
        expect(history.status).toBe(200);
        expect(history.text).not.toContain("Grace's private question");
      } finally {
        await stranger.context.close();
      }
    }

    // The control: the right hash, on another device, does get Grace's history.
    const device = await newVisitor(browser);
    try {
      const widget = new WidgetPage(device.page, hub.website.key);
      const identified = identifyAnswer(device.page);
      await device.page.goto(hub.site.url(query({ id: userId, hash: hub.identityHash(userId) })));
      expect(await identified).toBe(200);
      await widget.open();
      await device.page.getByText("Grace's private question").first().waitFor({ timeout: 10_000 });
    } finally {
      await device.context.close();
    }
  });
});

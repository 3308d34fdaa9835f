import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Browser } from 'playwright-core';
import { WebSocketServer } from 'ws';
import { cspViolations, launchBrowser, newVisitor, PageNetwork, runAxe, saveScreenshot, seriousViolations } from '../support/browser';
import { CustomerSite } from '../support/customer-site';
import { listenLocally, type LocalServer } from '../support/local-server';
import { NetworkLink } from '../support/network-link';
import type { PageGlobals } from '../support/page-globals';
import { waitFor } from '../support/processes';

/**
 * The browser harness of the widget's end-to-end tests checks itself here, without a hub: the customer
 * site's CSP is really enforced, axe really finds problems, taking a page offline really drops its
 * WebSocket, and screenshots are written.
 */

let browser: Browser;
let site: CustomerSite;
let echo: LocalServer;
let link: NetworkLink;

beforeAll(async () => {
  const http = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain', 'access-control-allow-origin': '*' }).end('pong'));
  const sockets = new WebSocketServer({ server: http });
  sockets.on('connection', (socket) => socket.on('message', (data, binary) => socket.send(data, { binary })));
  echo = await listenLocally(http);
  link = (await NetworkLink.open()).to(echo.url);
  site = (await CustomerSite.start()).embed(link.url, 'wk_harness');
  browser = await launchBrowser();
}, 30_000);

afterAll(async () => {
  await browser.close();
  await site.close();
  await link.close();
  await echo.close();
});

describe('the browser harness', () => {
  it("serves the customer site under a CSP that refuses inline scripts (Chromium enforces it)", async () => {
    const { context, page, trouble } = await newVisitor(browser);
    try {
      const response = await page.goto(site.url('/inline'));
      expect(response?.headers()['content-security-policy']).toContain(`script-src ${link.url} 'nonce-`);
      expect(await page.locator('body').getAttribute('data-inline')).toBeNull();
      await waitFor('the CSP refusal in the console', () => cspViolations(trouble).length > 0, 5_000);
      expect(cspViolations(trouble)[0]).toMatch(/inline script/i);

      // Without the header, the same script runs: the refusal above is the policy's doing.
      await page.goto(site.url('/inline?csp=off'));
      expect(await page.locator('body').getAttribute('data-inline')).toBe('ran');
    } finally {
      await context.close();
    }
  });

  it('runs axe-core in a page under that CSP: a clean page passes, an image without alt is critical', async () => {
    const { context, page } = await newVisitor(browser);
    try {
      await page.goto(site.url('/plain'));
      expect(seriousViolations(await runAxe(page))).toEqual([]);
      await page.goto(site.url('/plain?bad=1'));
      const found = seriousViolations(await runAxe(page));
      expect(found.map((v) => [v.id, v.impact])).toContainEqual(['image-alt', 'critical']);
    } finally {
      await context.close();
    }
  });

  it("takes a page offline: its open WebSocket closes, requests fail, and it connects again once back online", async () => {
    const { context, page } = await newVisitor(browser);
    try {
      await page.goto(site.url('/plain'));
      const socketUrl = link.url.replace('http:', 'ws:');
      await page.evaluate(async (url: string) => {
        const global = globalThis as unknown as PageGlobals;
        const state = { closed: false, echoed: [] as string[] };
        const socket = new global.WebSocket(url);
        socket.onmessage = (event) => state.echoed.push(event.data);
        socket.onclose = () => (state.closed = true);
        global.harness = state;
        await new Promise<void>((resolve) => (socket.onopen = resolve));
        socket.send('before');
      }, socketUrl);
      const state = () => page.evaluate(() => (globalThis as unknown as PageGlobals).harness as { closed: boolean; echoed: string[] });
      await waitFor('the echo', async () => (await state()).echoed.includes('before'), 5_000);

      const network = await PageNetwork.of(context, page, link);
      await network.offline();
      await waitFor('the socket to close', async () => (await state()).closed, 5_000);
      expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).navigator.onLine)).toBe(false);
      const offlineFetch = await page.evaluate(async (url: string) => fetch(url).then((r) => `status ${r.status}`, (e: unknown) => `failed: ${String(e)}`), link.url);
      expect(offlineFetch).toMatch(/^failed/);

      await network.online();
      const reconnected = await page.evaluate(async (url: string) => {
        const socket = new (globalThis as unknown as PageGlobals).WebSocket(url);
        return new Promise<string>((resolve) => {
          socket.onopen = () => socket.send('after');
          socket.onmessage = (event) => resolve(event.data);
          socket.onclose = () => resolve('closed');
        });
      }, socketUrl);
      expect(reconnected).toBe('after');
      expect(await page.evaluate(async (url: string) => (await fetch(url)).text(), link.url)).toBe('pong');
    } finally {
      await context.close();
    }
  });

  it('saves a screenshot a person can open', async () => {
    const { context, page } = await newVisitor(browser);
    try {
      await page.goto(site.url('/plain'));
      const path = await saveScreenshot(page, 'harness-customer-site');
      expect(readFileSync(path).subarray(1, 4).toString('ascii')).toBe('PNG');
      rmSync(path);
    } finally {
      await context.close();
    }
  });
});

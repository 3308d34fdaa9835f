import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import type { MessageItem } from '../support/agent-api';
import { cspViolations, launchBrowser, newTab, newVisitor, PageNetwork, runAxe, saveScreenshot, seriousViolations, type PageTrouble } from '../support/browser';
import type { PageElement } from '../support/page-globals';
import { WidgetHub } from '../support/widget-hub';
import { unique, WidgetPage } from '../support/widget-page';

/**
 * The widget as a visitor uses it, in Debian's Chromium, on a customer site under a strict CSP, talking
 * to a real hub process; the agent's side is the API. Issue #5, "How it is tested".
 */

let hub: WidgetHub;
let browser: Browser;

beforeAll(async () => {
  [hub, browser] = await Promise.all([WidgetHub.start({ seedDemo: true }), launchBrowser()]);
}, 60_000);

afterAll(async () => {
  await browser.close();
  await hub.stop();
});

/** Nothing went wrong in the page: no dialog, no uncaught error, no CSP refusal. */
function expectNoTrouble(trouble: PageTrouble): void {
  expect({ dialogs: trouble.dialogs, pageErrors: trouble.pageErrors, csp: cspViolations(trouble) }).toEqual({ dialogs: [], pageErrors: [], csp: [] });
}

describe('the widget on a customer site', () => {
  it('opens by its accessible name; a message reaches the API, the reply appears live, and the history follows the visitor on reload, to another page and tab', async () => {
    const { context, page, trouble } = await newVisitor(browser);
    try {
      const widget = new WidgetPage(page, hub.website.key);
      await page.goto(hub.site.url('/'));
      await widget.open();
      // The widget lives in a shadow root: the page's CSS cannot reach it.
      expect(await widget.textbox().evaluate((element: PageElement) => element.getRootNode() !== element.ownerDocument)).toBe(true);

      const hello = unique('Hello, do you ship to Lyon?');
      await widget.send(hello);
      const inbound = await hub.visitorMessage(hello);
      expect(inbound).toMatchObject({ channel: 'widget', direction: 'inbound', body: hello });
      await widget.waitForMessage(hello);

      const answer = unique('Yes, within three days.');
      const postedAt = Date.now();
      await hub.reply(inbound.conversationId, answer);
      await widget.waitForMessage(answer);
      // "Within a second" on a quiet machine; the bound leaves room for a busy CI runner.
      expect(Date.now() - postedAt).toBeLessThan(3_000);

      await page.reload();
      await widget.open();
      await widget.waitForMessage(answer);
      expect([await widget.count(hello), await widget.count(answer)]).toEqual([1, 1]);
      expect(await widget.order([answer, hello])).toEqual([hello, answer]);

      // Another page of the site, in a second tab: the same conversation, and it goes on in both.
      const second = await newTab(context);
      const widget2 = new WidgetPage(second.page, hub.website.key);
      await second.page.goto(hub.site.url('/second'));
      await widget2.open();
      await widget2.waitForMessage(answer);
      expect([await widget2.count(hello), await widget2.count(answer)]).toEqual([1, 1]);
      const fromSecondTab = unique('And do you have the 10-litre can?');
      await widget2.send(fromSecondTab);
      const again = await hub.visitorMessage(fromSecondTab);
      expect(again.conversationId).toBe(inbound.conversationId);
      await widget.waitForMessage(fromSecondTab);
      expect(await widget.count(fromSecondTab)).toBe(1);

      expectNoTrouble(trouble);
      expectNoTrouble(second.trouble);
    } finally {
      await context.close();
    }
  });

  it('after a network loss, three agent replies sent meanwhile each appear exactly once, in order', async () => {
    const { context, page, trouble } = await newVisitor(browser);
    try {
      const widget = new WidgetPage(page, hub.website.key);
      await page.goto(hub.site.url('/'));
      await widget.open();
      const question = unique('Is my order on its way?');
      await widget.send(question);
      const inbound = await hub.visitorMessage(question);
      const before = unique('Let me check.');
      await hub.reply(inbound.conversationId, before);
      await widget.waitForMessage(before);

      const network = await PageNetwork.of(context, page, hub.link);
      await network.offline();
      const replies = [unique('It left the warehouse this morning.'), unique('Tracking number 1Z999.'), unique('It should arrive on Friday.')];
      const sent: MessageItem[] = [];
      for (const reply of replies) sent.push(await hub.reply(inbound.conversationId, reply));
      for (const message of sent) await hub.sent(message);
      // The socket is really gone: none of them reached the page while it was offline.
      for (const reply of replies) expect(await widget.count(reply)).toBe(0);

      await network.online();
      for (const reply of replies) await widget.waitForMessage(reply, 30_000);
      const all = [question, before, ...replies];
      expect(await Promise.all(all.map((text) => widget.count(text)))).toEqual(all.map(() => 1));
      expect(await widget.order(all)).toEqual(all);
      expect(trouble.dialogs).toEqual([]);
      expect(trouble.pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('works with the keyboard alone: Tab to the launcher, Enter, write, send, Escape, and the focus is back on the launcher', async () => {
    const { context, page, trouble } = await newVisitor(browser);
    try {
      const widget = new WidgetPage(page, hub.website.key);
      await page.goto(hub.site.url('/'));
      await widget.launcher().waitFor({ state: 'visible', timeout: 15_000 });
      await widget.tabTo(widget.launcher(), 'the launcher');
      expect(await widget.focusIsVisible(widget.launcher())).toBe(true);

      await page.keyboard.press('Enter');
      await widget.textbox().waitFor({ state: 'visible' });
      await widget.tabTo(widget.textbox(), 'the message box');
      const typed = unique('Typed without a mouse');
      await page.keyboard.type(typed);
      await widget.tabTo(widget.sendButton(), 'the Send button');
      expect(await widget.focusIsVisible(widget.sendButton())).toBe(true);
      await page.keyboard.press('Enter');
      await hub.visitorMessage(typed);
      await widget.waitForMessage(typed);

      await page.keyboard.press('Escape');
      await widget.textbox().waitFor({ state: 'hidden' });
      await widget.launcher().waitFor({ state: 'visible' });
      expect(await widget.hasFocus(widget.launcher())).toBe(true);
      expectNoTrouble(trouble);
    } finally {
      await context.close();
    }
  });

  it('has no serious or critical axe-core violation, closed or open with messages', async () => {
    const { context, page } = await newVisitor(browser);
    try {
      const widget = new WidgetPage(page, hub.website.key);
      await page.goto(hub.site.url('/'));
      await widget.launcher().waitFor({ state: 'visible', timeout: 15_000 });
      expect(seriousViolations(await runAxe(page))).toEqual([]);

      await widget.open();
      const question = unique('Can I return a rake?');
      await widget.send(question);
      const inbound = await hub.visitorMessage(question);
      const reply = unique('Yes, within 30 days: https://acme.example/returns');
      await hub.reply(inbound.conversationId, reply);
      await widget.page.getByText('Yes, within 30 days').first().waitFor();
      expect(seriousViolations(await runAxe(page))).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('on a narrow screen, the open panel covers the screen', async () => {
    const { context, page } = await newVisitor(browser, { viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true, reducedMotion: 'reduce' });
    try {
      const widget = new WidgetPage(page, hub.website.key);
      await page.goto(hub.site.url('/'));
      await widget.open();
      const box = await page.getByRole('dialog', { name: hub.website.name }).boundingBox();
      expect([box?.x, box?.y, box?.width, box?.height].map((n) => Math.round(n ?? -1))).toEqual([0, 0, 375, 667]);
    } finally {
      await context.close();
    }
  });

  it('the demo page (GET /demo) shows the widget; a screenshot of it open is saved in tests/artifacts/', async () => {
    const { context, page, trouble } = await newVisitor(browser, { viewport: { width: 1280, height: 800 } });
    try {
      const response = await page.goto(`${hub.link.url}/demo`);
      expect(response?.status()).toBe(200);
      const widget = new WidgetPage(page, '');
      await widget.open();
      await widget.textbox().fill('Hello! Is anyone there?');
      const path = await saveScreenshot(page, 'widget-demo');
      expect(existsSync(path)).toBe(true);
      expect(trouble.pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

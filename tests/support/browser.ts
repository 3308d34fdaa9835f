import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type CDPSession, type Page } from 'playwright-core';
import type { NetworkLink } from './network-link';
import type { PageDocument, PageGlobals } from './page-globals';
import { ROOT } from './processes';

/**
 * Debian's Chromium driven by playwright-core (which downloads no browser): one browser per test file,
 * a new context (its own storage: another visitor) per test that needs one.
 */

export const CHROMIUM = '/usr/bin/chromium';

/** Screenshots land here (git-ignored) for a person to look at. */
export const ARTIFACTS = join(ROOT, 'tests', 'artifacts');

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`the browser tests need Debian's chromium at ${CHROMIUM}: apt-get install chromium (.ci/run installs it)`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30_000 });
}

/** What a page did that a test may have to fail on: alerts, uncaught errors, console errors. */
export interface PageTrouble {
  dialogs: string[];
  pageErrors: string[];
  consoleErrors: string[];
}

/**
 * Records a page's dialogs (dismissed at once, so a payload's `alert` cannot hang the test), uncaught
 * errors and console errors (where Chromium reports Content-Security-Policy violations).
 */
export function watchPage(page: Page): PageTrouble {
  const trouble: PageTrouble = { dialogs: [], pageErrors: [], consoleErrors: [] };
  page.on('dialog', (dialog) => {
    trouble.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss().catch(() => undefined);
  });
  page.on('pageerror', (error) => trouble.pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') trouble.consoleErrors.push(message.text());
  });
  return trouble;
}

/** The console errors that are Content-Security-Policy refusals. */
export function cspViolations(trouble: PageTrouble): string[] {
  return trouble.consoleErrors.filter((text) => /Content Security Policy/i.test(text));
}

export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  trouble: PageTrouble;
}

/** A fresh context (nothing stored: a new visitor) with one watched page in it. */
export async function newVisitor(browser: Browser, options: BrowserContextOptions = {}): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'en-US', ...options });
  // Under jest's 30 s per test: a wait that fails says what it waited for, instead of a bare test timeout.
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  return { context, page, trouble: watchPage(page) };
}

/** Another tab of the same context (same storage), watched. */
export async function newTab(context: BrowserContext): Promise<{ page: Page; trouble: PageTrouble }> {
  const page = await context.newPage();
  return { page, trouble: watchPage(page) };
}

/**
 * The network between one page and the hub. `offline()` takes the page offline through CDP (new requests
 * fail at once with ERR_INTERNET_DISCONNECTED, `navigator.onLine` turns false) and cuts the link, since
 * offline emulation alone leaves open WebSockets working; `online()` undoes both.
 */
export class PageNetwork {
  private constructor(
    private readonly cdp: CDPSession,
    private readonly link: NetworkLink | undefined,
  ) {}

  static async of(context: BrowserContext, page: Page, link?: NetworkLink): Promise<PageNetwork> {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    return new PageNetwork(cdp, link);
  }

  async offline(): Promise<void> {
    await this.cdp.send('Network.emulateNetworkConditions', { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    this.link?.cut();
  }

  async online(): Promise<void> {
    this.link?.restore();
    await this.cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  }
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown; failureSummary: string | undefined }[];
}

let axeSource: string | undefined;

/**
 * Runs axe-core in the page and returns its violations. The source is evaluated rather than added as a
 * script tag, which the page's CSP would refuse. axe walks open shadow roots, so the widget is included.
 */
export async function runAxe(page: Page, options: { tags?: string[] } = {}): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  const loaded = await page.evaluate((source: string) => {
    const global = globalThis as unknown as PageGlobals;
    if (global.axe === undefined) global.eval(source);
    return global.axe !== undefined;
  }, axeSource);
  if (!loaded) throw new Error('axe-core did not load in the page');
  const tags = options.tags ?? ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
  return page.evaluate(async (runOnly: string[]) => {
    interface Axe {
      run(context: PageDocument, options: { runOnly: { type: 'tag'; values: string[] }; resultTypes: string[] }): Promise<{ violations: { id: string; impact?: string | null; help: string; nodes: { target: unknown; failureSummary?: string }[] }[] }>;
    }
    const global = globalThis as unknown as PageGlobals;
    const axe = global.axe as Axe;
    const result = await axe.run(global.document, { runOnly: { type: 'tag', values: runOnly }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact ?? null, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  }, tags);
}

/** Violations a user is blocked by (axe's serious and critical impacts). */
export function seriousViolations(violations: AxeViolation[]): AxeViolation[] {
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Saves a screenshot of the page under tests/artifacts/ and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

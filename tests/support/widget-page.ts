import { randomUUID } from 'node:crypto';
import type { Locator, Page } from 'playwright-core';
import type { PageElement, PageGlobals } from './page-globals';
import { waitFor } from './processes';

/**
 * The chat widget in a page, found the way a person (or a screen reader) finds it: by roles and
 * accessible names. Playwright's role and text locators go into open shadow roots.
 */
export class WidgetPage {
  constructor(
    readonly page: Page,
    private readonly websiteKey: string,
  ) {}

  launcher(): Locator {
    return this.page.getByRole('button', { name: 'Open chat', exact: true });
  }

  textbox(): Locator {
    return this.page.getByRole('textbox', { name: 'Message', exact: true });
  }

  sendButton(): Locator {
    return this.page.getByRole('button', { name: 'Send', exact: true });
  }

  /** The file input behind the attach button (CSS locators go into open shadow roots too). */
  fileInput(): Locator {
    return this.page.locator('input[type="file"]');
  }

  /** Opens the panel (clicking the launcher) unless it is open already, e.g. after a reload. */
  async open(timeoutMs = 15_000): Promise<void> {
    const either = this.launcher().or(this.textbox());
    await either.first().waitFor({ state: 'visible', timeout: timeoutMs });
    if (!(await this.textbox().isVisible())) await this.launcher().click();
    await this.textbox().waitFor({ state: 'visible', timeout: timeoutMs });
  }

  async send(text: string): Promise<void> {
    await this.textbox().fill(text);
    await this.sendButton().click();
  }

  /** The conversation: a list named "Messages", one list item per message. */
  items(): Locator {
    return this.page.getByRole('list', { name: 'Messages', exact: true }).getByRole('listitem');
  }

  /** The messages whose text contains this (tests make their texts unique). */
  message(text: string): Locator {
    return this.items().filter({ hasText: text });
  }

  async waitForMessage(text: string, timeoutMs = 10_000): Promise<void> {
    await this.message(text).first().waitFor({ state: 'visible', timeout: timeoutMs });
  }

  /** How many messages show this text. */
  count(text: string): Promise<number> {
    return this.message(text).count();
  }

  /** The texts given, in the order of the messages that show them (those not shown are left out). */
  async order(texts: readonly string[]): Promise<string[]> {
    const shown = await this.items().allTextContents();
    return texts
      .map((text) => ({ text, index: shown.findIndex((item) => item.includes(text)) }))
      .filter((found) => found.index >= 0)
      .sort((a, b) => a.index - b.index)
      .map((found) => found.text);
  }

  /** Attaches a file as the attach button would, and waits for its upload to end (Send is enabled again). */
  async attach(file: { name: string; mimeType: string; buffer: Buffer }): Promise<void> {
    await this.fileInput().setInputFiles(file);
    await waitFor(`the upload of ${file.name} to end`, () => this.sendButton().isEnabled(), 15_000);
  }

  /** The visitor's token as the widget keeps it in localStorage (`switchboard:<websiteKey>`). */
  async token(): Promise<string> {
    const key = `switchboard:${this.websiteKey}`;
    const stored = await waitFor(`localStorage ${key}`, () => this.page.evaluate((k: string) => (globalThis as unknown as PageGlobals).localStorage.getItem(k), key), 10_000);
    if (stored === null) throw new Error(`nothing in localStorage ${key}`);
    try {
      const parsed: unknown = JSON.parse(stored);
      const token = (parsed as { token?: unknown } | null)?.token;
      if (typeof token === 'string') return token;
    } catch {
      // not JSON: the token itself
    }
    return stored;
  }

  /** Whether the element has the focus, looking through shadow roots (document.activeElement is the host). */
  hasFocus(locator: Locator): Promise<boolean> {
    return locator.evaluate((element: PageElement) => {
      let active = (globalThis as unknown as PageGlobals).document.activeElement;
      while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
      return active === element;
    });
  }

  /** Whether the focused element shows it: an outline or a box shadow. */
  focusIsVisible(locator: Locator): Promise<boolean> {
    return locator.evaluate((element: PageElement) => {
      const style = (globalThis as unknown as PageGlobals).getComputedStyle(element);
      return (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
    });
  }

  /** Presses Tab until the element has the focus; fails after `maxPresses`. */
  async tabTo(locator: Locator, what: string, maxPresses = 15): Promise<void> {
    for (let i = 0; i <= maxPresses; i++) {
      if ((await locator.count()) === 1 && (await this.hasFocus(locator))) return;
      await this.page.keyboard.press('Tab');
    }
    throw new Error(`${what} did not get the focus after ${maxPresses} presses of Tab`);
  }
}

/** A text no other test sends, so a test finds its own message among the widget's. */
export function unique(text: string): string {
  return `${text} [${randomUUID().slice(0, 8)}]`;
}

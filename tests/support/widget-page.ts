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

  closer(): Locator {
    return this.page.getByRole('button', { name: 'Close chat', exact: true }).first();
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

  /** Where a message's text is shown (exactly that text). */
  message(text: string): Locator {
    return this.page.getByText(text, { exact: true });
  }

  async waitForMessage(text: string, timeoutMs = 10_000): Promise<void> {
    await this.message(text).first().waitFor({ state: 'visible', timeout: timeoutMs });
  }

  /** How many times a message's text is shown. */
  count(text: string): Promise<number> {
    return this.message(text).count();
  }

  /** The texts given, in the order they are shown top to bottom (those not shown are left out). */
  async order(texts: readonly string[]): Promise<string[]> {
    const shown: { text: string; y: number }[] = [];
    for (const text of texts) {
      const box = (await this.count(text)) > 0 ? await this.message(text).first().boundingBox() : null;
      if (box) shown.push({ text, y: box.y });
    }
    return shown.sort((a, b) => a.y - b.y).map((s) => s.text);
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

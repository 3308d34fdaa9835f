import type { Browser, Page } from 'playwright-core';
import type { MessageItem } from '../support/agent-api';
import { launchBrowser, newVisitor, type PageTrouble } from '../support/browser';
import { exeBytes, pngBytes } from '../support/files';
import type { PageElement, PageFileTransfer } from '../support/page-globals';
import { waitFor } from '../support/processes';
import { WidgetHub } from '../support/widget-hub';
import { unique, WidgetPage } from '../support/widget-page';

/**
 * Files from the widget: an allowed picture goes to the agent byte for byte and comes back as a
 * thumbnail; a program dressed as a picture, an SVG and a file over the limit are refused, and the
 * visitor is told why. File names are text, whatever they contain.
 */

const MAX_BYTES = 100_000;

let hub: WidgetHub;
let browser: Browser;

beforeAll(async () => {
  [hub, browser] = await Promise.all([WidgetHub.start({ env: { UPLOAD_MAX_BYTES: String(MAX_BYTES) } }), launchBrowser()]);
}, 60_000);

afterAll(async () => {
  await browser.close();
  await hub.stop();
});

/** A visitor with the panel open and a conversation started (so the agent knows where to look). */
async function chatting(): Promise<{ page: Page; widget: WidgetPage; trouble: PageTrouble; conversationId: string; close(): Promise<void> }> {
  const { context, page, trouble } = await newVisitor(browser);
  const widget = new WidgetPage(page, hub.website.key);
  await page.goto(hub.site.url('/'));
  await widget.open();
  const hello = unique('I have a photo of the broken rake');
  await widget.send(hello);
  const { conversationId } = await hub.visitorMessage(hello);
  return { page, widget, trouble, conversationId, close: () => context.close() };
}

/** The thumbnails the widget shows, with whether their image loaded. */
function thumbnails(page: Page): Promise<{ alt: string | null; loaded: boolean }[]> {
  return page.locator('img').evaluateAll((images: (PageElement & { complete: boolean; naturalWidth: number })[]) =>
    images.map((img) => ({ alt: img.getAttribute('alt'), loaded: img.complete && img.naturalWidth > 0 })),
  );
}

/**
 * Hands a picture to the widget as a browser does when it is pasted into the message box, or dropped
 * (the drop event starts on the message box and bubbles to the panel, which takes it).
 */
async function handOver(page: Page, how: 'paste' | 'drop', name: string, bytes: Buffer): Promise<void> {
  await page.getByRole('textbox', { name: 'Message' }).evaluate(
    (element, file) => {
      const browser = globalThis as unknown as PageFileTransfer;
      const transfer = new browser.DataTransfer();
      transfer.items.add(new browser.File([new Uint8Array(file.bytes)], file.name, { type: 'image/png' }));
      const event =
        file.how === 'paste'
          ? new browser.ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true })
          : new browser.DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true });
      (element as unknown as { dispatchEvent(event: unknown): boolean }).dispatchEvent(event);
    },
    { how, name, bytes: [...bytes] },
  );
}

/** The messages of a conversation that carry an attachment. */
async function withAttachments(conversationId: string): Promise<MessageItem[]> {
  return (await hub.messages(conversationId)).filter((m) => m.attachments.length > 0);
}

describe('widget uploads', () => {
  it('an allowed PNG reaches the agent byte for byte, is shown as a thumbnail, and one from the agent comes back as one', async () => {
    const visitor = await chatting();
    try {
      const bytes = pngBytes();
      await visitor.widget.attach({ name: 'broken-rake.png', mimeType: 'image/png', buffer: bytes });
      await visitor.widget.sendButton().click();
      const message = await hub.events.until('a visitor message with the picture', (stream) =>
        stream
          .parsed('message.created')
          .map((event) => (event.json as { data: { message: MessageItem } }).data.message)
          .find((m) => m.conversationId === visitor.conversationId && m.attachments.some((a) => a.name === 'broken-rake.png')),
      );
      const attachment = message.attachments.find((a) => a.name === 'broken-rake.png');
      expect(attachment).toMatchObject({ contentType: 'image/png', size: bytes.length });
      const download = await fetch(attachment?.url ?? '', { headers: { authorization: `Bearer ${hub.adminKey}` } });
      expect(download.status).toBe(200);
      expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);

      await waitFor('the thumbnail of the sent picture', async () => (await thumbnails(visitor.page)).some((t) => t.loaded), 10_000);

      // The agent attaches a picture too: the widget shows it from a signed link of the hub.
      const stored = await fetch(`${hub.url}/api/v1/files?name=receipt.png`, { method: 'POST', headers: { authorization: `Bearer ${hub.agentKey}`, 'content-type': 'image/png' }, body: bytes });
      expect(stored.status).toBe(201);
      const { fileKey } = (await stored.json()) as { fileKey: string };
      await hub.reply(visitor.conversationId, 'Here is your receipt.', [{ fileKey }]);
      await visitor.widget.waitForMessage('Here is your receipt.');
      await waitFor('two loaded thumbnails', async () => (await thumbnails(visitor.page)).filter((t) => t.loaded).length >= 2, 10_000);
      expect(visitor.trouble.pageErrors).toEqual([]);
    } finally {
      await visitor.close();
    }
  });

  it('a picture pasted into the message box and one dropped on the panel go out with the message', async () => {
    const visitor = await chatting();
    try {
      const bytes = pngBytes();
      await handOver(visitor.page, 'paste', 'pasted.png', bytes);
      await handOver(visitor.page, 'drop', 'dropped.png', bytes);
      await waitFor('both uploads to end', async () => (await visitor.widget.sendButton().isEnabled()) && (await visitor.page.getByRole('button', { name: /dropped\.png/ }).count()) === 1, 15_000);
      await visitor.widget.sendButton().click();
      await waitFor('the message with both pictures', async () => {
        const sent = await withAttachments(visitor.conversationId);
        return sent.some((m) => m.attachments.map((a) => a.name).sort().join() === 'dropped.png,pasted.png');
      }, 15_000);
      expect(visitor.trouble.pageErrors).toEqual([]);
    } finally {
      await visitor.close();
    }
  });

  /** Each refused file, what the widget must say, and the declared type a script would send it with. */
  const refusals: [string, { name: string; mimeType: string; buffer: Buffer }, RegExp, number][] = [
    ['a program renamed .png', { name: 'invoice.png', mimeType: 'image/png', buffer: exeBytes() }, /not accepted|not allowed/i, 415],
    ['an SVG', { name: 'logo.svg', mimeType: 'image/svg+xml', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>') }, /not accepted|not allowed/i, 415],
    ['a file over the size limit', { name: 'huge.png', mimeType: 'image/png', buffer: Buffer.concat([pngBytes(), Buffer.alloc(MAX_BYTES)]) }, /too large|limit/i, 413],
  ];

  it.each(refusals)('%s is refused, with a clear message in the widget, by the hub too, and nothing reaches the agent', async (_what, file, message, status) => {
    const visitor = await chatting();
    try {
      await visitor.widget.attach(file);
      const alert = visitor.page.getByRole('alert').filter({ hasText: message });
      await alert.waitFor({ state: 'visible', timeout: 10_000 });
      expect(await alert.textContent()).toContain(file.name);

      // The widget may refuse before uploading (it knows the size limit and the types): the hub refuses
      // the same file on its own, declared as a PNG, whatever a script sends.
      const direct = await hub.widget<{ error?: { code?: string } }>('POST', `uploads?name=${encodeURIComponent(file.name)}`, {
        token: await visitor.widget.token(),
        bytes: { body: file.buffer, contentType: 'image/png' },
      });
      expect(direct.status).toBe(status);

      expect(await withAttachments(visitor.conversationId)).toEqual([]);
      expect(visitor.trouble.dialogs).toEqual([]);
      expect(visitor.trouble.pageErrors).toEqual([]);
    } finally {
      await visitor.close();
    }
  });

  it('file names are shown as text, both ways', async () => {
    const visitor = await chatting();
    try {
      const fromVisitor = '<img src=x onerror=alert("xss-file-name")>.png';
      await visitor.widget.attach({ name: fromVisitor, mimeType: 'image/png', buffer: pngBytes() });
      await visitor.widget.sendButton().click();
      const [sent] = await waitFor('the picture to reach the agent', async () => {
        const found = await withAttachments(visitor.conversationId);
        return found.length > 0 && found;
      }, 10_000);
      expect(sent?.attachments[0]?.name).toBe(fromVisitor);
      // A picture: its name is the thumbnail's alt text.
      await waitFor('the thumbnail', async () => (await thumbnails(visitor.page)).find((t) => t.alt === fromVisitor), 10_000);

      const fromAgent = '"><svg onload=alert("xss-agent-file")>.pdf';
      const stored = await fetch(`${hub.url}/api/v1/files?name=${encodeURIComponent(fromAgent)}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${hub.agentKey}`, 'content-type': 'application/pdf' },
        body: Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n'),
      });
      expect(stored.status).toBe(201);
      const { fileKey, name } = (await stored.json()) as { fileKey: string; name: string };
      await hub.reply(visitor.conversationId, 'The manual is attached.', [{ fileKey }]);
      await visitor.widget.waitForMessage('The manual is attached.');
      await visitor.page.getByText(name).first().waitFor({ timeout: 10_000 });

      expect(await visitor.page.locator('img[src="x"], svg[onload], [onerror], [onload]').count()).toBe(0);
      expect(visitor.trouble.dialogs).toEqual([]);
      expect(visitor.trouble.pageErrors).toEqual([]);
    } finally {
      await visitor.close();
    }
  });
});

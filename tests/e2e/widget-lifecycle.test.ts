import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import type { ConversationItem, MessageItem } from '../support/agent-api';
import { launchBrowser, newVisitor, type WatchedPage } from '../support/browser';
import { waitFor } from '../support/processes';
import { WidgetHub } from '../support/widget-hub';
import { unique, WidgetPage } from '../support/widget-page';

/**
 * The rest of a chat's life in the browser, beyond the list of the tests: nobody online (the
 * offline form), typing and read receipts both ways, resolution (rating and transcript), the pages a
 * visitor saw, and the second language.
 */

let hub: WidgetHub;
let browser: Browser;

beforeAll(async () => {
  [hub, browser] = await Promise.all([WidgetHub.start(), launchBrowser()]);
}, 60_000);

afterAll(async () => {
  await browser.close();
  await hub.stop();
});

/** A visitor on the site's home page with the panel open and a first message sent. */
async function chatting(path = '/'): Promise<WatchedPage & { widget: WidgetPage; conversationId: string; hello: string }> {
  const visitor = await newVisitor(browser);
  const widget = new WidgetPage(visitor.page, hub.website.key);
  await visitor.page.goto(hub.site.url(path));
  await widget.open();
  const hello = unique('Hello');
  await widget.send(hello);
  const { conversationId } = await hub.visitorMessage(hello);
  return { ...visitor, widget, conversationId, hello };
}

describe('the widget over a conversation', () => {
  it('while nobody is online, shows the away message and an offline form whose message reaches the agents', async () => {
    await hub.expect(200, 'PATCH', `/api/v1/agents/${hub.agent.id}`, { status: 'away' });
    const { context, page, trouble } = await newVisitor(browser);
    try {
      await page.goto(hub.site.url('/'));
      await page.getByRole('button', { name: 'Open chat', exact: true }).click();
      await page.getByText('We are away right now', { exact: false }).first().waitFor();
      await page.getByRole('textbox', { name: 'Email' }).fill('late@example.com');
      const question = unique('Do you deliver on Sundays?');
      await page.getByRole('textbox', { name: 'Message' }).fill(question);
      await page.getByRole('button', { name: 'Leave a message' }).click();
      await page.getByText('Thank you! We will answer by email.').waitFor();
      const message = await hub.visitorMessage(question);
      expect(message.metadata.offline).toBe(true);
      expect(trouble.pageErrors).toEqual([]);
    } finally {
      await context.close();
      await hub.expect(200, 'PATCH', `/api/v1/agents/${hub.agent.id}`, { status: 'online' });
    }
  });

  it('shows typing both ways; the agent sees their reply read, and the visitor sees their message seen', async () => {
    const visitor = await chatting();
    try {
      // The visitor types: agents get conversation.typing on the event stream.
      await visitor.widget.textbox().pressSequentially('I am still');
      await hub.events.until(
        'the visitor typing',
        (stream) =>
          stream.parsed('conversation.typing').find((e) => {
            const event = e.json as { conversationId: string; data: { typing: boolean; from: string } };
            return event.conversationId === visitor.conversationId && event.data.typing && event.data.from === 'visitor';
          }),
        10_000,
      );

      // The agent types: the widget says so, with the agent's name.
      await hub.expect(204, 'POST', `/api/v1/conversations/${visitor.conversationId}/typing`, { typing: true }, hub.agentKey);
      await visitor.page.getByText(`${hub.agent.name} is typing…`).waitFor();

      // A reply shown in the open panel is read: the API's delivery status says so.
      const reply = await hub.reply(visitor.conversationId, unique('Take your time.'));
      await visitor.widget.waitForMessage(reply.body);
      await waitFor('the reply to be read', async () => (await hub.messages(visitor.conversationId)).find((m: MessageItem) => m.id === reply.id && m.deliveryStatus === 'read'), 10_000);

      // The agent reads the conversation: the visitor's last message shows as seen, live, and after a reload.
      const last = unique('Thanks!');
      await visitor.widget.send(last);
      await hub.visitorMessage(last);
      await visitor.widget.message(last).getByText('Sent', { exact: true }).waitFor();
      await hub.expect(200, 'POST', `/api/v1/conversations/${visitor.conversationId}/read`, undefined, hub.agentKey);
      await visitor.widget.message(last).getByText('Seen', { exact: true }).waitFor();
      await visitor.page.reload();
      await visitor.widget.open();
      await visitor.widget.message(last).getByText('Seen', { exact: true }).waitFor();
      expect(visitor.trouble.pageErrors).toEqual([]);
    } finally {
      await visitor.context.close();
    }
  });

  it('once resolved, asks for a rating the agents then see, and hands over the transcript', async () => {
    const visitor = await chatting();
    try {
      const answer = await hub.reply(visitor.conversationId, unique('Your refund is on its way. <b>Not bold</b>'));
      await visitor.widget.waitForMessage(answer.body);
      await hub.expect(200, 'PATCH', `/api/v1/conversations/${visitor.conversationId}`, { status: 'resolved' }, hub.agentKey);

      await visitor.page.getByText('This conversation was resolved. How did we do?').first().waitFor();
      await visitor.page.getByRole('button', { name: '4 out of 5' }).click();
      await visitor.page.getByRole('textbox', { name: 'Comment (optional)' }).fill('Quick and kind');
      await visitor.page.getByRole('button', { name: 'Send rating' }).click();
      await visitor.page.getByText('Thank you for your rating.').waitFor();
      const conversation = await hub.expect<ConversationItem & { rating: { score: number; comment: string | null } | null }>(200, 'GET', `/api/v1/conversations/${visitor.conversationId}`);
      expect(conversation.rating).toMatchObject({ score: 4, comment: 'Quick and kind' });

      const download = visitor.page.waitForEvent('download');
      await visitor.page.getByRole('button', { name: 'Download transcript' }).click();
      const file = await download;
      expect(file.suggestedFilename()).toBe(`transcript-${visitor.conversationId}.html`);
      const html = readFileSync(await file.path(), 'utf8');
      expect(html).toContain(visitor.hello);
      expect(html).toContain('&lt;b&gt;Not bold&lt;/b&gt;');
      expect(html).not.toContain('<b>Not bold</b>');
    } finally {
      await visitor.context.close();
    }
  });

  it("records the pages the visitor saw, without their query strings, and how long they stayed", async () => {
    const visitor = await chatting();
    try {
      const conversation = await hub.expect<ConversationItem>(200, 'GET', `/api/v1/conversations/${visitor.conversationId}`);
      const viewOfSecond = async () => {
        const page = await hub.expect<{ items: { url: string; title: string | null; durationSeconds: number | null }[] }>(200, 'GET', `/api/v1/contacts/${conversation.contactId}/page-views`);
        return page.items.find((view) => view.url.startsWith(hub.site.url('/second')));
      };
      await visitor.page.goto(hub.site.url('/second?token=s3cret#reviews'));
      // The widget records a page once it has started (when the page is idle); then the visitor leaves.
      await waitFor('the page view of /second', viewOfSecond, 10_000);
      await visitor.page.goto(hub.site.url('/'));
      const second = await waitFor('the time spent on /second', async () => {
        const view = await viewOfSecond();
        return view?.durationSeconds !== null && view;
      }, 10_000);
      expect(second.url).toBe(hub.site.url('/second'));
      expect(second.title).toBe('Watering cans');
    } finally {
      await visitor.context.close();
    }
  });

  it('asks a new visitor for a name and an email first where the website wants a pre-chat form', async () => {
    await hub.expect(200, 'PATCH', `/api/v1/websites/${hub.website.id}`, { preChatForm: true });
    const { context, page, trouble } = await newVisitor(browser);
    try {
      await page.goto(hub.site.url('/'));
      await page.getByRole('button', { name: 'Open chat', exact: true }).click();
      await page.getByText('Tell us who you are before we start.').waitFor();
      await page.getByRole('textbox', { name: 'Name' }).fill('Pat Prechat');
      const email = `${unique('pat').replace(/\W+/g, '-')}@example.com`.toLowerCase();
      await page.getByRole('textbox', { name: 'Email' }).fill(email);
      await page.getByRole('button', { name: 'Start chat' }).click();
      const question = unique('Is the hedge trimmer cordless?');
      await page.getByRole('textbox', { name: 'Message' }).fill(question);
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      const message = await hub.visitorMessage(question);
      const conversation = await hub.expect<{ contact: { name: string | null; email: string | null } }>(200, 'GET', `/api/v1/conversations/${message.conversationId}`);
      expect(conversation.contact).toMatchObject({ name: 'Pat Prechat', email });
      expect(trouble.pageErrors).toEqual([]);
    } finally {
      await context.close();
      await hub.expect(200, 'PATCH', `/api/v1/websites/${hub.website.id}`, { preChatForm: false });
    }
  });

  it('speaks French on a French page', async () => {
    const { context, page } = await newVisitor(browser);
    try {
      await page.goto(hub.site.url('/?lang=fr'));
      await page.getByRole('button', { name: 'Ouvrir le chat', exact: true }).click();
      await page.getByRole('button', { name: 'Envoyer', exact: true }).waitFor();
      await page.getByRole('button', { name: 'Fermer le chat', exact: true }).waitFor();
    } finally {
      await context.close();
    }
  });
});

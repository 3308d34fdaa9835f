import type { Browser } from 'playwright-core';
import { launchBrowser, newVisitor } from '../support/browser';
import { waitFor } from '../support/processes';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { WidgetHub } from '../support/widget-hub';
import { unique } from '../support/widget-page';

/**
 * "Email me the transcript" in a real browser: a visitor who gave their address on the pre-chat form
 * gets the resolved conversation's transcript by mail (into an in-process SMTP sink), once per press.
 */

let hub: WidgetHub;
let browser: Browser;
let sink: SmtpSink;

beforeAll(async () => {
  sink = await startSmtpSink();
  [hub, browser] = await Promise.all([WidgetHub.start({ env: { SMTP_URL: sink.url, MAIL_FROM: 'Acme Support <support@acme.test>', FOLLOW_UP_DELAY_HOURS: '0' } }), launchBrowser()]);
  await hub.expect(200, 'PATCH', `/api/v1/websites/${hub.website.id}`, { preChatForm: true });
}, 60_000);

afterAll(async () => {
  await browser.close();
  await hub.stop();
  await sink.close();
});

it('mails the transcript to the address the visitor gave, and says where it went', async () => {
  const { context, page, trouble } = await newVisitor(browser);
  try {
    await page.goto(hub.site.url('/'));
    await page.getByRole('button', { name: 'Open chat', exact: true }).click();
    await page.getByRole('textbox', { name: 'Name' }).fill('Tess Transcript');
    const email = `${unique('tess').replace(/\W+/g, '-')}@example.com`.toLowerCase();
    await page.getByRole('textbox', { name: 'Email' }).fill(email);
    await page.getByRole('button', { name: 'Start chat' }).click();
    const question = unique('Do you ship to Norway?');
    await page.getByRole('textbox', { name: 'Message' }).fill(question);
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const { conversationId } = await hub.visitorMessage(question);
    const answer = unique('Yes, in three days.');
    await hub.reply(conversationId, answer);
    await page.getByText(answer, { exact: true }).waitFor();
    await hub.expect(200, 'PATCH', `/api/v1/conversations/${conversationId}`, { status: 'resolved' }, hub.agentKey);

    await page.getByRole('button', { name: 'Email me the transcript' }).click();
    await page.getByText(`The transcript is on its way to ${email}.`).waitFor();
    const mail = await waitFor('the transcript by mail', () => sink.mails.find((m) => m.to.includes(email)), 15_000);
    expect(mail.parsed.text).toContain(question);
    expect(mail.parsed.text).toContain(answer);
    expect(mail.parsed.headers.get('auto-submitted')).toBe('auto-replied');
    expect(sink.mails.filter((m) => m.to.includes(email))).toHaveLength(1);
    expect(trouble.pageErrors).toEqual([]);
  } finally {
    await context.close();
  }
});

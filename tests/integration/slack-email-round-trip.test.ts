import { randomBytes } from 'node:crypto';
import { SlackEmulator } from '../emulators/slack';
import { startEmailHub, SUPPORT, type EmailHub } from '../support/email-hub';
import { ENGINES } from '../support/env';
import { waitFor } from '../support/processes';

/**
 * Email works for agents as every other channel does: a customer's mail becomes a Slack thread whose
 * header shows the subject, an agent answers in the thread, and the answer reaches the customer as a
 * mail that threads under theirs; a private note from the thread never goes out.
 */

const BOT_TOKEN = `xoxb-${randomBytes(12).toString('hex')}`;
const SIGNING_SECRET = randomBytes(16).toString('hex');
const AGENT_SLACK_ID = 'U0AGENTMAIL';
const WAIT_MS = 15_000;

describe.each(ENGINES)('email through Slack and back on %s', (engine) => {
  let h: EmailHub;
  let slack: SlackEmulator;

  beforeAll(async () => {
    slack = await SlackEmulator.start({ botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET });
    h = await startEmailHub(engine, slack.hubEnv('C0MAILDESK'));
    expect((await h.t.request('/api/v1/agents', { method: 'POST', json: { name: 'Sam', email: 'sam@agents.test', slackUserId: AGENT_SLACK_ID } })).status).toBe(201);
  });
  afterAll(async () => {
    await (h as EmailHub | undefined)?.stop();
    await (slack as SlackEmulator | undefined)?.close();
  });

  it("carries a mail to a Slack thread with its subject, and the agent's answer back as a threaded mail", async () => {
    const customer = `mia.${randomBytes(3).toString('hex')}@customer.example`;
    const question = `Can I change my delivery address? ${randomBytes(3).toString('hex')}`;
    const sent = await h.customer.send({ from: customer, fromName: 'Mia', to: SUPPORT, subject: 'Delivery address for order 77', text: question });

    const header = await slack.waitFor('the thread of the mail', () => slack.messages.find((m) => m.threadTs === undefined && m.text.includes('Mia')), WAIT_MS);
    expect(JSON.stringify(header.blocks)).toContain('*Subject:* Delivery address for order 77');
    expect(JSON.stringify(header.blocks)).toContain('email');
    await slack.waitFor('the mail in the thread', () => slack.thread(header.channel, header.ts).some((m) => m.text.endsWith(question)), WAIT_MS);

    const note = `note: she called, VIP ${randomBytes(2).toString('hex')}`;
    expect((await slack.sendUserMessage(h.t.url, { channel: header.channel, threadTs: header.ts, user: AGENT_SLACK_ID, text: note })).status).toBe(200);
    const answer = `Yes, done: it goes to the new address ${randomBytes(2).toString('hex')}`;
    expect((await slack.sendUserMessage(h.t.url, { channel: header.channel, threadTs: header.ts, user: AGENT_SLACK_ID, text: answer })).status).toBe(200);

    const mail = await waitFor('the answer by mail', () => h.sink.mails.find((m) => m.parsed.text?.includes(answer)), WAIT_MS);
    expect(mail.to).toEqual([customer]);
    expect(mail.parsed.from?.value[0]?.name).toBe('Sam at Acme Support');
    expect(mail.parsed.subject).toBe('Re: Delivery address for order 77');
    expect(mail.parsed.inReplyTo).toBe(`<${sent.messageId}>`);
    expect(h.sink.mails.some((m) => m.raw.toString().includes('she called'))).toBe(false);

    const agentMessage = slack.userMessages.find((m) => m.text === answer);
    if (!agentMessage) throw new Error('the emulator lost the agent’s message');
    await slack.waitFor('the sent reaction', () => agentMessage.reactions.includes('outbox_tray'), WAIT_MS);
  });
});

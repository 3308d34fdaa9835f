import { randomBytes } from 'node:crypto';
import { freePort } from '../../src/infra/net';
import { SlackEmulator } from '../emulators/slack';
import { TwilioEmulator } from '../emulators/twilio';
import { ENGINES } from '../support/env';
import { pngBytes } from '../support/files';
import { startTestHub, type TestHub } from '../support/hub';

/**
 * The whole loop with both providers played locally: a customer texts the business, the text appears as
 * a Slack thread, an agent answers in the thread, the answer reaches the customer's phone through
 * Twilio, and Twilio's receipt shows on the agent's Slack message.
 */

const ACCOUNT_SID = `AC${'d4'.repeat(16)}`;
const AUTH_TOKEN = randomBytes(16).toString('hex');
const BOT_TOKEN = `xoxb-${randomBytes(12).toString('hex')}`;
const SIGNING_SECRET = randomBytes(16).toString('hex');
const SUPPORT_NUMBER = '+14155550130';
const CUSTOMER = '+447911123777';
const AGENT_SLACK_ID = 'U0AGENTSMS';
const WAIT_MS = 15_000;

describe.each(ENGINES)('SMS through Slack and back on %s', (engine) => {
  let t: TestHub;
  let twilio: TwilioEmulator;
  let slack: SlackEmulator;
  let target: { url: string; publicUrl: string };

  beforeAll(async () => {
    twilio = await TwilioEmulator.start({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    slack = await SlackEmulator.start({ botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET });
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    t = await startTestHub(engine, {
      env: {
        PORT: String(port),
        PUBLIC_URL: publicUrl,
        ...twilio.hubEnv(SUPPORT_NUMBER),
        ...slack.hubEnv('C0SMSDESK1'),
      },
    });
    target = { url: t.url, publicUrl };
    expect((await t.request('/api/v1/agents', { method: 'POST', json: { name: 'Sam Agent', email: 'sam@agents.test', slackUserId: AGENT_SLACK_ID } })).status).toBe(201);
  });
  afterAll(async () => {
    const started = { t, slack, twilio } as Partial<{ t: TestHub; slack: SlackEmulator; twilio: TwilioEmulator }>;
    await started.t?.stop();
    await started.slack?.close();
    await started.twilio?.close();
  });

  it('carries a text to a Slack thread, the agent’s answer to the phone, and the receipt back to Slack', async () => {
    expect((await twilio.sendInbound(target, { From: CUSTOMER, To: SUPPORT_NUMBER, Body: 'Is the blue kettle back in stock?' })).status).toBe(200);

    const header = await slack.waitFor('the thread of the text', () => slack.messages.find((m) => m.threadTs === undefined && m.text.includes(CUSTOMER)), WAIT_MS);
    expect(JSON.stringify(header.blocks)).toContain('SMS');
    await slack.waitFor('the text in the thread', () => slack.thread(header.channel, header.ts).some((m) => m.text.endsWith('Is the blue kettle back in stock?')), WAIT_MS);

    const answer = `Yes, since this morning 🫖 ${randomBytes(2).toString('hex')}`;
    const sentInSlack = await slack.sendUserMessage(t.url, { channel: header.channel, threadTs: header.ts, user: AGENT_SLACK_ID, text: answer });
    expect(sentInSlack.status).toBe(200);

    const sms = await twilio.waitForMessages(1, WAIT_MS).then((messages) => messages.find((m) => m.body === answer));
    expect(sms).toMatchObject({ from: SUPPORT_NUMBER, to: CUSTOMER, body: answer });
    if (!sms) throw new Error('the answer never reached Twilio');

    const agentMessage = slack.userMessages.find((m) => m.text === answer);
    if (!agentMessage) throw new Error('the emulator lost the agent’s message');
    await slack.waitFor('the sent reaction', () => agentMessage.reactions.includes('outbox_tray'), WAIT_MS);
    expect((await twilio.sendStatus(target, sms, 'delivered')).status).toBe(204);
    await slack.waitFor('the delivered reaction', () => agentMessage.reactions.includes('white_check_mark'), WAIT_MS);
  });

  it('uploads an MMS’s pictures to its thread when they come after the text, each once', async () => {
    const customer = '+447911123888';
    const image = pngBytes();
    const first = twilio.addMedia('image/png', image);
    const second = twilio.addMedia('image/png', image);
    // The first picture comes with the job's first attempt, the second only with its retry: two updates.
    twilio.failNextMedia(second, 1, 500);
    const release = twilio.holdMedia();
    let thread: { channel: string; ts: string };
    try {
      const media = [first, second].map((url) => ({ url, contentType: 'image/png' }));
      expect((await twilio.sendInbound(target, { From: customer, To: SUPPORT_NUMBER, Body: 'The label, twice', media })).status).toBe(200);
      const header = await slack.waitFor('the thread of the MMS', () => slack.messages.find((m) => m.threadTs === undefined && m.text.includes(customer)), WAIT_MS);
      thread = { channel: header.channel, ts: header.ts };
      await slack.waitFor('the text in the thread', () => slack.thread(thread.channel, thread.ts).some((m) => m.text.endsWith('The label, twice')), WAIT_MS);
      expect(slack.files.filter((f) => f.threadTs === thread.ts)).toEqual([]);
    } finally {
      release();
    }
    const inThread = () => slack.files.filter((f) => f.threadTs === thread.ts);
    await slack.waitFor('both pictures in the thread', () => inThread().length >= 2, WAIT_MS);

    // A later message syncs the thread again: the pictures are not uploaded a second time.
    expect((await twilio.sendInbound(target, { From: customer, To: SUPPORT_NUMBER, Body: 'Got them?' })).status).toBe(200);
    await slack.waitFor('the next text in the thread', () => slack.thread(thread.channel, thread.ts).some((m) => m.text.endsWith('Got them?')), WAIT_MS);
    expect(inThread()).toHaveLength(2);
    expect(inThread().every((f) => f.channel === thread.channel && f.bytes.equals(image))).toBe(true);
  });
});

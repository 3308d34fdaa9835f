import { randomBytes } from 'node:crypto';
import { SlackEmulator, type PostedMessage } from '../emulators/slack';
import { inbound } from '../support/agent-api';
import { pngBytes } from '../support/files';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { waitFor } from '../support/processes';
import { createWebsite, insertPageView, widgetMessage } from '../support/websites';

/**
 * Conversations mirrored into Slack threads, against a local Slack Web API driven by the real
 * @slack/web-api client: the header, every message in order, escaping, header updates, delivery
 * statuses, rate limits and a channel Slack refuses.
 */

const BOT_TOKEN = `xoxb-${randomBytes(12).toString('hex')}`;
const SIGNING_SECRET = randomBytes(16).toString('hex');
const CHANNEL = 'C0SUPPORT1';
const WAIT_MS = 15_000;

describe.each(ENGINES)('Slack mirror on %s', (engine) => {
  let t: TestHub;
  let slack: SlackEmulator;

  beforeAll(async () => {
    slack = await SlackEmulator.start({ botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET });
    t = await startTestHub(engine, { env: slack.hubEnv(CHANNEL) });
  });
  afterAll(async () => {
    const started = { t, slack } as Partial<{ t: TestHub; slack: SlackEmulator }>;
    await started.t?.stop();
    await started.slack?.close();
  });

  /** The header of a conversation's thread, once it is posted. */
  function headerOf(conversationId: string): Promise<PostedMessage> {
    return slack.headerOf(conversationId, WAIT_MS);
  }

  /** The thread's replies once there are at least `count`, as their texts. */
  async function threadTexts(conversationId: string, count: number): Promise<string[]> {
    const header = await headerOf(conversationId);
    return slack.waitFor(`${count} messages in the thread of ${conversationId}`, () => {
      const texts = slack.thread(header.channel, header.ts).map((m) => m.text);
      return texts.length >= count ? texts : undefined;
    }, WAIT_MS);
  }

  async function reply(conversationId: string, body: string, extra: Record<string, unknown> = {}): Promise<{ id: string }> {
    const created = await t.request(`/api/v1/conversations/${conversationId}/messages`, { method: 'POST', json: { body, ...extra } });
    expect(created.status).toBe(201);
    return created.body as { id: string };
  }

  it('opens a thread with a header for a new conversation and copies the customer’s message into it', async () => {
    const { conversationId } = await inbound(t, { name: 'Ada Lovelace', email: 'ada@example.com' }, 'My order 1042 has not arrived');
    const header = await headerOf(conversationId);
    expect(header.channel).toBe(CHANNEL);
    expect(header.text).toContain('Ada Lovelace');
    expect(JSON.stringify(header.blocks)).toContain('Open');
    expect(await threadTexts(conversationId, 1)).toEqual(['*Ada Lovelace*: My order 1042 has not arrived']);
  });

  it('escapes customer text so it cannot mention anyone or forge a link', async () => {
    const { conversationId } = await inbound(t, { name: '<!channel> Mallory' }, 'Hey <!channel> and <@U0ADMIN1>, click <https://evil.example|your bank> & win');
    const [line] = await threadTexts(conversationId, 1);
    expect(line).toBe('*&lt;!channel&gt; Mallory*: Hey &lt;!channel&gt; and &lt;@U0ADMIN1&gt;, click &lt;https://evil.example|your bank&gt; &amp; win');
    expect((await headerOf(conversationId)).text).not.toContain('<!channel>');
  });

  it('copies agents’ replies and notes in order, and shows each reply’s delivery status', async () => {
    const { conversationId } = await inbound(t, { name: 'Grace' }, 'First question');
    await threadTexts(conversationId, 1);
    const sent = await reply(conversationId, 'First answer');
    await reply(conversationId, 'VIP, be nice', { private: true });
    const texts = await threadTexts(conversationId, 3);
    expect(texts).toEqual(['*Grace*: First question', '*Agent (API)*: First answer', ':memo: _private note_ · *Agent (API)*: VIP, be nice']);
    const header = await headerOf(conversationId);
    const copy = slack.thread(header.channel, header.ts).find((m) => m.text.endsWith('First answer'));
    await slack.waitFor(`the delivery status of ${sent.id}`, () => copy?.reactions.includes('outbox_tray'), WAIT_MS);
  });

  it('uploads an attachment from the hub’s storage into the thread, byte for byte', async () => {
    const { conversationId } = await inbound(t, { name: 'Hedy' }, 'Can I see the label?');
    await threadTexts(conversationId, 1);
    const png = pngBytes();
    const uploaded = await t.request('/api/v1/files?name=label.png', { method: 'POST', body: png, headers: { 'content-type': 'image/png' } });
    expect(uploaded.status).toBe(201);
    const { fileKey } = uploaded.body as { fileKey: string };
    await reply(conversationId, 'Here it is', { attachments: [{ fileKey }] });
    const texts = await threadTexts(conversationId, 2);
    expect(texts[1]).toBe('*Agent (API)*: Here it is\n📎 label.png');
    const header = await headerOf(conversationId);
    const file = await slack.waitFor('the uploaded file', () => slack.files.find((f) => f.threadTs === header.ts), WAIT_MS);
    expect(file).toMatchObject({ name: 'label.png', channel: CHANNEL });
    expect(file.bytes.equals(png)).toBe(true);
  });

  it('updates the header when status and assignee change', async () => {
    const agent = (await t.request('/api/v1/agents', { method: 'POST', json: { name: 'Linus Agent', email: `linus-${randomBytes(3).toString('hex')}@agents.test` } })).body as { id: string };
    const { conversationId } = await inbound(t, { name: 'Barbara' }, 'Please close this');
    const header = await headerOf(conversationId);
    expect((await t.request(`/api/v1/conversations/${conversationId}`, { method: 'PATCH', json: { assigneeId: agent.id } })).status).toBe(200);
    expect((await t.request(`/api/v1/conversations/${conversationId}`, { method: 'PATCH', json: { status: 'resolved' } })).status).toBe(200);
    await slack.waitFor('the header to show the resolution', () => {
      const latest = header.updates.at(-1);
      return latest && JSON.stringify(latest.blocks).includes('Resolved') && JSON.stringify(latest.blocks).includes('Linus Agent');
    }, WAIT_MS);
  });

  it('lists the last pages a web chat visitor saw in the header, escaped, and updates it with the next sync', async () => {
    const website = await createWebsite(t);
    const visitorId = randomBytes(8).toString('hex');
    const { contactId, conversationId } = await widgetMessage(t, website.id, { visitorId, name: 'Wendy Widget', body: 'Is this in stock?' });
    const header = await headerOf(conversationId);
    expect(header.text).toContain('web chat');
    expect(JSON.stringify(header.blocks)).not.toContain('Last pages');

    const minute = (n: number) => new Date(Date.UTC(2030, 0, 1, 10, n));
    await insertPageView(t, { contactId, websiteId: website.id, url: 'https://shop.example.com/', title: 'Home', viewedAt: minute(0) });
    await insertPageView(t, { contactId, websiteId: website.id, url: 'https://shop.example.com/pricing', viewedAt: minute(1) });
    await insertPageView(t, { contactId, websiteId: website.id, url: 'https://shop.example.com/deals', title: '<!channel> Deals & <@U0ADMIN1>', viewedAt: minute(2) });
    await insertPageView(t, { contactId, websiteId: website.id, url: 'https://shop.example.com/checkout', title: '  ', viewedAt: minute(3) });
    await widgetMessage(t, website.id, { visitorId, body: 'Hello?' });

    const expected = '*Last pages visited:*\n• https://shop.example.com/checkout\n• &lt;!channel&gt; Deals &amp; &lt;@U0ADMIN1&gt;\n• https://shop.example.com/pricing';
    const updated = await slack.waitFor('the header to list the last pages', () => header.updates.find((update) => JSON.stringify(update.blocks).includes('Last pages visited')), WAIT_MS);
    expect(updated.blocks).toEqual(expect.arrayContaining([{ type: 'section', text: { type: 'mrkdwn', text: expected } }]));
    expect(JSON.stringify(updated.blocks)).not.toContain('Home');
    expect(await threadTexts(conversationId, 2)).toEqual(['*Wendy Widget*: Is this in stock?', '*Wendy Widget*: Hello?']);
  });

  it('waits out a rate limit and keeps the thread in order', async () => {
    const customer = { name: 'Rate Limited', externalId: `rl-${randomBytes(3).toString('hex')}` };
    const { conversationId } = await inbound(t, customer, 'one');
    await threadTexts(conversationId, 1);
    slack.failNext('chat.postMessage', 1, { error: 'ratelimited', retryAfterSeconds: 1 });
    for (const body of ['two', 'three', 'four']) await inbound(t, customer, body);
    expect(await threadTexts(conversationId, 4)).toEqual(['*Rate Limited*: one', '*Rate Limited*: two', '*Rate Limited*: three', '*Rate Limited*: four']);
    expect(slack.calls.filter((call) => call.error === 'ratelimited')).toHaveLength(1);
  });

  it('says in /readyz that Slack refuses the channel, keeps the hub ready, and catches up once Slack takes posts again', async () => {
    const integrations = async () => {
      const res = await t.request('/readyz', { key: null });
      return { status: res.status, slack: (res.body as { integrations?: Record<string, string> }).integrations?.slack };
    };
    slack.failNext('chat.postMessage', 2, { error: 'channel_not_found' });
    const { conversationId } = await inbound(t, { name: 'Nowhere' }, 'Anyone?');
    await waitFor('readyz to report Slack’s refusal', async () => (await integrations()).slack === 'channel_not_found', WAIT_MS);
    expect((await integrations()).status).toBe(200);
    // Retried with backoff: the conversation is not lost, and Slack is fine again.
    expect(await threadTexts(conversationId, 1)).toEqual(['*Nowhere*: Anyone?']);
    await waitFor('readyz to report Slack fine', async () => (await integrations()).slack === 'ok', WAIT_MS);
  });
});

import { randomBytes } from 'node:crypto';
import { repo } from '../../src/core/model/schemas';
import { SlackEmulator, type PostedMessage } from '../emulators/slack';
import { inbound, sleep, type AgentItem, type MessageItem, type Page } from '../support/agent-api';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { newWebhookSecret, WebhookReceiver } from '../support/webhook-receiver';

/**
 * Agents answering customers from Slack threads: signed `message` events posted to the hub's
 * POST /slack/events become replies through the same path as the REST API, delivered to the customer
 * (an API-channel integration here), with their delivery status shown on the agent's Slack message.
 */

const BOT_TOKEN = `xoxb-${randomBytes(12).toString('hex')}`;
const SIGNING_SECRET = randomBytes(16).toString('hex');
const CHANNEL = 'C0SUPPORT2';
const WAIT_MS = 15_000;
/** How long "nothing happened" is given to happen anyway. */
const QUIET_MS = 600;

function slackId(prefix: string): string {
  return `${prefix}${randomBytes(4).toString('hex').toUpperCase()}`;
}

describe.each(ENGINES)('Agents in Slack on %s', (engine) => {
  let t: TestHub;
  let slack: SlackEmulator;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    slack = await SlackEmulator.start({ botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET });
    const secret = newWebhookSecret();
    receiver = await WebhookReceiver.start(secret);
    t = await startTestHub(engine, {
      env: {
        ...slack.hubEnv(CHANNEL),
        API_CHANNEL_WEBHOOK_URL: receiver.url,
        API_CHANNEL_WEBHOOK_SECRET: secret,
      },
    });
  });
  afterAll(async () => {
    const started = { t, slack, receiver } as Partial<{ t: TestHub; slack: SlackEmulator; receiver: WebhookReceiver }>;
    await started.t?.stop();
    await started.slack?.close();
    await started.receiver?.close();
  });

  async function newAgent(fields: { slackUserId?: string; email?: string } = {}): Promise<AgentItem> {
    const email = fields.email ?? `agent-${randomBytes(3).toString('hex')}@agents.test`;
    const res = await t.request('/api/v1/agents', { method: 'POST', json: { name: 'Slack Agent', email, ...(fields.slackUserId ? { slackUserId: fields.slackUserId } : {}) } });
    expect(res.status).toBe(201);
    return res.body as AgentItem;
  }

  /** A new conversation and its Slack thread's header, once the mirror posted it. */
  async function conversationWithThread(text = 'Where is my parcel?'): Promise<{ conversationId: string; header: PostedMessage }> {
    const { conversationId } = await inbound(t, { name: `Customer ${randomBytes(2).toString('hex')}` }, text);
    const header = await slack.headerOf(conversationId, WAIT_MS);
    // The customer's message is copied before anything an agent writes, so the thread reads in order.
    await slack.waitFor('the customer message in the thread', () => slack.thread(header.channel, header.ts).length >= 1, WAIT_MS);
    return { conversationId, header };
  }

  async function messagesOf(conversationId: string): Promise<MessageItem[]> {
    const res = await t.request(`/api/v1/conversations/${conversationId}/messages?limit=100`);
    expect(res.status).toBe(200);
    return (res.body as Page<MessageItem>).items;
  }

  function deliveredTo(conversationId: string): string[] {
    return receiver.requests.filter((r) => r.payload?.data.conversationId === conversationId && r.attempt === 1).map((r) => r.payload?.data.body ?? '');
  }

  async function expectNoAgentMessages(conversationId: string): Promise<void> {
    await sleep(QUIET_MS);
    expect((await messagesOf(conversationId)).filter((m) => m.direction === 'outbound')).toEqual([]);
    expect(deliveredTo(conversationId)).toEqual([]);
  }

  it('sends an agent’s thread reply to the customer and shows its delivery status on the agent’s Slack message', async () => {
    const user = slackId('U');
    const agent = await newAgent({ slackUserId: user });
    const { conversationId, header } = await conversationWithThread();
    const ts = '1800000000.000100';
    const answer = await slack.sendUserMessage(t.url, { channel: header.channel, threadTs: header.ts, user, text: 'It ships today &amp; arrives <https://track.example/1|tomorrow>', ts });
    expect(answer.status).toBe(200);

    const delivered = await slack.waitFor('the reply at the customer', () => (deliveredTo(conversationId).length > 0 ? deliveredTo(conversationId) : undefined), WAIT_MS);
    expect(delivered).toEqual(['It ships today & arrives tomorrow (https://track.example/1)']);
    const [reply] = (await messagesOf(conversationId)).filter((m) => m.direction === 'outbound');
    expect(reply).toMatchObject({ senderKind: 'agent', senderId: agent.id, private: false, metadata: { slackTs: ts } });

    const own = slack.userMessages.find((m) => m.ts === ts);
    await slack.waitFor('the delivery reaction on the agent’s message', () => own?.reactions.includes('outbox_tray'), WAIT_MS);
    // Not copied again into the thread: only the customer's message is the hub's there.
    expect(slack.thread(header.channel, header.ts).map((m) => m.text)).toHaveLength(1);
  });

  it('takes a redelivered event once', async () => {
    const user = slackId('U');
    await newAgent({ slackUserId: user });
    const { conversationId, header } = await conversationWithThread();
    const params = { channel: header.channel, threadTs: header.ts, user, text: 'Only once, please', ts: '1800000001.000100', eventId: 'Ev0RETRIED1' };
    expect((await slack.sendUserMessage(t.url, params)).status).toBe(200);
    expect((await slack.sendUserMessage(t.url, params, { retryNum: 1, retryReason: 'http_timeout' })).status).toBe(200);
    expect((await slack.sendUserMessage(t.url, params, { retryNum: 2, retryReason: 'http_timeout' })).status).toBe(200);
    await slack.waitFor('the reply at the customer', () => deliveredTo(conversationId).length > 0, WAIT_MS);
    await sleep(QUIET_MS);
    expect((await messagesOf(conversationId)).filter((m) => m.direction === 'outbound')).toHaveLength(1);
    expect(deliveredTo(conversationId)).toEqual(['Only once, please']);
  });

  it('answers 401 to a forged or stale request and takes nothing from it', async () => {
    const user = slackId('U');
    await newAgent({ slackUserId: user });
    const { conversationId, header } = await conversationWithThread();
    const params = { channel: header.channel, threadTs: header.ts, user, text: 'forged' };
    expect((await slack.sendUserMessage(t.url, params, { signature: `v0=${'0'.repeat(64)}` })).status).toBe(401);
    expect((await slack.sendUserMessage(t.url, params, { signature: null })).status).toBe(401);
    expect((await slack.sendUserMessage(t.url, params, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 })).status).toBe(401);
    await expectNoAgentMessages(conversationId);
  });

  it('ignores bot messages, edits, deletions, joins, the header and messages outside known threads', async () => {
    const user = slackId('U');
    await newAgent({ slackUserId: user });
    const { conversationId, header } = await conversationWithThread();
    const base = { type: 'message', channel: header.channel, thread_ts: header.ts, team: slack.teamId };
    const events: Record<string, unknown>[] = [
      { ...base, bot_id: 'B0OTHERBOT', user, text: 'from a bot', ts: '1800000002.000100' },
      { ...base, subtype: 'bot_message', bot_id: slack.botId, text: 'our own', ts: '1800000002.000200' },
      { ...base, subtype: 'message_changed', message: { user, text: 'edited', ts: '1800000002.000300', thread_ts: header.ts }, ts: '1800000002.000400' },
      { ...base, subtype: 'message_deleted', deleted_ts: '1800000002.000300', ts: '1800000002.000500' },
      { ...base, subtype: 'channel_join', user, text: 'joined', ts: '1800000002.000600' },
      { type: 'message', channel: header.channel, user, text: 'the header itself', ts: header.ts, thread_ts: header.ts },
      { type: 'message', channel: header.channel, user, text: 'not in a thread', ts: '1800000002.000700' },
      { type: 'message', channel: header.channel, user, text: 'another thread', ts: '1800000002.000800', thread_ts: '1700000000.000100' },
    ];
    for (const event of events) expect((await slack.sendEvent(t.url, event)).status).toBe(200);
    await expectNoAgentMessages(conversationId);
    expect(slack.ephemerals.filter((e) => e.user === user)).toEqual([]);
  });

  it('tells an unknown Slack user they are not an agent and sends nothing', async () => {
    const user = slackId('U');
    slack.addUser({ id: user, name: 'stranger', realName: 'Stranger Danger', email: `stranger-${randomBytes(3).toString('hex')}@example.com` });
    const { conversationId, header } = await conversationWithThread();
    expect((await slack.sendUserMessage(t.url, { channel: header.channel, threadTs: header.ts, user, text: 'Hi from me' })).status).toBe(200);
    const told = await slack.waitFor('the ephemeral', () => slack.ephemerals.find((e) => e.user === user), WAIT_MS);
    expect(told).toMatchObject({ channel: header.channel, threadTs: header.ts });
    expect(told.text).toContain('not an agent in Switchboard');
    expect(told.text).toContain(user);
    await expectNoAgentMessages(conversationId);
  });

  it('finds an agent by the email of their Slack profile and remembers their Slack user id', async () => {
    const user = slackId('U');
    const email = `by-email-${randomBytes(3).toString('hex')}@agents.test`;
    const agent = await newAgent({ email });
    slack.addUser({ id: user, name: 'byemail', realName: 'By Email', email: email.toUpperCase() });
    const { conversationId, header } = await conversationWithThread();
    expect((await slack.sendUserMessage(t.url, { channel: header.channel, threadTs: header.ts, user, text: 'Found by email' })).status).toBe(200);
    await slack.waitFor('the reply at the customer', () => deliveredTo(conversationId).includes('Found by email'), WAIT_MS);
    const [reply] = (await messagesOf(conversationId)).filter((m) => m.direction === 'outbound');
    expect(reply?.senderId).toBe(agent.id);
    expect(((await t.request(`/api/v1/agents/${agent.id}`)).body as AgentItem).slackUserId).toBe(user);
  });

  it('stores a message starting with the note prefix as a private note and sends nothing to the customer', async () => {
    const user = slackId('U');
    const agent = await newAgent({ slackUserId: user });
    const { conversationId, header } = await conversationWithThread();
    expect((await slack.sendUserMessage(t.url, { channel: header.channel, threadTs: header.ts, user, text: 'NOTE: VIP customer, be quick' })).status).toBe(200);
    const note = await slack.waitFor('the note', async () => (await messagesOf(conversationId)).find((m) => m.direction === 'outbound'), WAIT_MS);
    expect(note).toMatchObject({ private: true, body: 'VIP customer, be quick', senderId: agent.id, deliveryStatus: 'internal' });
    await sleep(QUIET_MS);
    expect(deliveredTo(conversationId)).toEqual([]);
    // Written in the thread already: not copied there again.
    expect(slack.thread(header.channel, header.ts)).toHaveLength(1);
  });

  it('tells the agent that a customer who opted out gets nothing, and stores nothing', async () => {
    const user = slackId('U');
    await newAgent({ slackUserId: user });
    const { conversationId, header } = await conversationWithThread();
    const conversation = await repo(t.hub.db.manager, 'Conversation').findOneByOrFail({ id: conversationId });
    await repo(t.hub.db.manager, 'ChannelIdentity').update({ id: conversation.identityId }, { optedOutAt: new Date() });
    expect((await slack.sendUserMessage(t.url, { channel: header.channel, threadTs: header.ts, user, text: 'Are you there?' })).status).toBe(200);
    const told = await slack.waitFor('the ephemeral', () => slack.ephemerals.find((e) => e.user === user), WAIT_MS);
    expect(told.text).toContain('opted out');
    await expectNoAgentMessages(conversationId);
  });
});

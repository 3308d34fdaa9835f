import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { startHub, type Hub } from '../../src/hub';
import { SlackEmulator } from '../emulators/slack';
import { inbound, sleep, type AgentItem } from '../support/agent-api';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { newWebhookSecret, WebhookReceiver } from '../support/webhook-receiver';

/**
 * Slack's events are queued before they are acknowledged, and handled in the workers: an api-only hub
 * answers 200 with no Slack call made and no reply taken yet, and a worker started afterwards (another
 * process as far as the hub knows: its own connections on the same database and Redis prefix) handles it.
 */

const BOT_TOKEN = `xoxb-${randomBytes(12).toString('hex')}`;
const SIGNING_SECRET = randomBytes(16).toString('hex');
const CHANNEL = 'C0DURABLE1';
const WAIT_MS = 15_000;
const QUIET_MS = 600;

describe.each(ENGINES)('Slack events queued before the acknowledgement on %s', (engine) => {
  let t: TestHub;
  let slack: SlackEmulator;
  let receiver: WebhookReceiver;
  let worker: Hub | undefined;

  beforeAll(async () => {
    slack = await SlackEmulator.start({ botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET });
    const secret = newWebhookSecret();
    receiver = await WebhookReceiver.start(secret);
    t = await startTestHub(engine, {
      role: 'api',
      env: {
        ...slack.hubEnv(CHANNEL),
        API_CHANNEL_WEBHOOK_URL: receiver.url,
        API_CHANNEL_WEBHOOK_SECRET: secret,
      },
    });
  });
  afterAll(async () => {
    const started = { worker, t, slack, receiver } as Partial<{ worker: Hub; t: TestHub; slack: SlackEmulator; receiver: WebhookReceiver }>;
    await started.worker?.stop();
    await started.t?.stop();
    await started.slack?.close();
    await started.receiver?.close();
  });

  const startWorker = () => startHub(t.environment.config, 'worker', pino({ level: 'silent' }), process.env.PATH ?? '');
  const deliveredTo = (conversationId: string) => receiver.requests.filter((r) => r.payload?.data.conversationId === conversationId && r.attempt === 1).map((r) => r.payload?.data.body ?? '');
  const webApiCalls = (method: string) => slack.calls.filter((c) => c.method === method).length;

  it('acknowledges a thread reply with no Slack call and hands it to a worker that starts later', async () => {
    // A worker mirrors the conversation into its thread, then stops.
    worker = await startWorker();
    const { conversationId } = await inbound(t, { name: 'Durable Customer' }, 'Is my order lost?');
    const header = await slack.headerOf(conversationId, WAIT_MS);
    await slack.waitFor('the customer message in the thread', () => slack.thread(header.channel, header.ts).length >= 1, WAIT_MS);
    await worker.stop();
    worker = undefined;

    // An agent Slack knows by email only: taking their reply needs users.info, which only a worker may call.
    const user = `U${randomBytes(4).toString('hex').toUpperCase()}`;
    const email = `durable-${randomBytes(3).toString('hex')}@agents.test`;
    const agent = (await t.request('/api/v1/agents', { method: 'POST', json: { name: 'Durable Agent', email } })).body as AgentItem;
    slack.addUser({ id: user, name: 'durable', realName: 'Durable Agent', email });
    const callsBefore = slack.calls.length;

    const ts = '1800000100.000100';
    const answer = await slack.sendUserMessage(t.url, { channel: header.channel, threadTs: header.ts, user, text: 'It is not lost', ts });
    expect(answer.status).toBe(200);
    // Acknowledged: queued in Redis (or, until published, in the outbox), with no Slack call made.
    const connection = new Redis(t.hub.redisUrl);
    const queue = new Queue('slack', { connection, prefix: t.environment.prefix });
    try {
      const job = await slack.waitFor('the queued job', async () => (await queue.getJobs(['waiting'])).find((j) => (j.data as { ts?: string }).ts === ts), WAIT_MS);
      expect(job.name).toBe('message');
      expect(job.data).toMatchObject({ channel: header.channel, threadTs: header.ts, user, text: 'It is not lost' });
    } finally {
      await queue.close();
      connection.disconnect();
    }
    await sleep(QUIET_MS);
    expect(slack.calls.slice(callsBefore)).toEqual([]);
    expect(deliveredTo(conversationId)).toEqual([]);

    // A worker, started after the acknowledgement, takes the reply.
    worker = await startWorker();
    await slack.waitFor('the reply at the customer', () => deliveredTo(conversationId).includes('It is not lost'), WAIT_MS);
    expect(webApiCalls('users.info')).toBeGreaterThan(0);
    const reply = await t.request(`/api/v1/conversations/${conversationId}/messages?limit=100`);
    expect(JSON.stringify(reply.body)).toContain(agent.id);
  });

  it('answers 500 when the event cannot be queued, so that Slack sends it again', async () => {
    const outbox = t.hub.outbox;
    const enqueue = jest.spyOn(outbox, 'enqueue').mockRejectedValueOnce(new Error('database down'));
    try {
      const res = await slack.sendUserMessage(t.url, { channel: CHANNEL, threadTs: '1800000200.000100', user: 'U0NOBODY1', text: 'lost?', ts: '1800000200.000200' });
      expect(res.status).toBe(500);
      expect(enqueue).toHaveBeenCalledTimes(1);
    } finally {
      enqueue.mockRestore();
    }
  });
});

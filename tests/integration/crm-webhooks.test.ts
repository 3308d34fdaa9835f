import { Webhook } from 'standardwebhooks';
import { repo } from '../../src/core/model/schemas';
import type { WebhookEndpoint } from '../../src/core/model/types';
import { eventually, inbound, sleep } from '../support/agent-api';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { freePort } from '../support/processes';
import { SseClient } from '../support/sse-client';
import { createEndpoint, deliveriesOf, eventOf } from '../support/webhook-endpoints';
import { newWebhookSecret, WebhookReceiver, type ReceivedWebhook, type ReceiverReply } from '../support/webhook-receiver';

/**
 * The outgoing CRM webhooks' delivery engine against real local receivers that verify every request
 * with `standardwebhooks`: what is sent, retries with the same webhook-id, Retry-After, 410 and other
 * 4xx, rotation, order per conversation, a stuck endpoint beside a healthy one, disabling after days.
 */
describe.each(ENGINES)('outgoing CRM webhooks, on %s', (engine) => {
  let t: TestHub;
  const receivers: WebhookReceiver[] = [];
  const endpoints: WebhookEndpoint[] = [];

  beforeAll(async () => {
    t = await startTestHub(engine, { env: { WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,300ms', WEBHOOK_TIMEOUT_MS: '30000' } });
  });
  afterEach(async () => {
    // Later cases' events are not delivered to earlier cases' endpoints.
    for (const endpoint of endpoints.splice(0)) await repo(t.hub.db.manager, 'WebhookEndpoint').update({ id: endpoint.id }, { enabled: false });
  });
  afterAll(async () => {
    await t.stop();
    for (const receiver of receivers) await receiver.close();
  });

  async function receiverAndEndpoint(respond?: (request: ReceivedWebhook) => ReceiverReply | Promise<ReceiverReply>, fields: Partial<WebhookEndpoint> = {}) {
    const secret = fields.secret ?? newWebhookSecret();
    const receiver = await WebhookReceiver.start(secret, respond);
    receivers.push(receiver);
    const endpoint = await createEndpoint(t.hub.db, { url: receiver.url, secret, ...fields });
    endpoints.push(endpoint);
    return { receiver, endpoint };
  }

  const ofConversation = (receiver: WebhookReceiver, conversationId: string) => receiver.requests.filter((r) => eventOf(r)?.data.conversationId === conversationId);

  it('sends each event signed, with the event id as webhook-id and the body that was stored', async () => {
    const { receiver, endpoint } = await receiverAndEndpoint(undefined, { events: ['conversation.created', 'message.created'] });
    const ids = await inbound(t, { externalId: 'crm-first' }, 'Hello from the CRM test');
    const requests = await eventually('both events', () => {
      const got = ofConversation(receiver, ids.conversationId);
      return got.length >= 2 ? got : undefined;
    });
    expect(receiver.unverified).toEqual([]);
    expect(requests.map((r) => eventOf(r)?.type)).toEqual(['conversation.created', 'message.created']);
    const message = eventOf(requests[1] as ReceivedWebhook);
    expect(message?.data).toMatchObject({ conversationId: ids.conversationId, message: { id: ids.messageId, body: 'Hello from the CRM test' } });
    const deliveries = await eventually('both deliveries succeeded', async () => {
      const rows = await deliveriesOf(t.hub.db, endpoint.id);
      return rows.length === 2 && rows.every((row) => row.status === 'succeeded') ? rows : undefined;
    });
    for (const [i, request] of requests.entries()) {
      const delivery = deliveries[i];
      expect(request.webhookId).toBe(delivery?.eventId);
      expect(request.rawBody).toBe(delivery?.body);
      expect(delivery?.attempts).toEqual([expect.objectContaining({ statusCode: 200, response: '' })]);
    }
    // Types it does not want are not delivered.
    expect(receiver.requests.every((r) => ['conversation.created', 'message.created'].includes(eventOf(r)?.type ?? ''))).toBe(true);
  });

  it('retries a 500 with the same webhook-id until the 200, logging each attempt', async () => {
    const { receiver, endpoint } = await receiverAndEndpoint((request) => (request.attempt === 1 ? { status: 500, body: 'oops' } : { status: 200, body: 'ok' }), { events: ['message.created'] });
    const ids = await inbound(t, { externalId: 'crm-500' });
    const delivery = await eventually('succeeded on the second try', async () => {
      const [row] = await deliveriesOf(t.hub.db, endpoint.id);
      return row?.status === 'succeeded' ? row : undefined;
    });
    expect(delivery.attempts.map((a) => [a.statusCode, a.response])).toEqual([
      [500, 'oops'],
      [200, 'ok'],
    ]);
    expect(ofConversation(receiver, ids.conversationId).map((r) => [r.webhookId, r.attempt])).toEqual([
      [delivery.eventId, 1],
      [delivery.eventId, 2],
    ]);
    const after = await repo(t.hub.db.manager, 'WebhookEndpoint').findOneByOrFail({ id: endpoint.id });
    expect(after.failingSince).toBeNull();
  });

  it('waits for a longer Retry-After on 429', async () => {
    const { receiver, endpoint } = await receiverAndEndpoint((request) => (request.attempt === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }), { events: ['message.created'] });
    await inbound(t, { externalId: 'crm-429' });
    await eventually('succeeded after the wait', async () => ((await deliveriesOf(t.hub.db, endpoint.id))[0]?.status === 'succeeded' ? true : undefined));
    const [first, second] = receiver.requests;
    expect(second && first ? second.at - first.at : 0).toBeGreaterThanOrEqual(1000);
  });

  it('fails a delivery at once on another 4xx, and keeps the endpoint on', async () => {
    const { receiver, endpoint } = await receiverAndEndpoint(() => ({ status: 422, body: 'unprocessable' }), { events: ['message.created'] });
    await inbound(t, { externalId: 'crm-422' });
    const delivery = await eventually('failed', async () => {
      const [row] = await deliveriesOf(t.hub.db, endpoint.id);
      return row?.status === 'failed' ? row : undefined;
    });
    expect(delivery.attempts.map((a) => a.statusCode)).toEqual([422]);
    expect(receiver.requests).toHaveLength(1);
    expect((await repo(t.hub.db.manager, 'WebhookEndpoint').findOneByOrFail({ id: endpoint.id })).enabled).toBe(true);
  });

  it('disables the endpoint on 410 Gone and says so on the event stream', async () => {
    const stream = await SseClient.connect(`${t.url}/api/v1/events`, { key: t.apiKey });
    try {
      const { receiver, endpoint } = await receiverAndEndpoint(() => ({ status: 410 }), { events: ['message.created'], description: 'old CRM' });
      await inbound(t, { externalId: 'crm-410' });
      const disabled = await stream.until('webhook.disabled', (client) => client.events.find((e) => e.event === 'webhook.disabled' && e.data.includes(endpoint.id)));
      expect(JSON.parse(disabled.data)).toMatchObject({ type: 'webhook.disabled', conversationId: null, data: { webhook: { id: endpoint.id, url: endpoint.url, description: 'old CRM' }, reason: 'the receiver answered 410 Gone' } });
      expect(disabled.data).not.toContain(endpoint.secret);
      const after = await repo(t.hub.db.manager, 'WebhookEndpoint').findOneByOrFail({ id: endpoint.id });
      expect(after).toMatchObject({ enabled: false, disabledReason: 'the receiver answered 410 Gone' });
      expect(receiver.requests).toHaveLength(1);
    } finally {
      await stream.close();
    }
  });

  it('signs with both secrets during a rotation, each verifying alone', async () => {
    const previous = newWebhookSecret();
    const { receiver } = await receiverAndEndpoint(undefined, { events: ['message.created'], previousSecret: previous, previousSecretExpiresAt: new Date(Date.now() + 3_600_000) });
    const ids = await inbound(t, { externalId: 'crm-rotation' });
    const [request] = await eventually('delivered', () => {
      const got = ofConversation(receiver, ids.conversationId);
      return got.length > 0 ? got : undefined;
    });
    expect(request?.headers['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(() => new Webhook(receiver.secret).verify(request?.rawBody ?? '', request?.headers ?? {})).not.toThrow();
    expect(() => new Webhook(previous).verify(request?.rawBody ?? '', request?.headers ?? {})).not.toThrow();
  });

  it('delivers each conversation in order, across conversations and a slow receiver whose first answers fail', async () => {
    const { receiver } = await receiverAndEndpoint(async (request) => {
      await sleep(5 + Math.floor(Math.random() * 15));
      return request.attempt === 1 && eventOf(request)?.type === 'conversation.created' ? { status: 503 } : { status: 200 };
    });
    const conversations = await Promise.all(Array.from({ length: 8 }, (_, i) => inbound(t, { externalId: `crm-order-${i}` }, `first ${i}`)));
    for (const [i, ids] of conversations.entries()) await t.request(`/api/v1/conversations/${ids.conversationId}/messages`, { method: 'POST', json: { body: `reply ${i}` } });
    for (const ids of conversations) {
      const types = await eventually(`all of ${ids.conversationId}`, () => {
        const delivered = ofConversation(receiver, ids.conversationId).filter((r) => r.reply !== 'hang' && r.reply.status === 200);
        return delivered.filter((r) => eventOf(r)?.type === 'message.created').length >= 2 ? delivered.map((r) => eventOf(r)?.type) : undefined;
      }, 20_000);
      expect(types.indexOf('conversation.created')).toBe(0);
      // Nothing of the conversation was even tried before its conversation.created succeeded.
      const tried = ofConversation(receiver, ids.conversationId).map((r) => eventOf(r)?.type);
      expect(tried.slice(0, 2)).toEqual(['conversation.created', 'conversation.created']);
    }
  });

  it('keeps delivering to a healthy endpoint while another hangs', async () => {
    const stuck = await receiverAndEndpoint(() => 'hang', { events: ['message.created'] });
    const healthy = await receiverAndEndpoint(undefined, { events: ['message.created'] });
    const conversations = await Promise.all(Array.from({ length: 12 }, (_, i) => inbound(t, { externalId: `crm-stuck-${i}` })));
    await eventually('every message at the healthy endpoint', () => (conversations.every((ids) => ofConversation(healthy.receiver, ids.conversationId).length === 1) ? true : undefined), 20_000);
    // The hanging requests have not ended: the healthy endpoint did not wait for them.
    const stuckDeliveries = await deliveriesOf(t.hub.db, stuck.endpoint.id);
    expect(stuckDeliveries.filter((d) => d.status === 'pending')).toHaveLength(stuckDeliveries.length);
    expect(stuckDeliveries.every((d) => d.attempts.length === 0)).toBe(true);
    // Its requests end now, not at the hub's stop.
    await stuck.receiver.close();
  });

  it('delivers to a receiver that was down once it is up, with the same webhook-id', async () => {
    const port = await freePort();
    const secret = newWebhookSecret();
    const endpoint = await createEndpoint(t.hub.db, { url: `http://localhost:${port}/hooks`, secret, events: ['message.created'] });
    endpoints.push(endpoint);
    await inbound(t, { externalId: 'crm-down' });
    await eventually('a refused try', async () => ((await deliveriesOf(t.hub.db, endpoint.id))[0]?.attempts.length ? true : undefined));
    const receiver = await WebhookReceiver.start(secret, undefined, port);
    receivers.push(receiver);
    const delivery = await eventually('succeeded once up', async () => {
      const [row] = await deliveriesOf(t.hub.db, endpoint.id);
      return row?.status === 'succeeded' ? row : undefined;
    });
    expect(delivery.attempts[0]?.statusCode).toBeNull();
    expect(delivery.attempts.at(-1)?.statusCode).toBe(200);
    expect(receiver.requests.map((r) => r.webhookId)).toEqual([delivery.eventId]);
  });

  it('disables an endpoint that has failed for WEBHOOK_DISABLE_AFTER_DAYS, and fails what it still had pending', async () => {
    const stream = await SseClient.connect(`${t.url}/api/v1/events`, { key: t.apiKey });
    try {
      const { endpoint } = await receiverAndEndpoint(() => ({ status: 500 }), { events: ['message.created'], failingSince: new Date(Date.now() - 6 * 86_400_000) });
      const ids = await inbound(t, { externalId: 'crm-days' });
      await t.request(`/api/v1/conversations/${ids.conversationId}/messages`, { method: 'POST', json: { body: 'a reply behind it' } });
      const disabled = await stream.until('webhook.disabled', (client) => client.events.find((e) => e.event === 'webhook.disabled' && e.data.includes(endpoint.id)));
      expect(JSON.parse(disabled.data)).toMatchObject({ data: { reason: 'every delivery failed for 5 days' } });
      const deliveries = await eventually('both failed', async () => {
        const rows = await deliveriesOf(t.hub.db, endpoint.id);
        return rows.length === 2 && rows.every((row) => row.status === 'failed') ? rows : undefined;
      });
      // The failure that disabled the endpoint ended its delivery; the one behind it was never tried.
      expect(deliveries[0]?.attempts.map((a) => a.statusCode)).toEqual([500]);
      expect(deliveries[1]?.attempts.map((a) => [a.statusCode, a.response])).toEqual([[null, 'endpoint disabled']]);
    } finally {
      await stream.close();
    }
  });
});

describe.each(ENGINES)('outgoing CRM webhooks without WEBHOOK_ALLOW_PRIVATE_URLS, on %s', (engine) => {
  let t: TestHub;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    t = await startTestHub(engine, { env: { WEBHOOK_RETRY_SCHEDULE: '100ms' } });
    receiver = await WebhookReceiver.start(newWebhookSecret());
  });
  afterAll(async () => {
    await t.stop();
    await receiver.close();
  });

  it.each([
    ['a name that resolves to loopback', (port: string) => `http://localhost:${port}/hooks`, /localhost resolves to 127\.0\.0\.1, a private address/],
    ['a loopback literal', (port: string) => `http://127.0.0.1:${port}/hooks`, /127\.0\.0\.1 resolves to 127\.0\.0\.1, a private address/],
  ])('refuses %s before connecting, and fails the delivery for good', async (_what, urlOf, why) => {
    const endpoint = await createEndpoint(t.hub.db, { url: urlOf(new URL(receiver.url).port), secret: receiver.secret, events: ['message.created'] });
    await inbound(t, { externalId: `crm-ssrf-${endpoint.id}` });
    const delivery = await eventually('failed', async () => {
      const [row] = await deliveriesOf(t.hub.db, endpoint.id);
      return row?.status === 'failed' ? row : undefined;
    });
    expect(delivery.attempts).toEqual([expect.objectContaining({ statusCode: null, response: expect.stringMatching(why) as unknown })]);
    expect(receiver.requests).toEqual([]);
    await repo(t.hub.db.manager, 'WebhookEndpoint').update({ id: endpoint.id }, { enabled: false });
  });
});

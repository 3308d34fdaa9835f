import pino from 'pino';
import { startHub, type Hub } from '../../src/hub';
import { eventually, inbound, sleep } from '../support/agent-api';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { createEndpoint, deliveriesOf } from '../support/webhook-endpoints';
import { newWebhookSecret, WebhookReceiver } from '../support/webhook-receiver';

const REPLIES = 40;

/**
 * Many events of one conversation, delivered by the workers of two hubs at once to a receiver that is
 * slow and often fails first tries: every delivery arrives (no wake-up lost), each event is answered
 * 2xx once (no double send), and the successes come in the events' order.
 */
describe.each(ENGINES)('outgoing CRM webhooks with concurrent workers, on %s', (engine) => {
  let t: TestHub;
  let second: Hub;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await WebhookReceiver.start(newWebhookSecret(), async (request) => {
      await sleep(Math.floor(Math.random() * 8));
      return request.attempt === 1 && Math.random() < 0.3 ? { status: 503 } : { status: 200 };
    });
    t = await startTestHub(engine, { env: { WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_RETRY_SCHEDULE: '50ms,50ms,50ms,50ms,50ms' } });
    second = await startHub(t.environment.config, 'worker', pino({ level: 'silent' }), process.env.PATH ?? '');
  });
  afterAll(async () => {
    await second.stop();
    await t.stop();
    await receiver.close();
  });

  it('sends every event of the conversation once, in order, with no delivery left behind', async () => {
    const endpoint = await createEndpoint(t.hub.db, { url: receiver.url, secret: receiver.secret, events: ['conversation.created', 'message.created'] });
    const ids = await inbound(t, { externalId: 'crm-concurrent' }, 'the first message');
    await Promise.all(
      Array.from({ length: REPLIES }, async (_, i) => {
        const res = await t.request(`/api/v1/conversations/${ids.conversationId}/messages`, { method: 'POST', json: { body: `reply ${i}` } });
        expect(res.status).toBe(201);
      }),
    );
    const expected = REPLIES + 2;
    const deliveries = await eventually(
      'every delivery finished',
      async () => {
        const rows = await deliveriesOf(t.hub.db, endpoint.id);
        return rows.length === expected && rows.every((row) => row.status !== 'pending') ? rows : undefined;
      },
      60_000,
    );
    expect(deliveries.filter((row) => row.status !== 'succeeded')).toEqual([]);
    expect(receiver.unverified).toEqual([]);
    const succeeded = receiver.requests.filter((r) => r.reply !== 'hang' && r.reply.status === 200).map((r) => r.webhookId);
    // Each event answered 2xx exactly once, and in the order of the events.
    expect(succeeded).toEqual(deliveries.map((row) => row.eventId));
    // A try of an event never came before the success of the one before it.
    const position = new Map(deliveries.map((row, i) => [row.eventId, i]));
    let done = -1;
    for (const request of receiver.requests) {
      const index = position.get(request.webhookId) ?? -2;
      expect(index).toBeGreaterThanOrEqual(done);
      expect(index).toBeLessThanOrEqual(done + 1);
      if (request.reply !== 'hang' && request.reply.status === 200) done = index;
    }
  });
});

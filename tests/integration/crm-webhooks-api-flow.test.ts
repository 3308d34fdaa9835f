import { expectStatus, eventually, inbound, type Page } from '../support/agent-api';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { freePort } from '../support/processes';
import { eventOf } from '../support/webhook-endpoints';
import { WebhookReceiver, type ReceivedWebhook, type ReceiverReply } from '../support/webhook-receiver';
import { createWebhook, type DeliveryItem, type WebhookWithSecret } from '../support/webhooks';

/**
 * The REST API and the delivery engine together, as an admin uses them: an endpoint made with
 * POST /api/v1/webhooks gets the hub's events signed with the secret it was shown once; its log shows
 * every try; a delivery that failed is redelivered with the same webhook-id and its retries start over;
 * the test event arrives; a rotated secret verifies alone.
 */
describe.each(ENGINES)('webhook endpoints made through the API, on %s', (engine) => {
  let t: TestHub;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    t = await startTestHub(engine, { env: { WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_RETRY_SCHEDULE: '100ms,100ms', WEBHOOK_TIMEOUT_MS: '300' } });
  });
  afterAll(async () => {
    await t.stop();
    for (const receiver of receivers) await receiver.close();
  });

  /** An endpoint for a receiver that is not listening yet: the secret is known only once the endpoint exists. */
  async function endpointWithReceiver(events: string[], respond?: (request: ReceivedWebhook) => ReceiverReply): Promise<{ webhook: WebhookWithSecret; receiver: WebhookReceiver }> {
    const port = await freePort();
    const webhook = await createWebhook(t, { url: `http://127.0.0.1:${port}/hooks/replies`, events });
    const receiver = await WebhookReceiver.start(webhook.secret, respond, port);
    receivers.push(receiver);
    return { webhook, receiver };
  }

  const log = async (id: string) => (await expectStatus<Page<DeliveryItem>>(200, t, 'GET', `/api/v1/webhooks/${id}/deliveries`)).items;

  it('delivers a conversation in order, signed with the secret answered at creation, and logs each try', async () => {
    const { webhook, receiver } = await endpointWithReceiver(['conversation.created', 'message.created']);
    const ids = await inbound(t, { externalId: 'api-flow-order' }, 'first');
    await expectStatus(201, t, 'POST', `/api/v1/conversations/${ids.conversationId}/messages`, { body: 'an agent answers' });
    const requests = await eventually('three events', () => (receiver.requests.filter((r) => r.payload).length >= 3 ? receiver.requests : undefined));

    expect(receiver.unverified).toEqual([]);
    expect(requests.map((r) => eventOf(r)?.type)).toEqual(['conversation.created', 'message.created', 'message.created']);
    expect(requests.map((r) => eventOf(r)?.data.conversationId)).toEqual([ids.conversationId, ids.conversationId, ids.conversationId]);
    const items = await eventually('three succeeded deliveries', async () => {
      const rows = await log(webhook.id);
      return rows.length === 3 && rows.every((row) => row.status === 'succeeded') ? rows : undefined;
    });
    expect(new Set(items.map((item) => item.eventId))).toEqual(new Set(requests.map((r) => r.webhookId)));
    expect(items.every((item) => item.attempts.length === 1 && item.attempts[0]?.statusCode === 200)).toBe(true);
  });

  it('redelivers a failed delivery with the same webhook-id, and the retry schedule starts over for it', async () => {
    let failing = true;
    // Down for the first delivery's tries; after the redelivery, one more 503 before the 200.
    const { webhook, receiver } = await endpointWithReceiver(['message.created'], (request) => (failing || request.attempt === 4 ? { status: 503 } : { status: 200 }));
    await inbound(t, { externalId: 'api-flow-redeliver' }, 'will fail at first');
    const [failed] = await eventually('the delivery failed after its schedule', async () => {
      const rows = await log(webhook.id);
      return rows[0]?.status === 'failed' ? rows : undefined;
    });
    expect(failed?.attemptCount).toBe(3);

    failing = false;
    await expectStatus(202, t, 'POST', `/api/v1/webhooks/${webhook.id}/deliveries/${failed?.id}/redeliver`);
    const [redelivered] = await eventually('delivered after the redelivery', async () => {
      const rows = await log(webhook.id);
      return rows[0]?.status === 'succeeded' ? rows : undefined;
    });
    // The 503 right after the redelivery was retried: the schedule was not used up by the first round.
    expect(redelivered?.attempts.map((a) => a.statusCode)).toEqual([503, 503, 503, 503, 200]);
    expect(new Set(receiver.requests.map((r) => r.webhookId))).toEqual(new Set([failed?.eventId]));
  });

  it('sends the test event, and after a rotation signs with the new secret beside the old one', async () => {
    const { webhook, receiver } = await endpointWithReceiver(['message.created']);
    const test = await expectStatus<{ deliveryId: string; eventId: string }>(202, t, 'POST', `/api/v1/webhooks/${webhook.id}/test`);
    const arrived = await eventually('the test event', () => receiver.requests.find((r) => r.webhookId === test.eventId));
    expect(eventOf(arrived)?.type).toBe('webhook.test');

    const rotated = await expectStatus<WebhookWithSecret>(200, t, 'POST', `/api/v1/webhooks/${webhook.id}/rotate-secret`);
    expect(rotated.secret).not.toBe(webhook.secret);
    const again = await expectStatus<{ deliveryId: string; eventId: string }>(202, t, 'POST', `/api/v1/webhooks/${webhook.id}/test`);
    const signed = await eventually('the second test event', () => receiver.requests.find((r) => r.webhookId === again.eventId));
    // Signed with both: the receiver still on the old secret verified it, and so does one on the new secret alone.
    expect(signed.payload).toBeDefined();
    const onNewSecret = await WebhookReceiver.start(rotated.secret);
    receivers.push(onNewSecret);
    await expect(fetch(onNewSecret.url, { method: 'POST', headers: signed.headers, body: signed.rawBody })).resolves.toMatchObject({ status: 200 });
    expect(onNewSecret.unverified).toEqual([]);
  });

  it('does not follow a redirect: a 3xx fails the delivery at once, and its target gets nothing', async () => {
    const target = await WebhookReceiver.start('whsec_' + Buffer.alloc(32, 1).toString('base64'));
    receivers.push(target);
    const { webhook, receiver } = await endpointWithReceiver(['message.created'], () => ({ status: 302, headers: { location: target.url } }));
    await inbound(t, { externalId: 'api-flow-redirect' }, 'moved?');
    const [delivery] = await eventually('the delivery failed', async () => {
      const rows = await log(webhook.id);
      return rows[0]?.status === 'failed' ? rows : undefined;
    });
    expect(delivery?.attempts.map((a) => a.statusCode)).toEqual([302]);
    expect(receiver.requests).toHaveLength(1);
    expect(target.requests).toEqual([]);
  });

  it('ends a try that gets no answer within WEBHOOK_TIMEOUT_MS, logs it without a status, and retries it', async () => {
    const { webhook } = await endpointWithReceiver(['message.created'], (request) => (request.attempt === 1 ? 'hang' : { status: 200 }));
    await inbound(t, { externalId: 'api-flow-timeout' }, 'anyone there?');
    const [delivery] = await eventually('delivered on the second try', async () => {
      const rows = await log(webhook.id);
      return rows[0]?.status === 'succeeded' ? rows : undefined;
    });
    expect(delivery?.attempts.map((a) => a.statusCode)).toEqual([null, 200]);
    expect(delivery?.attempts[0]?.response).toBe('no answer within 300 ms');
    expect(delivery?.attempts[0]?.latencyMs).toBeGreaterThanOrEqual(250);
  });
});

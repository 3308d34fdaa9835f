import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { CRM_QUEUE } from '../../src/channels/crm/name';
import { repo, updateRow } from '../../src/core/model/schemas';
import { api, errorCode, expectStatus, type AuditItem, type ErrorBody, type Page } from '../support/agent-api';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { attemptJobsOf, createWebhook, insertDelivery, waitForAttemptJobs, type DeliveryItem } from '../support/webhooks';

/**
 * An endpoint's delivery log over the REST API (rows written straight into it, as the delivery engine
 * leaves them): newest first, a page at a time, by status; sending one again or every failed one since
 * a time, each keeping its webhook-id and writing its attempt job in the same unit of work; and the
 * test event. The hub runs the api role, so the attempt jobs wait on the crm queue where the test finds them.
 */

const MINUTE = 60_000;
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

describe.each(ENGINES)('Webhook delivery log API on %s', (engine) => {
  let t: TestHub;
  let redis: Redis;
  let queue: Queue;

  beforeAll(async () => {
    t = await startTestHub(engine, { role: 'api' });
    redis = new Redis(t.hub.redisUrl, { maxRetriesPerRequest: null });
    queue = new Queue(CRM_QUEUE, { connection: redis, prefix: t.environment.prefix });
  });
  afterAll(async () => {
    await queue.close();
    await redis.quit();
    await t.stop();
  });

  async function stored(id: string) {
    return repo(t.hub.db.manager, 'WebhookDelivery').findOneByOrFail({ id });
  }

  async function auditActions(endpointId: string): Promise<string[]> {
    return (await expectStatus<Page<AuditItem>>(200, t, 'GET', `/api/v1/audit?entityType=webhook&entityId=${endpointId}&limit=100`)).items.map((entry) => entry.action);
  }

  it('lists the deliveries newest first, a page at a time, with each try; by status; only the endpoint’s own', async () => {
    const endpoint = await createWebhook(t);
    const other = await createWebhook(t);
    const now = Date.now();
    const statuses = ['failed', 'succeeded', 'pending', 'failed', 'succeeded'] as const;
    const rows = [];
    for (const [i, status] of statuses.entries()) rows.push(await insertDelivery(t, endpoint.id, { status, createdAt: new Date(now - (10 - i) * MINUTE) }));
    await insertDelivery(t, other.id, { status: 'failed', createdAt: new Date(now) });

    const first = await expectStatus<Page<DeliveryItem>>(200, t, 'GET', `/api/v1/webhooks/${endpoint.id}/deliveries?limit=2`);
    const newest = rows[4];
    expect(first.items[0]).toEqual({
      id: newest?.id,
      eventId: newest?.eventId,
      eventType: 'message.created',
      status: 'succeeded',
      attemptCount: 1,
      attempts: [{ at: newest?.createdAt.toISOString(), statusCode: 200, latencyMs: 12, response: 'ok' }],
      nextAttemptAt: null,
      createdAt: newest?.createdAt.toISOString(),
      finishedAt: newest?.createdAt.toISOString(),
    });
    expect(first.items[0]).not.toHaveProperty('body');
    const listed = [...first.items];
    let cursor = first.nextCursor;
    while (cursor) {
      const page: Page<DeliveryItem> = await expectStatus<Page<DeliveryItem>>(200, t, 'GET', `/api/v1/webhooks/${endpoint.id}/deliveries?limit=2&cursor=${encodeURIComponent(cursor)}`);
      listed.push(...page.items);
      cursor = page.nextCursor;
    }
    expect(listed.map((item) => item.id)).toEqual([...rows].reverse().map((row) => row.id));

    const failed = await expectStatus<Page<DeliveryItem>>(200, t, 'GET', `/api/v1/webhooks/${endpoint.id}/deliveries?status=failed`);
    expect(failed.items.map((item) => item.id)).toEqual([rows[3]?.id, rows[0]?.id]);
    const pending = await expectStatus<Page<DeliveryItem>>(200, t, 'GET', `/api/v1/webhooks/${endpoint.id}/deliveries?status=pending`);
    expect(pending.items.map((item) => [item.id, item.nextAttemptAt])).toEqual([[rows[2]?.id, rows[2]?.createdAt.toISOString()]]);

    for (const query of ['status=lost', 'limit=0', 'limit=101', 'cursor=nope', 'colour=red']) {
      expect([query, (await api(t, 'GET', `/api/v1/webhooks/${endpoint.id}/deliveries?${query}`)).status]).toEqual([query, 400]);
    }
    expect((await api<ErrorBody>(t, 'GET', `/api/v1/webhooks/${UNKNOWN}/deliveries`)).status).toBe(404);
  });

  it('redelivers a finished delivery with the same event id and its attempt job; a pending one is 409', async () => {
    const endpoint = await createWebhook(t);
    const delivery = await insertDelivery(t, endpoint.id, { status: 'failed', createdAt: new Date(Date.now() - MINUTE) });

    const answered = await expectStatus<DeliveryItem>(202, t, 'POST', `/api/v1/webhooks/${endpoint.id}/deliveries/${delivery.id}/redeliver`);
    expect(answered).toMatchObject({ id: delivery.id, eventId: delivery.eventId, status: 'pending', attemptCount: 1, finishedAt: null });
    const row = await stored(delivery.id);
    expect(row).toMatchObject({ status: 'pending', eventId: delivery.eventId, body: delivery.body, attemptCount: 1, attempts: delivery.attempts, finishedAt: null });
    expect(row.nextAttemptAt).not.toBeNull();
    expect(await waitForAttemptJobs(queue, delivery.id)).toEqual([{ deliveryId: delivery.id, attemptCount: 1 }]);
    expect(await auditActions(endpoint.id)).toContain('webhook.redelivered');

    const again = await api<ErrorBody>(t, 'POST', `/api/v1/webhooks/${endpoint.id}/deliveries/${delivery.id}/redeliver`);
    expect([again.status, errorCode(again.body)]).toEqual([409, 'delivery_pending']);
    expect(await attemptJobsOf(queue, delivery.id)).toHaveLength(1);

    const succeeded = await insertDelivery(t, endpoint.id, { status: 'succeeded', createdAt: new Date() });
    expect((await expectStatus<DeliveryItem>(202, t, 'POST', `/api/v1/webhooks/${endpoint.id}/deliveries/${succeeded.id}/redeliver`)).eventId).toBe(succeeded.eventId);
  });

  it('refuses to redeliver what is not the endpoint’s, or to a disabled endpoint, changing nothing', async () => {
    const endpoint = await createWebhook(t);
    const other = await createWebhook(t);
    const delivery = await insertDelivery(t, endpoint.id, { status: 'failed', createdAt: new Date() });
    const elsewhere = await insertDelivery(t, other.id, { status: 'failed', createdAt: new Date() });

    expect((await api(t, 'POST', `/api/v1/webhooks/${endpoint.id}/deliveries/${elsewhere.id}/redeliver`)).status).toBe(404);
    expect((await api(t, 'POST', `/api/v1/webhooks/${endpoint.id}/deliveries/${UNKNOWN}/redeliver`)).status).toBe(404);
    expect((await api(t, 'POST', `/api/v1/webhooks/${UNKNOWN}/deliveries/${delivery.id}/redeliver`)).status).toBe(404);
    expect((await api(t, 'POST', `/api/v1/webhooks/${endpoint.id}/deliveries/not-an-id/redeliver`)).status).toBe(400);

    await updateRow(t.hub.db.manager, 'WebhookEndpoint', endpoint.id, { enabled: false, disabledAt: new Date(), disabledReason: 'answered 410 Gone' });
    const disabled = await api<ErrorBody>(t, 'POST', `/api/v1/webhooks/${endpoint.id}/deliveries/${delivery.id}/redeliver`);
    expect([disabled.status, errorCode(disabled.body)]).toEqual([409, 'webhook_disabled']);
    expect((await api(t, 'POST', `/api/v1/webhooks/${endpoint.id}/redeliver-failed?since=2020-01-01T00:00:00Z`)).status).toBe(409);
    expect((await api(t, 'POST', `/api/v1/webhooks/${endpoint.id}/test`)).status).toBe(409);

    expect((await stored(delivery.id)).status).toBe('failed');
    expect((await stored(elsewhere.id)).status).toBe('failed');
    expect(await repo(t.hub.db.manager, 'WebhookDelivery').countBy({ endpointId: endpoint.id })).toBe(1);
  });

  it('redelivers every failed delivery of the events since a time, each keeping its event id, and answers how many', async () => {
    const endpoint = await createWebhook(t);
    const now = Date.now();
    const old = await insertDelivery(t, endpoint.id, { status: 'failed', createdAt: new Date(now - 180 * MINUTE) });
    const recent = [await insertDelivery(t, endpoint.id, { status: 'failed', createdAt: new Date(now - 60 * MINUTE) }), await insertDelivery(t, endpoint.id, { status: 'failed', createdAt: new Date(now - 10 * MINUTE) })];
    const succeeded = await insertDelivery(t, endpoint.id, { status: 'succeeded', createdAt: new Date(now - 30 * MINUTE) });
    const pending = await insertDelivery(t, endpoint.id, { status: 'pending', createdAt: new Date(now - 20 * MINUTE) });
    const since = new Date(now - 120 * MINUTE).toISOString();

    expect(await expectStatus(202, t, 'POST', `/api/v1/webhooks/${endpoint.id}/redeliver-failed?since=${encodeURIComponent(since)}`)).toEqual({ count: 2 });
    for (const delivery of recent) {
      expect(await stored(delivery.id)).toMatchObject({ status: 'pending', eventId: delivery.eventId, finishedAt: null });
      expect(await waitForAttemptJobs(queue, delivery.id)).toEqual([{ deliveryId: delivery.id, attemptCount: 1 }]);
    }
    expect((await stored(old.id)).status).toBe('failed');
    expect((await stored(succeeded.id)).status).toBe('succeeded');
    expect((await stored(pending.id)).status).toBe('pending');
    expect(await attemptJobsOf(queue, old.id)).toEqual([]);

    expect(await expectStatus(202, t, 'POST', `/api/v1/webhooks/${endpoint.id}/redeliver-failed?since=${encodeURIComponent(since)}`)).toEqual({ count: 0 });
    for (const query of ['', '?since=yesterday', '?since=2024-13-01T00:00:00Z', `?since=${encodeURIComponent(since)}&all=true`]) {
      expect([query, (await api(t, 'POST', `/api/v1/webhooks/${endpoint.id}/redeliver-failed${query}`)).status]).toEqual([query, 400]);
    }
    expect((await api(t, 'POST', `/api/v1/webhooks/${UNKNOWN}/redeliver-failed?since=${encodeURIComponent(since)}`)).status).toBe(404);
  });

  it('sends a webhook.test event to the endpoint alone: a delivery of its own event, in order by itself, with its attempt job', async () => {
    const endpoint = await createWebhook(t);
    const other = await createWebhook(t);
    const answered = await expectStatus<{ deliveryId: string; eventId: string }>(202, t, 'POST', `/api/v1/webhooks/${endpoint.id}/test`);

    const delivery = await stored(answered.deliveryId);
    expect(delivery).toMatchObject({ endpointId: endpoint.id, eventId: answered.eventId, eventType: 'webhook.test', orderKey: answered.eventId, status: 'pending', attemptCount: 0 });
    const body = JSON.parse(delivery.body) as { type: string; timestamp: string; data: { endpointId: string; message: string } };
    expect(body).toEqual({ type: 'webhook.test', timestamp: expect.any(String) as unknown, data: { endpointId: endpoint.id, message: expect.any(String) as unknown } });
    expect(Date.parse(body.timestamp)).not.toBeNaN();
    expect(await repo(t.hub.db.manager, 'WebhookDelivery').countBy({ endpointId: other.id })).toBe(0);
    expect(await waitForAttemptJobs(queue, delivery.id)).toEqual([{ deliveryId: delivery.id, attemptCount: 0 }]);

    const log = await expectStatus<Page<DeliveryItem>>(200, t, 'GET', `/api/v1/webhooks/${endpoint.id}/deliveries`);
    expect(log.items.map((item) => [item.id, item.eventType, item.status])).toEqual([[answered.deliveryId, 'webhook.test', 'pending']]);
    expect(await auditActions(endpoint.id)).toContain('webhook.tested');
    expect((await api(t, 'POST', `/api/v1/webhooks/${UNKNOWN}/test`)).status).toBe(404);
  });
});

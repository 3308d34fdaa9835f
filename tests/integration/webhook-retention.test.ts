import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { In } from 'typeorm';
import { RETENTION_JOB, runRetention } from '../../src/channels/crm/retention';
import { CRM_QUEUE } from '../../src/channels/crm/name';
import { insertRows, repo } from '../../src/core/model/schemas';
import type { CrmInboundEvent } from '../../src/core/model/types';
import { eventually } from '../support/agent-api';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { createWebhook, insertDelivery } from '../support/webhooks';

const DAY_MS = 86_400_000;

/**
 * The CRM channel's retention: finished deliveries and settled inbound CRM events older than
 * WEBHOOK_LOG_RETENTION_DAYS go, recent ones and every pending one stay, and the job puts its next run
 * on the queue.
 */
describe.each(ENGINES)('webhook delivery retention on %s', (engine) => {
  let t: TestHub;
  let redis: Redis;
  let queue: Queue;

  beforeAll(async () => {
    // The api role: no worker takes the retention job off the queue, so the test finds it there.
    t = await startTestHub(engine, { role: 'api' });
    redis = new Redis(t.hub.redisUrl, { maxRetriesPerRequest: null });
    queue = new Queue(CRM_QUEUE, { connection: redis, prefix: t.environment.prefix });
  });
  afterAll(async () => {
    await queue.close();
    await redis.quit();
    await t.stop();
  });

  it('deletes finished deliveries past the retention, keeps recent and pending ones, and schedules its next run', async () => {
    const endpoint = await createWebhook(t);
    const now = Date.now();
    const old = await insertDelivery(t, endpoint.id, { status: 'succeeded', createdAt: new Date(now - 40 * DAY_MS) });
    const oldFailed = await insertDelivery(t, endpoint.id, { status: 'failed', createdAt: new Date(now - 31 * DAY_MS) });
    const recent = await insertDelivery(t, endpoint.id, { status: 'failed', createdAt: new Date(now - 29 * DAY_MS) });
    const oldPending = await insertDelivery(t, endpoint.id, { status: 'pending', createdAt: new Date(now - 40 * DAY_MS) });

    const inboundEvent = (status: CrmInboundEvent['status'], daysAgo: number): CrmInboundEvent => {
      const at = new Date(now - daysAgo * DAY_MS);
      return { id: randomUUID(), provider: 'generic', eventId: randomUUID(), type: 'contact.upsert', payload: {}, jobId: randomUUID(), position: 0, status, outcome: null, contactId: null, receivedAt: at, processedAt: status === 'pending' ? null : at };
    };
    const inbound = [inboundEvent('processed', 40), inboundEvent('ignored', 31), inboundEvent('processed', 29), inboundEvent('pending', 40)];
    await insertRows(t.hub.db.manager, 'CrmInboundEvent', inbound);

    await runRetention({ db: t.hub.db, outbox: t.hub.outbox, retentionDays: 30, logger: pino({ level: 'silent' }) });

    // The inbound CRM events that are settled and old go too; a pending one is still to apply.
    const kept = await repo(t.hub.db.manager, 'CrmInboundEvent').findBy({ id: In(inbound.map((e) => e.id)) });
    expect(kept.map((e) => e.id).sort()).toEqual([inbound[2]?.id, inbound[3]?.id].sort());

    const left = await repo(t.hub.db.manager, 'WebhookDelivery').findBy({ endpointId: endpoint.id });
    expect(left.map((d) => d.id).sort()).toEqual([recent.id, oldPending.id].sort());
    expect(left.map((d) => d.id)).not.toContain(old.id);
    expect(left.map((d) => d.id)).not.toContain(oldFailed.id);
    const next = await eventually('the next retention run on the queue', async () => (await queue.getDelayed()).find((job) => job.name === RETENTION_JOB));
    expect(next.opts.delay ?? 0).toBeGreaterThan(0);
    expect(next.opts.delay ?? 0).toBeLessThanOrEqual(3_600_000);
  });
});

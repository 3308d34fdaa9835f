import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createApiKey } from '../../src/core/api-keys';
import { repo } from '../../src/core/model/schemas';
import { startHub, type Hub } from '../../src/hub';
import { createTestEnvironment, deleteRedisPrefix, ENGINES, type TestEnvironment } from '../support/env';
import { waitFor } from '../support/processes';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';

/**
 * A follow-up is a delayed BullMQ job backed by its row: stopped between scheduling and sending, with
 * Redis's data lost meanwhile, the hub puts the job back when its workers start, and a start without
 * any loss adds no second one. Either way the customer gets the follow-up once, at its time.
 */

const DELAY_MS = 8000;

describe.each(ENGINES)('follow-ups across restarts on %s', (engine) => {
  let sink: SmtpSink;
  let environment: TestEnvironment;
  let hub: Hub | undefined;
  let redis: Redis;

  beforeAll(async () => {
    sink = await startSmtpSink();
    environment = createTestEnvironment(engine, { SMTP_URL: sink.url, MAIL_FROM: 'Acme Support <support@acme.test>', EMAIL_DOMAIN: 'mail.hub.test', FOLLOW_UP_DELAY_HOURS: String(DELAY_MS / 3600_000) });
    redis = new Redis(environment.env.REDIS_URL ?? '', { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    await hub?.stop();
    redis.disconnect();
    await environment.cleanup();
    await sink.close();
  });

  const start = async () => (hub = await startHub(environment.config, 'all', pino({ level: 'silent' }), process.env.PATH ?? ''));
  async function stop(): Promise<void> {
    await hub?.stop();
    hub = undefined;
  }
  async function delayedJob(followUpId: string): Promise<boolean> {
    const queue = new Queue('email', { connection: redis, prefix: environment.prefix });
    try {
      return (await (await queue.getJob(`outbox-${followUpId}`))?.isDelayed()) ?? false;
    } finally {
      await queue.close();
    }
  }

  it('sends a follow-up scheduled before a restart once, with Redis flushed in between and without', async () => {
    const first = await start();
    const { key } = await createApiKey(first.db, { name: 'test', scopes: ['read', 'write'] });
    const call = (path: string, method: string, json: unknown) =>
      fetch(`${first.url ?? ''}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(json) });
    const inbound = await call('/api/v1/inbound', 'POST', { sourceId: 'restart-1', contact: { email: 'ada@customer.example', name: 'Ada' }, body: 'Help, please' });
    const { conversationId } = (await inbound.json()) as { conversationId: string };
    expect((await call(`/api/v1/conversations/${conversationId}`, 'PATCH', { status: 'resolved' })).status).toBe(200);

    const followUp = await waitFor('the follow-up', async () => (await repo(first.db.manager, 'FollowUp').findOneBy({ conversationId, kind: 'follow_up' })) ?? undefined, 10_000);
    await waitFor('its delayed job', () => delayedJob(followUp.id), 10_000);
    await waitFor('its outbox row to be gone', async () => !(await repo(first.db.manager, 'OutboxEvent').existsBy({ id: followUp.id })), 10_000);

    await stop();
    await deleteRedisPrefix(environment.env.REDIS_URL ?? '', environment.prefix);
    expect(await delayedJob(followUp.id)).toBe(false);
    await start();
    await waitFor('the job put back', () => delayedJob(followUp.id), 10_000);

    // A restart that lost nothing: the job is there already and is not added again.
    await stop();
    await start();
    expect(await delayedJob(followUp.id)).toBe(true);

    const [mail] = await sink.waitFor(1, DELAY_MS + 10_000);
    expect(Date.now()).toBeGreaterThanOrEqual(followUp.dueAt.getTime());
    expect(mail?.to).toEqual(['ada@customer.example']);
    expect(mail?.parsed.subject).toMatch(/^How did we do\?/);
    const db = hub?.db ?? first.db;
    await waitFor('the follow-up to be marked sent', async () => (await repo(db.manager, 'FollowUp').findOneByOrFail({ id: followUp.id })).status === 'sent', 5000);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(sink.mails).toHaveLength(1);
  }, 60_000);
});

import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { Webhook } from 'standardwebhooks';
import { repo } from '../../src/core/model/schemas';
import { startHub, type Hub, type Role } from '../../src/hub';
import { createTestEnvironment, deleteRedisPrefix, ENGINES, type TestEnvironment } from '../support/env';
import { waitFor } from '../support/processes';
import { newWebhookSecret } from '../support/webhook-receiver';

/**
 * An acknowledged CRM event is applied even when its job is lost: taken by an API-only hub (no
 * workers), with Redis's data lost before any worker ran it, the next hub's workers put the job back
 * from the events still pending in the database, and apply it once.
 */

describe.each(ENGINES)('CRM events across a lost queue on %s', (engine) => {
  const secret = newWebhookSecret();
  let environment: TestEnvironment;
  let hub: Hub | undefined;

  beforeAll(() => {
    environment = createTestEnvironment(engine, { CRM_WEBHOOK_SECRET: secret });
  });
  afterAll(async () => {
    await hub?.stop();
    await environment.cleanup();
  });

  const start = async (role: Role) => (hub = await startHub(environment.config, role, pino({ level: 'silent' }), process.env.PATH ?? ''));

  it('applies an event whose job Redis lost, once the workers start', async () => {
    const api = await start('api');
    const id = `msg_${randomUUID()}`;
    const at = new Date();
    const body = JSON.stringify({ type: 'contact.upsert', timestamp: at.toISOString(), data: { externalId: 'crm-restart-1', email: 'restart@example.com', name: 'Lin Restart' } });
    const res = await fetch(`${api.url ?? ''}/webhooks/crm/generic`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(id, at, body) },
    });
    expect(res.status).toBe(202);
    const record = await repo(api.db.manager, 'CrmInboundEvent').findOneByOrFail({ provider: 'generic', eventId: id });
    expect(record.status).toBe('pending');
    await waitFor('its job to be published', async () => !(await repo(api.db.manager, 'OutboxEvent').existsBy({ id: record.jobId })), 10_000);

    await hub?.stop();
    hub = undefined;
    await deleteRedisPrefix(environment.env.REDIS_URL ?? '', environment.prefix);

    const workers = await start('all');
    const settled = await waitFor('the event to be applied', async () => {
      const now = await repo(workers.db.manager, 'CrmInboundEvent').findOneByOrFail({ id: record.id });
      return now.status === 'pending' ? undefined : now;
    }, 15_000);
    expect(settled.status).toBe('processed');
    const contacts = await repo(workers.db.manager, 'Contact').findBy({ email: 'restart@example.com' });
    expect(contacts).toHaveLength(1);
    expect(contacts[0]?.name).toBe('Lin Restart');
  });
});

import pino from 'pino';
import { repo } from '../../src/core/model/schemas';
import { startHub, type Hub } from '../../src/hub';
import { eventually, inbound } from '../support/agent-api';
import { deleteRedisPrefix, ENGINES, redisUrl } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { createEndpoint, deliveriesOf, eventOf } from '../support/webhook-endpoints';
import { newWebhookSecret, WebhookReceiver } from '../support/webhook-receiver';

/**
 * Redis loses its data (a restart without persistence) while deliveries wait for their retry: the next
 * start-up puts the head of every line back on the queue from the database, and they go out in order.
 */
describe.each(ENGINES)('outgoing webhooks after Redis lost its data, on %s', (engine) => {
  let t: TestHub;
  let restarted: Hub | undefined;
  let receiver: WebhookReceiver;
  let healthy = false;

  beforeAll(async () => {
    receiver = await WebhookReceiver.start(newWebhookSecret(), () => (healthy ? { status: 200 } : { status: 503 }));
    // The retry waits an hour: only the start-up's reconcile can bring it back in this test.
    t = await startTestHub(engine, { env: { WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_RETRY_SCHEDULE: '1h' } });
  });
  afterAll(async () => {
    await restarted?.stop();
    await t.environment.cleanup();
    await receiver.close();
  });

  it('delivers what was pending once the hub starts again', async () => {
    const endpoint = await createEndpoint(t.hub.db, { url: receiver.url, secret: receiver.secret, events: ['conversation.created', 'message.created'] });
    const ids = await inbound(t, { externalId: 'redis-loss' });
    await eventually('the first try failed', async () => ((await deliveriesOf(t.hub.db, endpoint.id))[0]?.attempts.length === 1 ? true : undefined));
    // The hour passes while the hub is down and Redis loses the delayed job.
    await repo(t.hub.db.manager, 'WebhookDelivery').update({ endpointId: endpoint.id, status: 'pending' }, { nextAttemptAt: new Date(Date.now() - 1000) });
    await t.hub.stop();
    await deleteRedisPrefix(redisUrl(), t.environment.prefix);
    healthy = true;
    restarted = await startHub(t.environment.config, 'all', pino({ level: 'silent' }), process.env.PATH ?? '');
    const db = restarted.db;
    const deliveries = await eventually(
      'both delivered',
      async () => {
        const rows = await deliveriesOf(db, endpoint.id);
        return rows.length === 2 && rows.every((row) => row.status === 'succeeded') ? rows : undefined;
      },
      20_000,
    );
    const succeeded = receiver.requests.filter((r) => r.reply !== 'hang' && r.reply.status === 200);
    expect(succeeded.map((r) => [eventOf(r)?.type, eventOf(r)?.data.conversationId])).toEqual([
      ['conversation.created', ids.conversationId],
      ['message.created', ids.conversationId],
    ]);
    expect(succeeded.map((r) => r.webhookId)).toEqual(deliveries.map((row) => row.eventId));
  });
});

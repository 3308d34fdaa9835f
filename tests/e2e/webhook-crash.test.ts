import type { DataSource } from 'typeorm';
import { Database } from '../../src/core/database';
import { repo } from '../../src/core/model/schemas';
import { openDatabase } from '../../src/infra/db/data-source';
import { createTestEnvironment, ENGINES, type TestEnvironment } from '../support/env';
import { createApiKeyWithCli, describeError, freePort, HubProcess, killStartedProcesses, waitFor } from '../support/processes';
import { createEndpoint, eventOf } from '../support/webhook-endpoints';
import { newWebhookSecret, WebhookReceiver } from '../support/webhook-receiver';

const TOTAL = 300;
const IN_FLIGHT = 20;
const KILL_AFTER_ANSWERS = 100;
const MAX_ATTEMPTS = 5;
const DEADLINE_MS = 45_000;

/**
 * A hub SIGKILLed in the middle of a burst whose every event goes to a webhook endpoint: after the
 * restart every acknowledged message's event reaches the receiver with a 2xx, and an event answered
 * 2xx is sent again only as a repeat of the same webhook-id (one in flight at the kill).
 */
describe.each(ENGINES)('outgoing webhooks across a SIGKILL on %s', (engine) => {
  let t: TestEnvironment;
  let env: Record<string, string>;
  let apiKey: string;
  let receiver: WebhookReceiver;
  let dataSource: DataSource | undefined;

  beforeAll(async () => {
    t = createTestEnvironment(engine);
    env = { ...t.env, PORT: String(await freePort()), LOG_LEVEL: 'info', WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_RETRY_SCHEDULE: '200ms,500ms,1s,1s,2s,2s' };
    apiKey = await createApiKeyWithCli(env, 'webhook-crash');
    receiver = await WebhookReceiver.start(newWebhookSecret(), async () => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      return Math.random() < 0.1 ? { status: 500 } : { status: 200 };
    });
    dataSource = await openDatabase(t.config);
    await createEndpoint(new Database(dataSource), { url: receiver.url, secret: receiver.secret, events: ['conversation.created', 'message.created'] });
  });

  afterAll(async () => {
    await killStartedProcesses();
    await dataSource?.destroy();
    await receiver.close();
    await t.cleanup();
  });

  it('delivers every committed event, none twice after a 2xx except as a repeat of its webhook-id', async () => {
    const first = new HubProcess(env);
    let url = await first.running();
    let current = first;
    const acknowledged = new Map<number, string>();
    const attempts = new Array<number>(TOTAL).fill(0);
    const gaveUp: string[] = [];
    const queue = Array.from({ length: TOTAL }, (_, i) => i);
    let restart: Promise<void> | undefined;

    async function killAndRestart(): Promise<void> {
      expect((await first.stop('SIGKILL')).signal).toBe('SIGKILL');
      current = new HubProcess(env);
      url = await current.running();
    }

    async function client(): Promise<void> {
      for (;;) {
        if (restart) await restart;
        const i = queue.shift();
        if (i === undefined) return;
        attempts[i] = (attempts[i] ?? 0) + 1;
        try {
          const response = await fetch(`${url}/api/v1/inbound`, {
            method: 'POST',
            headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
            body: JSON.stringify({ sourceId: `hook-${i}`, contact: { externalId: `hook-customer-${i % 37}` }, body: `message ${i}` }),
            signal: AbortSignal.timeout(20_000),
          });
          const body = (await response.json()) as { messageId?: string };
          if (response.status === 202 || response.status === 200) acknowledged.set(i, body.messageId ?? '');
          if (!restart && acknowledged.size >= KILL_AFTER_ANSWERS) restart = killAndRestart();
        } catch (error) {
          if ((attempts[i] ?? 0) >= MAX_ATTEMPTS) gaveUp.push(`hook-${i}: ${describeError(error)}`);
          else queue.push(i);
        }
      }
    }

    await Promise.all(Array.from({ length: IN_FLIGHT }, client));
    await restart;
    expect(gaveUp).toEqual([]);
    expect(acknowledged.size).toBe(TOTAL);

    const succeededMessages = () => {
      const ids = new Set<string>();
      for (const request of receiver.requests) {
        const event = eventOf(request);
        if (event?.type === 'message.created' && request.reply !== 'hang' && request.reply.status === 200) ids.add((event.data.message as { id: string }).id);
      }
      return ids;
    };
    const missing = () => [...acknowledged.values()].filter((id) => !succeededMessages().has(id));
    await waitFor('a 2xx for every acknowledged message', () => missing().length === 0, DEADLINE_MS, 200).catch((error: unknown) => {
      throw new Error(`${describeError(error)}: ${missing().length} missing; hub output ends with:\n${current.tail()}`, { cause: error });
    });
    expect(receiver.unverified).toEqual([]);

    // Sent again after a 2xx: only events that were in flight at the kill, as repeats of their webhook-id.
    const successes = new Map<string, number>();
    for (const request of receiver.requests) if (request.reply !== 'hang' && request.reply.status === 200) successes.set(request.webhookId, (successes.get(request.webhookId) ?? 0) + 1);
    const repeated = [...successes].filter(([, count]) => count > 1);
    expect(repeated.length).toBeLessThanOrEqual(IN_FLIGHT);

    // The database agrees: every delivery succeeded, once each per event. A try the killed hub had sent
    // but not recorded is recorded once its stalled job runs again, which can come after the receiver's 2xx.
    const manager = dataSource?.manager ?? (await openDatabase(t.config)).manager;
    const unfinished = async () => (await repo(manager, 'WebhookDelivery').find()).filter((d) => d.status !== 'succeeded');
    await waitFor('every delivery recorded as succeeded', async () => (await unfinished()).length === 0, DEADLINE_MS, 200).catch(async (error: unknown) => {
      throw new Error(`${describeError(error)}: ${JSON.stringify(await unfinished())}`, { cause: error });
    });
    const deliveries = await repo(manager, 'WebhookDelivery').find();
    expect(new Set(deliveries.map((d) => d.eventId)).size).toBe(deliveries.length);
    expect(deliveries.every((d) => successes.has(d.eventId))).toBe(true);
    expect((await current.stop('SIGTERM')).code).toBe(0);
  }, 150_000);
});

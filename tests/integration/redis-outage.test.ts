import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createApiKey } from '../../src/core/api-keys';
import { repo } from '../../src/core/model/schemas';
import { startHub, type Hub } from '../../src/hub';
import { RedisEventBus } from '../../src/infra/redis/event-bus';
import { startPrivateRedis, type PrivateRedis } from '../../src/infra/redis/private-server';
import { createTestEnvironment, ENGINES, type TestEnvironment } from '../support/env';
import { describeError, freePort, waitFor } from '../support/processes';

type Phase = 'before' | 'down' | 'reconnecting' | 'after';

interface Sent {
  phase: Phase;
  sourceId: string;
  status: number | 'no answer';
  messageId?: string;
  error?: string;
}

const SENDERS = 4;
/** A request that takes longer than this counts as a hang. */
const REQUEST_TIMEOUT_MS = 5000;
const OUTAGE_MS = 2000;
/** Jobs a worker had taken when Redis went away run again once their lock lapses (10 s) and a stalled check sees it. */
const JOBS_DEADLINE_MS = 30_000;
/** The conversation id of the probe events that tell when the test's subscriber is back. */
const PROBE = 'probe';

describe.each(ENGINES)('ingest while the private redis-server is down, on %s', (engine) => {
  let redisDir: string;
  let redisPort: number;
  let redis: PrivateRedis | undefined;
  let t: TestEnvironment | undefined;
  let hub: Hub | undefined;
  let apiKey: string;
  let subscriber: Redis | undefined;
  let unsubscribe: (() => Promise<void>) | undefined;
  let bus: RedisEventBus;
  /** message id → how many `message.created` events the subscriber saw for it, live. */
  const created = new Map<string, number>();
  const probes = new Set<string>();
  /** The stream id of the last event the subscriber saw, which a reconnecting client catches up from. */
  let lastSeen: string | undefined;

  beforeAll(async () => {
    redisDir = mkdtempSync(join(tmpdir(), 'switchboard-outage-redis-'));
    redisPort = await freePort();
    redis = await startPrivateRedis(redisDir, process.env.PATH ?? '', { port: redisPort });
    t = createTestEnvironment(engine, { REDIS_URL: redis.url });
    hub = await startHub(t.config, 'all', pino({ level: 'silent' }), process.env.PATH ?? '');
    apiKey = (await createApiKey(hub.db, { name: 'outage', scopes: ['write'] })).key;
    // The test's own subscriber; it reconnects (and re-subscribes) quickly once Redis is back.
    subscriber = new Redis(redis.url, { retryStrategy: () => 20 });
    subscriber.on('error', () => undefined);
    bus = new RedisEventBus(subscriber, t.prefix, pino({ level: 'silent' }));
    unsubscribe = await bus.subscribe((event) => {
      lastSeen = event.streamId;
      if (event.type === 'message.created') created.set(event.data.message.id, (created.get(event.data.message.id) ?? 0) + 1);
      if (event.conversationId === PROBE) probes.add(event.id);
    });
  });

  afterAll(async () => {
    await unsubscribe?.();
    subscriber?.disconnect();
    await hub?.stop();
    // The prefix is deleted from the private server, so it must be running for the clean-up.
    redis ??= await startPrivateRedis(redisDir, process.env.PATH ?? '', { port: redisPort }).catch(() => undefined);
    await t?.cleanup();
    await redis?.stop();
    rmSync(redisDir, { recursive: true, force: true });
  });

  /** Publishes probe events until the test's subscriber receives one: it is subscribed again. */
  async function waitForSubscriber(): Promise<void> {
    await waitFor(
      'the subscriber to be back on the bus',
      async () => {
        const id = randomUUID();
        await bus.publish({ id, type: 'conversation.updated', conversationId: PROBE, occurredAt: new Date().toISOString(), data: { conversation: {} as never, changes: [] } });
        await new Promise((resolve) => setTimeout(resolve, 50));
        return probes.has(id);
      },
      10_000,
      0,
    );
  }

  async function readyz(): Promise<{ status: number; body: { error?: { message: string; details?: Record<string, string> } } }> {
    const response = await fetch(`${hub?.url ?? ''}/readyz`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    return { status: response.status, body: (await response.json()) as { error?: { message: string; details?: Record<string, string> } } };
  }

  it('answers 202 or 503 while Redis is down, and runs the jobs of every committed message once it is back', async () => {
    const url = hub?.url ?? '';
    const sent: Sent[] = [];
    let phase: Phase = 'before';
    let sending = true;
    let counter = 0;
    let checkpoint: string | undefined;

    async function sender(): Promise<void> {
      while (sending) {
        const sourceId = `outage-${counter++}`;
        const at = phase;
        try {
          const response = await fetch(`${url}/api/v1/inbound`, {
            method: 'POST',
            headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
            body: JSON.stringify({ sourceId, contact: { externalId: `outage-customer-${counter % 7}` }, body: `sent while Redis is ${at}` }),
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
          });
          const body = (await response.json()) as { messageId?: string };
          sent.push({ phase: at, sourceId, status: response.status, messageId: body.messageId });
        } catch (error) {
          sent.push({ phase: at, sourceId, status: 'no answer', error: describeError(error) });
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    const count = (p: Phase) => sent.filter((s) => s.phase === p).length;
    const senders = Promise.all(Array.from({ length: SENDERS }, sender));

    try {
      await waitFor('messages sent before the outage', () => count('before') >= 40, 10_000);
      expect((await readyz()).status).toBe(200);

      checkpoint = lastSeen;
      await redis?.stop();
      redis = undefined;
      phase = 'down';
      const downSince = Date.now();
      // Long enough for the hub's reconnect attempts to back off and the relay to fail a few rounds.
      await waitFor('messages sent during two seconds of outage', () => count('down') >= 60 && Date.now() - downSince >= OUTAGE_MS, 10_000 + OUTAGE_MS);

      const down = await readyz();
      expect(down.status).toBe(503);
      expect(down.body.error?.message).toMatch(/redis/i);
      expect(down.body.error?.details?.redis).not.toBe('ok');
      expect(down.body.error?.details?.database).toBe('ok');
      // What was committed meanwhile waits in the outbox.
      expect((await hub?.outbox.stats())?.waiting).toBeGreaterThan(0);

      redis = await startPrivateRedis(redisDir, process.env.PATH ?? '', { port: redisPort });
      expect(redis.adopted).toBe(false);
      phase = 'reconnecting';
      await waitFor('/readyz to answer 200 again', async () => (await readyz()).status === 200, 10_000, 100);
      await waitForSubscriber();
      phase = 'after';
      await waitFor('messages sent after the outage', () => count('after') >= 40, 10_000);
    } finally {
      sending = false;
      await senders;
    }

    // Never a 500 or a hang: committed (202) or a clear "try again" (503).
    expect(sent.filter((s) => s.status !== 202 && s.status !== 503)).toEqual([]);
    const committed = sent.filter((s) => s.status === 202);
    expect(committed.filter((s) => s.phase === 'down').length).toBeGreaterThan(0);

    // Every committed message is stored (and any stored one counts, even if its answer was a 503).
    const stored = await repo(hub?.db.manager ?? fail('no hub'), 'Message').find({ where: { channel: 'api' }, select: { id: true, externalId: true } });
    const storedIds = new Set(stored.map((message) => message.id));
    expect(committed.filter((s) => !storedIds.has(s.messageId ?? ''))).toEqual([]);

    // The jobs of every stored message ran once Redis was back: the relay republished what waited in the
    // outbox, and jobs a worker had taken when Redis went away were handed on once their lock lapsed. A
    // subscriber gets each event live or, for what passed while it was away (pub/sub keeps nothing for an
    // absent subscriber), from the bus's retained stream, as a client reconnecting with Last-Event-ID does.
    if (checkpoint === undefined) throw new Error('the subscriber saw no event before the outage');
    const from = checkpoint;
    const caughtUp = new Map<string, number>();
    const notPublished = async () => {
      const since = await bus.readSince(from);
      if (since === 'expired') throw new Error(`the event stream no longer holds ${from}, the last event seen before the outage`);
      caughtUp.clear();
      for (const event of since) if (event.type === 'message.created') caughtUp.set(event.data.message.id, (caughtUp.get(event.data.message.id) ?? 0) + 1);
      return stored.filter((message) => !created.has(message.id) && !caughtUp.has(message.id));
    };
    await waitFor('the message.created event of every stored message', async () => (await notPublished()).length === 0, JOBS_DEADLINE_MS, 250).catch(async (error: unknown) => {
      const left = await notPublished();
      throw new Error(`${describeError(error)}: ${left.length} never published, e.g. ${left.slice(0, 5).map((m) => m.externalId ?? '').join(', ')}`, { cause: error });
    });
    // Published once each, however often the relay or a stalled job ran them.
    expect([...caughtUp].filter(([, times]) => times > 1)).toEqual([]);
    expect([...created].filter(([, times]) => times > 1)).toEqual([]);

    // Live delivery: once the subscriber is back on the bus, every new message's event reaches it as it happens.
    const afterIds = committed.filter((s) => s.phase === 'after').map((s) => s.messageId ?? '');
    const missedLive = () => afterIds.filter((id) => !created.has(id));
    await waitFor('the message.created events of messages sent after the outage', () => missedLive().length === 0, 10_000, 100).catch((error: unknown) => {
      throw new Error(`${describeError(error)}: ${missedLive().length} of ${afterIds.length} missing`, { cause: error });
    });
    await waitFor('the outbox to drain', async () => (await hub?.outbox.stats())?.waiting === 0, 5000, 100);
  }, 60_000);
});

function fail(message: string): never {
  throw new Error(message);
}

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { Router } from 'express';
import pino from 'pino';
import { CHANNELS } from '../../src/channels';
import type { ChannelContext, ChannelDefinition, ChannelModule } from '../../src/channels/channel';
import { createApiKey } from '../../src/core/api-keys';
import type { DomainEvent } from '../../src/core/events';
import type { InboundOutcome } from '../../src/core/inbound';
import { repo } from '../../src/core/model/schemas';
import { startHub, type Hub, type Role } from '../../src/hub';
import { StartupError } from '../../src/startup/steps';
import { eventually } from '../support/agent-api';
import { createTestEnvironment, ENGINES, type Engine, type TestEnvironment } from '../support/env';

/** What the test channel saw: the parts of the contract the hub drove, in order. */
interface Seen {
  log: string[];
  events: DomainEvent[];
  sent: string[];
}

/**
 * A channel written only against the contract, as a new channel would be: a webhook that hands core
 * InboundEvents, an adapter with narrow capabilities, two listeners and an event subscriber.
 */
function kitChannel(seen: Seen, options: { failListener?: boolean } = {}): ChannelDefinition {
  return {
    section: { channel: 'kit', turnsOn: [] },
    create(context: ChannelContext): Promise<ChannelModule> {
      const listener = (name: string) => ({
        name,
        async start() {
          // Started after migrations: the database is there.
          await context.db.manager.query('SELECT COUNT(*) FROM conversations');
          if (options.failListener && name === 'kit-b') throw new Error('kit-b could not bind');
          seen.log.push(`start ${name}`);
        },
        stop: () => Promise.resolve(void seen.log.push(`stop ${name}`)),
      });
      return Promise.resolve({
        name: 'kit',
        adapter: {
          channel: 'kit',
          capabilities: { attachments: false, maxTextLength: 20, receipts: 'push', threads: true },
          send: (delivery) => {
            seen.sent.push(delivery.message.body);
            return Promise.resolve({ status: 'sent', externalId: `kit-${delivery.message.id}` });
          },
        },
        listeners: [listener('kit-a'), listener('kit-b')],
        subscribers: [
          {
            name: 'kit',
            events: ['message.created'],
            handle: (event) => Promise.resolve(void seen.events.push(event)),
          },
        ],
        http: () => {
          seen.log.push('http');
          const router = Router();
          router.post('/webhooks/kit', express.json(), async (req, res) => {
            const outcome: InboundOutcome = await context.inbound.accept(req.body as Parameters<typeof context.inbound.accept>[0]);
            res.json(outcome);
          });
          return { webhookRoutes: router };
        },
      });
    },
  };
}

async function start(environment: TestEnvironment, seen: Seen, role: Role = 'all', options: { failListener?: boolean; port?: number } = {}): Promise<Hub> {
  const config = options.port === undefined ? environment.config : { ...environment.config, port: options.port };
  return startHub(config, role, pino({ level: 'silent' }), process.env.PATH ?? '', undefined, [...CHANNELS, kitChannel(seen, options)]);
}

const fresh = (): Seen => ({ log: [], events: [], sent: [] });

describe.each(ENGINES)('channel kit on %s', (engine: Engine) => {
  let environment: TestEnvironment;
  let hub: Hub;
  let seen: Seen;
  let key: string;

  const post = async (path: string, json: unknown, auth = false): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(`${hub.url ?? ''}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify(json),
    });
    return { status: res.status, body: await res.json() };
  };
  const message = (externalId: string, address: string, body: string, threadId?: string) =>
    post('/webhooks/kit', { kind: 'message', message: { channel: 'kit', externalId, sender: { address }, body, ...(threadId ? { threadId } : {}) } });

  beforeAll(async () => {
    environment = createTestEnvironment(engine);
    seen = fresh();
    hub = await start(environment, seen);
    ({ key } = await createApiKey(hub.db, { name: 'kit', scopes: ['read', 'write', 'admin'] }));
  });
  afterAll(async () => {
    await hub.stop();
    await environment.cleanup();
  });

  it('starts the listeners in order after migrations, then serves the channel over HTTP', () => {
    expect(seen.log).toEqual(['start kit-a', 'start kit-b', 'http']);
  });

  it('takes messages as InboundEvents; a thread key continues its conversation, whoever writes', async () => {
    const first = await message('k-1', 'ada', 'Hello');
    const conversationId = (first.body as { conversationId: string }).conversationId;
    expect(first.body).toMatchObject({ kind: 'message', duplicate: false });
    expect(await message('k-1', 'ada', 'Hello')).toMatchObject({ body: { kind: 'message', duplicate: true, conversationId } });

    const threaded = await message('k-2', 'grace', 'Me too, same problem', conversationId);
    expect(threaded.body).toMatchObject({ conversationId });
    const unknownThread = await message('k-3', 'grace', 'A new question', 'no-such-conversation');
    expect((unknownThread.body as { conversationId: string }).conversationId).not.toBe(conversationId);
    const others = await repo(hub.db.manager, 'Conversation').countBy({ channel: 'kit' });
    expect(others).toBe(2);
  });

  it('hands every message.created event to the subscriber in the workers, once each', async () => {
    const sent = await message('k-sub', 'linus', 'Subscribed?');
    const messageId = (sent.body as { messageId: string }).messageId;
    const event = await eventually('the subscriber to get the event', () => seen.events.find((e) => e.type === 'message.created' && e.data.message.id === messageId));
    expect(event.type).toBe('message.created');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(seen.events.filter((e) => e.id === event.id)).toHaveLength(1);
  });

  it('moves a reply by the receipt the channel hands in, and ignores what it says is nothing', async () => {
    const { conversationId } = (await message('k-r', 'alan', 'Receipts?')).body as { conversationId: string };
    const reply = await post(`/api/v1/conversations/${conversationId}/messages`, { body: 'On it' }, true);
    expect(reply.status).toBe(201);
    const messageId = (reply.body as { id: string }).id;
    const sent = await eventually('the reply to be sent', async () => {
      const stored = await repo(hub.db.manager, 'Message').findOneBy({ id: messageId });
      return stored?.deliveryStatus === 'sent' ? stored : undefined;
    });
    const receipt = await post('/webhooks/kit', { kind: 'receipt', channel: 'kit', externalId: sent.externalId, change: { status: 'delivered' } });
    expect(receipt.body).toMatchObject({ kind: 'receipt', message: { id: messageId, deliveryStatus: 'delivered' } });
    expect(await post('/webhooks/kit', { kind: 'ignored', channel: 'kit', reason: 'typing' })).toMatchObject({ body: { kind: 'ignored' } });
    expect(seen.sent).toContain('On it');
  });

  it('refuses a reply the channel cannot carry before storing it, naming the field', async () => {
    const { conversationId } = (await message('k-long', 'barbara', 'Long answers?')).body as { conversationId: string };
    const before = await repo(hub.db.manager, 'Message').countBy({ conversationId });
    const reply = await post(`/api/v1/conversations/${conversationId}/messages`, { body: 'This answer is far longer than twenty characters' }, true);
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ error: { code: 'validation_failed', details: [{ path: 'body', code: 'text_too_long' }] } });
    // A private note never goes out, so the channel's limits do not apply to it.
    expect((await post(`/api/v1/conversations/${conversationId}/messages`, { body: 'A note far longer than twenty characters', private: true }, true)).status).toBe(201);
    expect(await repo(hub.db.manager, 'Message').countBy({ conversationId })).toBe(before + 1);
    expect(seen.sent).not.toContain('This answer is far longer than twenty characters');
  });
});

describe('channel kit roles and failed start-ups', () => {
  let environment: TestEnvironment;
  beforeAll(() => {
    environment = createTestEnvironment('sqlite');
  });
  afterAll(() => environment.cleanup());

  it('the worker role serves no HTTP and starts no listeners; the api role runs no workers', async () => {
    const workerSeen = fresh();
    const worker = await start(environment, workerSeen, 'worker');
    expect([worker.url, worker.app, worker.routes]).toEqual([undefined, undefined, []]);
    expect(worker.workers).toBeDefined();
    await worker.stop();
    expect(workerSeen.log).toEqual([]);

    const apiSeen = fresh();
    const api = await start(environment, apiSeen, 'api');
    expect(api.workers).toBeUndefined();
    expect(api.routes.length).toBeGreaterThan(0);
    await api.stop();
    expect(apiSeen.log).toEqual(['start kit-a', 'start kit-b', 'http', 'stop kit-b', 'stop kit-a']);
  });

  it('a listener that fails to start stops what started before it and names the step', async () => {
    const failing = fresh();
    const error: unknown = await start(environment, failing, 'all', { failListener: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartupError);
    expect((error as StartupError).message).toBe("starting the channels' listeners failed: kit-b could not bind");
    expect(failing.log).toEqual(['start kit-a', 'stop kit-a']);
  });

  it('a port already taken stops the listeners, the workers and the database, in one line', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const taken = fresh();
      const error: unknown = await start(environment, taken, 'all', { port }).catch((e: unknown) => e);
      expect((error as StartupError).message).toMatch(/^starting the HTTP server failed: listen EADDRINUSE/);
      expect(taken.log).toEqual(['start kit-a', 'start kit-b', 'http', 'stop kit-b', 'stop kit-a']);
      // The database was closed again, so the same hub starts on it at once.
      const again = await start(environment, fresh());
      await again.stop();
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createApiKey } from '../../src/core/api-keys';
import { isAfter, streamPosition } from '../../src/http/live-events';
import { startHub, type Hub } from '../../src/hub';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { waitFor } from '../support/processes';
import { SseClient, SseRefusedError, type SseEvent } from '../support/sse-client';

/** Orders SSE ids (Redis stream ids, `<ms>-<seq>`): negative when a comes first. */
function compareStreamIds(a: string, b: string): number {
  const x = streamPosition(a);
  const y = streamPosition(b);
  return isAfter(x, y) ? 1 : isAfter(y, x) ? -1 : 0;
}

/**
 * GET /api/v1/events over real HTTP with a small SSE client: live events, the conversationId filter,
 * resuming with Last-Event-ID (every missed event exactly once, in order), `reset` for ids the hub no
 * longer keeps or never issued, heartbeats, auth, and events crossing from one hub process to another.
 */

interface InboundIds {
  contactId: string;
  conversationId: string;
  messageId: string;
}

/** The payload of a message.created / message.updated event. */
interface MessageEventData {
  id: string;
  conversationId: string;
  data: { message: { id: string; deliveryStatus: string } };
}

function messageIdOf(event: SseEvent): string | undefined {
  if (event.event !== 'message.created' && event.event !== 'message.updated') return undefined;
  return (JSON.parse(event.data) as MessageEventData).data.message.id;
}

function hasMessage(client: SseClient, messageId: string, type = 'message.created'): boolean {
  return client.events.some((e) => e.event === type && messageIdOf(e) === messageId);
}

function describeEvents(events: SseEvent[]): string[] {
  return events.map((e) => `${e.id ?? '-'} ${e.event}`);
}

describe.each(ENGINES)('GET /api/v1/events on %s', (engine) => {
  let t: TestHub;
  const clients: SseClient[] = [];

  beforeAll(async () => {
    t = await startTestHub(engine, { env: { SSE_HEARTBEAT_SECONDS: '1' } });
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await t.stop();
  });

  async function connect(options: { key?: string | null; lastEventId?: string; query?: string; baseUrl?: string } = {}): Promise<SseClient> {
    const client = await SseClient.connect(`${options.baseUrl ?? t.url}/api/v1/events${options.query ? `?${options.query}` : ''}`, {
      key: options.key === undefined ? t.apiKey : options.key,
      lastEventId: options.lastEventId,
    });
    clients.push(client);
    return client;
  }

  async function inbound(customer: string, body: string, baseUrl = t.url): Promise<InboundIds> {
    const res = await fetch(`${baseUrl}/api/v1/inbound`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sourceId: `src-${randomUUID()}`, contact: { externalId: customer }, body }),
    });
    if (res.status !== 202) throw new Error(`POST /inbound answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as InboundIds;
  }

  it('streams events live: a customer message arrives as message.created (and its conversation.created) with a stream id', async () => {
    const client = await connect();
    expect(client.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const ids = await inbound(`live-${randomUUID()}`, 'hello live');

    await client.until('message.created of the inbound message', (c) => hasMessage(c, ids.messageId));
    await client.until('conversation.created', (c) => c.events.some((e) => e.event === 'conversation.created' && (JSON.parse(e.data) as { conversationId: string }).conversationId === ids.conversationId));
    const created = client.parsed('message.created').find((e) => (e.json as MessageEventData).data.message.id === ids.messageId);
    expect(created?.id).toMatch(/^\d+-\d+$/);
    expect(created?.json).toMatchObject({ type: 'message.created', conversationId: ids.conversationId, data: { message: { id: ids.messageId, body: 'hello live', direction: 'inbound' } } });
    // Stream ids only ever grow.
    const streamIds = client.events.flatMap((e) => (e.id ? [e.id] : []));
    expect([...streamIds].sort(compareStreamIds)).toEqual(streamIds);
  });

  it("filters by conversationId: a stream for one conversation gets none of another's events", async () => {
    const a = await inbound(`filter-a-${randomUUID()}`, 'a1');
    const everything = await connect();
    const onlyA = await connect({ query: `conversationId=${a.conversationId}` });

    const b = await inbound(`filter-b-${randomUUID()}`, 'b1');
    await everything.until("B's message.created", (c) => hasMessage(c, b.messageId));
    // Written after B's event is on the stream, so its event comes after B's for every client.
    const reply = await t.request(`/api/v1/conversations/${a.conversationId}/messages`, { method: 'POST', json: { body: 'reply in A' } });
    expect(reply.status).toBe(201);
    const replyId = (reply.body as { id: string }).id;
    await onlyA.until("the reply's message.created in conversation A", (c) => hasMessage(c, replyId));

    const conversationOf = (e: SseEvent) => (JSON.parse(e.data) as { conversationId: string }).conversationId;
    expect(onlyA.events.length).toBeGreaterThan(0);
    expect(new Set(onlyA.events.map(conversationOf))).toEqual(new Set([a.conversationId]));
    expect(everything.events.some((e) => conversationOf(e) === b.conversationId)).toBe(true);
  });

  /**
   * A client sees some events, disconnects, 50 customer messages from 5 new customers come (50
   * message.created plus 5 conversation.created), and it reconnects with Last-Event-ID: `reconnectAfter`
   * of the 50 have been answered by then (50: after all of them; fewer: in the middle of the burst, so
   * the catch-up and live events overlap). A client connected throughout is the reference.
   */
  async function resumeScenario(reconnectAfter: number): Promise<void> {
    const steady = await connect();
    const first = await connect();
    const warmUp = await inbound(`resume-warmup-${randomUUID()}`, 'warm-up');
    await first.until('the warm-up message', (c) => hasMessage(c, warmUp.messageId));
    await steady.until('the warm-up message', (c) => hasMessage(c, warmUp.messageId));
    await first.close();
    const resumeFrom = first.lastEventId;
    if (!resumeFrom) throw new Error('the first client received no event id');

    const customers = Array.from({ length: 5 }, () => `resume-${randomUUID()}`);
    const posted: InboundIds[] = [];
    let resumed: SseClient | undefined;
    for (let round = 0; round < 5; round++) {
      if (!resumed && posted.length >= reconnectAfter) resumed = await connect({ lastEventId: resumeFrom });
      posted.push(...(await Promise.all(Array.from({ length: 10 }, (_, i) => inbound(customers[i % 5] ?? 'x', `missed ${round * 10 + i}`)))));
    }
    resumed ??= await connect({ lastEventId: resumeFrom });
    const missedMessages = posted.map((p) => p.messageId);

    await steady.until('all 50 message.created on the steady client', (c) => missedMessages.every((id) => hasMessage(c, id)));
    await resumed.until('all 50 message.created on the resumed client', (c) => missedMessages.every((id) => hasMessage(c, id)));
    const client = resumed;
    const steadyAfter = () => describeEvents(steady.events.filter((e) => e.id !== undefined && compareStreamIds(e.id, resumeFrom) > 0));
    await waitFor('the resumed client to have the same events as the steady one', () => JSON.stringify(describeEvents(client.events)) === JSON.stringify(steadyAfter()), 10_000).catch(
      (error: unknown) => {
        throw new Error(`${String(error)}\nsteady after ${resumeFrom}: ${steadyAfter().join(', ')}\nresumed: ${describeEvents(client.events).join(', ')}`);
      },
    );

    expect(client.events.some((e) => e.event === 'reset')).toBe(false);
    expect(describeEvents(client.events)).toEqual(steadyAfter());
    // Exactly once and in order: ids strictly increase from just after the resume point.
    const resumedIds = client.events.map((e) => e.id ?? '');
    expect(compareStreamIds(resumedIds[0] ?? '0-0', resumeFrom)).toBeGreaterThan(0);
    for (let i = 1; i < resumedIds.length; i++) expect(compareStreamIds(resumedIds[i] ?? '', resumedIds[i - 1] ?? '')).toBeGreaterThan(0);
    const created = client.events.flatMap((e) => (e.event === 'message.created' ? [messageIdOf(e)] : []));
    expect(created).toHaveLength(50);
    expect(new Set(created)).toEqual(new Set(missedMessages));
    expect(client.events.filter((e) => e.event === 'conversation.created')).toHaveLength(5);
  }

  it('replays the 50 events a client missed, exactly once and in order, when it reconnects with Last-Event-ID', async () => {
    await resumeScenario(50);
  });

  it('loses and repeats nothing when the client reconnects in the middle of a burst of events', async () => {
    await resumeScenario(20);
  });

  it('sends `reset` for a garbage Last-Event-ID (header or query) and goes on streaming live', async () => {
    const client = await connect({ lastEventId: 'garbage' });
    await client.until('a reset event', (c) => c.events.find((e) => e.event === 'reset'));
    const ids = await inbound(`reset-live-${randomUUID()}`, 'after the reset');
    await client.until('live events after the reset', (c) => hasMessage(c, ids.messageId));
    expect(client.events[0]?.event).toBe('reset');
    expect(JSON.parse(client.events[0]?.data ?? '{}')).toMatchObject({ reason: expect.any(String) as unknown });

    const byQuery = await connect({ query: 'lastEventId=not-an-id' });
    await byQuery.until('a reset event', (c) => c.events.find((e) => e.event === 'reset'));
  });

  it('sends `reset` for an id older than anything kept and for an id this hub never issued', async () => {
    // Make sure the stream has entries, so these are not "no stream at all".
    const ids = await inbound(`reset-old-${randomUUID()}`, 'something on the stream');
    const watcher = await connect();
    await inbound(`reset-old-${randomUUID()}`, 'and more');
    await watcher.until('an event', (c) => c.events.length > 0);
    expect(ids.messageId).toBeDefined();

    for (const lastEventId of ['1-0', `${Date.now() + 3600_000}-0`, '1-99999']) {
      const client = await connect({ lastEventId });
      const reset = await client.until(`a reset event for Last-Event-ID ${lastEventId}`, (c) => c.events[0]);
      expect(reset.event).toBe('reset');
      await client.close();
    }
  });

  it('sends `reset` when events after the Last-Event-ID were trimmed by retention', async () => {
    const watcher = await connect();
    const customer = `trim-${randomUUID()}`;
    const sent: InboundIds[] = [];
    for (const body of ['one', 'two', 'three']) {
      const ids = await inbound(customer, body);
      await watcher.until(`message "${body}"`, (c) => hasMessage(c, ids.messageId));
      sent.push(ids);
    }
    const streamIdOf = (messageId: string) => watcher.events.find((e) => e.event === 'message.created' && messageIdOf(e) === messageId)?.id ?? '';
    const [one, two, three] = sent.map((s) => streamIdOf(s.messageId));
    if (!one || !two || !three) throw new Error('missing stream ids');

    // What retention does after EVENT_RETENTION_MINUTES, done now: drop every entry before "three".
    const redis = new Redis(t.hub.redisUrl, { maxRetriesPerRequest: 1 });
    try {
      await redis.xtrim(`${t.environment.config.redisPrefix}:events:stream`, 'MINID', three);
    } finally {
      redis.disconnect();
    }

    // A client that last saw "one" missed "two", which is gone: it must be told to refetch.
    const behind = await connect({ lastEventId: one });
    expect((await behind.until('the first event', (c) => c.events[0])).event).toBe('reset');
    // A client that last saw "three" missed nothing that was trimmed: no reset, live events follow.
    const current = await connect({ lastEventId: three });
    const next = await inbound(customer, 'four');
    await current.until('message "four"', (c) => hasMessage(c, next.messageId));
    expect(current.events.some((e) => e.event === 'reset')).toBe(false);
    expect(current.events.some((e) => [sent[0]?.messageId, sent[1]?.messageId, sent[2]?.messageId].includes(messageIdOf(e)))).toBe(false);
  });

  it('sends heartbeat comments on an idle stream', async () => {
    const client = await connect({ query: `conversationId=${randomUUID()}` });
    await client.until('two heartbeat comments', (c) => c.comments.filter((comment) => comment === 'heartbeat').length >= 2, 10_000);
    expect(client.events).toEqual([]);
  });

  it('lets a read-scoped key stream and refuses a missing or unknown key with 401', async () => {
    const { key } = await createApiKey(t.hub.db, { name: 'reader', scopes: ['read'] });
    const reader = await connect({ key });
    const ids = await inbound(`reader-${randomUUID()}`, 'for the reader');
    await reader.until('message.created', (c) => hasMessage(c, ids.messageId));

    for (const bad of [null, 'sb_unknownkey']) {
      const refused = await connect({ key: bad }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(SseRefusedError);
      expect((refused as SseRefusedError).status).toBe(401);
      expect(JSON.parse((refused as SseRefusedError).body)).toMatchObject({ error: { code: 'unauthorized' } });
    }
  });

  it('carries events from one hub process to a stream open on another (same database and Redis)', async () => {
    let other: Hub | undefined;
    try {
      // A second, API-only hub on the same database, schema and Redis prefix: it has no workers, so
      // whatever reaches its streams was produced and published by the first hub.
      other = await startHub(t.environment.config, 'api', pino({ level: 'silent' }), process.env.PATH ?? '');
      if (!other.url) throw new Error('the second hub has no HTTP address');
      const onB = await connect({ baseUrl: other.url });

      const conversation = await inbound(`two-hubs-${randomUUID()}`, 'hello from a customer');
      await onB.until('the customer message on hub B', (c) => hasMessage(c, conversation.messageId));
      const reply = await t.request(`/api/v1/conversations/${conversation.conversationId}/messages`, { method: 'POST', json: { body: 'reply posted on hub A' } });
      expect(reply.status).toBe(201);
      const replyId = (reply.body as { id: string }).id;
      await onB.until('the reply posted on hub A, on hub B', (c) => hasMessage(c, replyId));
      // With no webhook configured the reply counts as sent: that update crosses over too.
      await onB.until("the reply's message.updated on hub B", (c) => hasMessage(c, replyId, 'message.updated'));

      // And the other way round: a reply posted on B (no workers there) reaches a stream on A.
      const onA = await connect();
      const fromB = await fetch(`${other.url}/api/v1/conversations/${conversation.conversationId}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ body: 'reply posted on hub B' }),
      });
      expect(fromB.status).toBe(201);
      const fromBId = ((await fromB.json()) as { id: string }).id;
      await onA.until('the reply posted on hub B, on hub A', (c) => hasMessage(c, fromBId));
      await onB.until('the reply posted on hub B, on hub B', (c) => hasMessage(c, fromBId));
    } finally {
      await other?.stop();
    }
  });
});

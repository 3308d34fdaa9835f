import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createApiKey } from '../../src/core/api-keys';
import type { DomainEvent } from '../../src/core/events';
import { repo } from '../../src/core/model/schemas';
import { DELIVERY_QUEUE, EVENTS_QUEUE } from '../../src/core/outbox';
import { api, errorCode, eventually, expectStatus, inbound, type AgentItem, type ErrorBody, type MessageItem } from '../support/agent-api';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';

/**
 * `POST /api/v1/conversations/:id/messages` on a real hub with no API-channel webhook configured: a
 * reply is queued and then sent by the delivery worker, a private note is stored and never delivered,
 * bad input stores nothing, and Idempotency-Key makes retries (even concurrent ones) send once.
 */

const MAX_LENGTH = 500;

describe.each(ENGINES)('Agent API messages on %s', (engine) => {
  let t: TestHub;
  let redis: Redis;
  let deliveryQueue: Queue;
  let eventsQueue: Queue;
  const received: DomainEvent[] = [];
  let unsubscribe: () => Promise<void>;

  beforeAll(async () => {
    t = await startTestHub(engine, { env: { MESSAGE_MAX_LENGTH: String(MAX_LENGTH) } });
    unsubscribe = await t.hub.bus.subscribe((event) => received.push(event));
    redis = new Redis(t.hub.redisUrl, { maxRetriesPerRequest: null });
    deliveryQueue = new Queue(DELIVERY_QUEUE, { connection: redis, prefix: t.environment.prefix });
    eventsQueue = new Queue(EVENTS_QUEUE, { connection: redis, prefix: t.environment.prefix });
  });
  afterAll(async () => {
    await unsubscribe();
    await deliveryQueue.close();
    await eventsQueue.close();
    await redis.quit();
    await t.stop();
  });

  function post(conversationId: string, body: unknown, options: { key?: string; headers?: Record<string, string> } = {}) {
    return api<MessageItem & ErrorBody>(t, 'POST', `/api/v1/conversations/${conversationId}/messages`, body, options);
  }

  async function messagesOf(conversationId: string): Promise<MessageItem[]> {
    return (await expectStatus<{ items: MessageItem[] }>(200, t, 'GET', `/api/v1/conversations/${conversationId}/messages?limit=100`)).items;
  }

  async function waitForStatus(conversationId: string, messageId: string, status: string): Promise<MessageItem> {
    return eventually(`message ${messageId} to be ${status}`, async () => {
      const message = (await messagesOf(conversationId)).find((m) => m.id === messageId);
      return message?.deliveryStatus === status ? message : undefined;
    });
  }

  /** Delivery jobs ever queued for a message (completed jobs are kept for a day). */
  async function deliveryJobsFor(messageId: string): Promise<number> {
    const jobs = await deliveryQueue.getJobs(['completed', 'failed', 'active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);
    return jobs.filter((job) => (job.data as { messageId?: string } | undefined)?.messageId === messageId).length;
  }

  function updatesOf(messageId: string): DomainEvent[] {
    return received.filter((e) => e.type === 'message.updated' && e.data.message.id === messageId);
  }

  /**
   * Waits until no event or delivery can still be on its way: the outbox is empty, the delivery and
   * events queues idle, and a marker event published now has come back through the same ordered bus.
   */
  async function settle(): Promise<void> {
    await eventually('the outbox, delivery and events queues to drain', async () => {
      const outbox = await repo(t.hub.db.manager, 'OutboxEvent').count();
      const counts = await Promise.all([deliveryQueue, eventsQueue].map((queue) => queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized')));
      return outbox === 0 && counts.every((c) => Object.values(c).every((n) => n === 0)) ? true : undefined;
    });
    const marker = { id: randomUUID(), type: 'conversation.updated', conversationId: 'marker', occurredAt: new Date().toISOString(), data: { conversation: {}, changes: [] } };
    await t.hub.bus.publish(marker as unknown as DomainEvent);
    await eventually('the marker event', () => received.find((e) => e.id === marker.id));
  }

  it('stores a reply as an outbound queued message, then delivers it (sent) with no webhook configured', async () => {
    const { conversationId } = await inbound(t);
    const res = await post(conversationId, { body: 'Thanks, changing it now.' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      conversationId,
      channel: 'api',
      direction: 'outbound',
      senderKind: 'agent',
      senderId: null,
      body: 'Thanks, changing it now.',
      private: false,
      deliveryStatus: 'queued',
      attachments: [],
    });
    expect(res.headers.get('idempotent-replayed')).toBeNull();

    const sent = await waitForStatus(conversationId, res.body.id, 'sent');
    expect(sent.failureReason).toBeNull();
    await eventually('message.updated sent on the bus', () => updatesOf(res.body.id).find((e) => e.type === 'message.updated' && e.data.message.deliveryStatus === 'sent'));
    expect(received.some((e) => e.type === 'message.created' && e.data.message.id === res.body.id)).toBe(true);
    expect(await deliveryJobsFor(res.body.id)).toBe(1);
  });

  it('marks a reply failed, with the reason, when no adapter sends on its conversation’s channel', async () => {
    const { conversationId } = await t.hub.ingestor.ingest({ channel: 'carrier-pigeon', externalId: `coo-${randomUUID()}`, sender: { address: 'loft-7' }, body: 'coo' });
    const res = await post(conversationId, { body: 'Fly back, please.' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ channel: 'carrier-pigeon', deliveryStatus: 'queued' });
    const failed = await waitForStatus(conversationId, res.body.id, 'failed');
    expect(failed.failureReason).toMatch(/^no_adapter: /);
  });

  it('records the agent a key acts as on its replies', async () => {
    const agent = await expectStatus<AgentItem>(201, t, 'POST', '/api/v1/agents', { name: 'Reply Agent', email: `reply-${randomUUID()}@agents.test` });
    const { key } = await createApiKey(t.hub.db, { name: 'agent key', scopes: ['write'], agentId: agent.id });
    const { conversationId } = await inbound(t);
    const res = await post(conversationId, { body: 'Hello from an agent' }, { key });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ senderKind: 'agent', senderId: agent.id });
  });

  it('stores a private note as internal and never delivers it', async () => {
    const { conversationId } = await inbound(t);
    const note = await post(conversationId, { body: 'Customer is on the legacy plan', private: true });
    expect(note.status).toBe(201);
    expect(note.body).toMatchObject({ private: true, deliveryStatus: 'internal', direction: 'outbound' });

    // A reply after the note is delivered; by then a delivery of the note would have happened too.
    const reply = await post(conversationId, { body: 'Let me check.' });
    await waitForStatus(conversationId, reply.body.id, 'sent');
    await settle();

    expect((await messagesOf(conversationId)).find((m) => m.id === note.body.id)?.deliveryStatus).toBe('internal');
    expect(updatesOf(note.body.id)).toEqual([]);
    expect(await deliveryJobsFor(note.body.id)).toBe(0);
    expect(await deliveryJobsFor(reply.body.id)).toBe(1);
  });

  it('takes attachments without a body', async () => {
    const { conversationId } = await inbound(t);
    const res = await post(conversationId, { attachments: [{ url: 'https://files.example.com/invoice.pdf', contentType: 'application/pdf', name: 'invoice.pdf', size: 1234 }] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ body: '', attachments: [{ url: 'https://files.example.com/invoice.pdf', name: 'invoice.pdf' }] });
  });

  it('refuses invalid replies with 400 (or 415) and stores nothing', async () => {
    const { conversationId } = await inbound(t);
    const before = await messagesOf(conversationId);
    const cases: [unknown, string][] = [
      [{}, 'body'],
      [{ body: '' }, 'body'],
      [{ body: '   \n ' }, 'body'],
      [{ body: '', attachments: [] }, 'body'],
      [{ body: 'x'.repeat(MAX_LENGTH + 1) }, 'body'],
      [{ body: 'hi', color: 'red' }, 'color'],
      [{ body: 'hi', private: 'yes' }, 'private'],
      [{ body: 'hi', attachments: [{ url: 'ftp://files.example.com/a' }] }, 'attachments.0.url'],
      [{ body: 42 }, 'body'],
    ];
    for (const [body, path] of cases) {
      const res = await post(conversationId, body);
      expect({ body, status: res.status, code: errorCode(res.body) }).toEqual({ body, status: 400, code: 'validation_failed' });
      expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
    }
    const text = await t.request(`/api/v1/conversations/${conversationId}/messages`, { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    const malformed = await t.request(`/api/v1/conversations/${conversationId}/messages`, { method: 'POST', body: '{"body":', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);

    expect(await messagesOf(conversationId)).toEqual(before);
    expect((await post(randomUUID(), { body: 'hi' })).status).toBe(404);
    expect((await post('nope', { body: 'hi' })).status).toBe(400);
    const longKey = await post(conversationId, { body: 'hi' }, { headers: { 'Idempotency-Key': 'k'.repeat(256) } });
    expect(longKey.status).toBe(400);
    expect(await messagesOf(conversationId)).toEqual(before);
  });

  describe('Idempotency-Key', () => {
    it('replays the first response to the same key and body, storing one message', async () => {
      const { conversationId } = await inbound(t);
      const headers = { 'Idempotency-Key': `retry-${randomUUID()}` };
      const first = await post(conversationId, { body: 'Your refund is on its way.' }, { headers });
      const second = await post(conversationId, { body: 'Your refund is on its way.' }, { headers });
      expect(first.status).toBe(201);
      expect(second.status).toBe(first.status);
      expect(second.body).toEqual(first.body);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      expect(first.headers.get('idempotent-replayed')).toBeNull();

      const outbound = (await messagesOf(conversationId)).filter((m) => m.direction === 'outbound');
      expect(outbound.map((m) => m.id)).toEqual([first.body.id]);
      await waitForStatus(conversationId, first.body.id, 'sent');
      await settle();
      expect(await deliveryJobsFor(first.body.id)).toBe(1);
    });

    it('answers 409 idempotency_key_reused to the same key with another body or another conversation', async () => {
      const { conversationId } = await inbound(t);
      const other = await inbound(t);
      const headers = { 'Idempotency-Key': `reuse-${randomUUID()}` };
      expect((await post(conversationId, { body: 'first' }, { headers })).status).toBe(201);
      const changed = await post(conversationId, { body: 'second' }, { headers });
      expect(changed.status).toBe(409);
      expect(changed.body.error.code).toBe('idempotency_key_reused');
      const asNote = await post(conversationId, { body: 'first', private: true }, { headers });
      expect(asNote.status).toBe(409);
      const elsewhere = await post(other.conversationId, { body: 'first' }, { headers });
      expect(elsewhere.status).toBe(409);
      expect(elsewhere.body.error.code).toBe('idempotency_key_reused');

      expect((await messagesOf(conversationId)).filter((m) => m.direction === 'outbound').map((m) => m.body)).toEqual(['first']);
      expect((await messagesOf(other.conversationId)).filter((m) => m.direction === 'outbound')).toEqual([]);
    });

    it('keeps keys apart per API key, and forgets a key whose request failed validation', async () => {
      const { conversationId } = await inbound(t);
      const headers = { 'Idempotency-Key': `shared-${randomUUID()}` };
      const { key: otherKey } = await createApiKey(t.hub.db, { name: 'other integration', scopes: ['write'] });
      expect((await post(conversationId, { body: '' }, { headers })).status).toBe(400);
      const mine = await post(conversationId, { body: 'hello' }, { headers });
      const theirs = await post(conversationId, { body: 'hello' }, { headers, key: otherKey });
      expect(mine.status).toBe(201);
      expect(theirs.status).toBe(201);
      expect(theirs.headers.get('idempotent-replayed')).toBeNull();
      expect(theirs.body.id).not.toBe(mine.body.id);
    });

    it('stores and delivers one message when the same key is retried 10 times at once', async () => {
      const { conversationId } = await inbound(t);
      const headers = { 'Idempotency-Key': `burst-${randomUUID()}` };
      const body = { body: 'Exactly once, please.' };
      const responses = await Promise.all(Array.from({ length: 10 }, () => post(conversationId, body, { headers })));

      expect(responses.map((r) => r.status)).toEqual(Array(10).fill(201));
      const messageIds = new Set(responses.map((r) => r.body.id));
      expect(messageIds.size).toBe(1);
      const [messageId = ''] = [...messageIds];
      expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(9);
      for (const r of responses) expect(r.body).toEqual(responses[0]?.body);

      const outbound = (await messagesOf(conversationId)).filter((m) => m.direction === 'outbound');
      expect(outbound.map((m) => m.id)).toEqual([messageId]);
      expect(await repo(t.hub.db.manager, 'Message').countBy({ conversationId, direction: 'outbound' })).toBe(1);

      await waitForStatus(conversationId, messageId, 'sent');
      await settle();
      expect(updatesOf(messageId).filter((e) => e.type === 'message.updated' && e.data.message.deliveryStatus === 'sent')).toHaveLength(1);
      expect(received.filter((e) => e.type === 'message.created' && e.data.message.id === messageId)).toHaveLength(1);
      expect(await deliveryJobsFor(messageId)).toBe(1);
    });
  });
});

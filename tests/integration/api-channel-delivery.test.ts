import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import type { StreamedEvent } from '../../src/core/events';
import type { DeliveryStatus } from '../../src/core/model/types';
import { DELIVERY_QUEUE } from '../../src/core/outbox';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { waitFor } from '../support/processes';
import { newWebhookSecret, WebhookReceiver, type ReceivedWebhook, type ReceiverReply } from '../support/webhook-receiver';

/**
 * Agent replies on the API channel, delivered to a real local HTTP receiver that verifies every request
 * with the `standardwebhooks` library: retries with the same webhook-id, no retry on other 4xx,
 * Retry-After, timeouts, private notes, the payload, and statuses that never move backwards.
 */

interface MessageView {
  id: string;
  conversationId: string;
  body: string;
  deliveryStatus: DeliveryStatus;
  failureReason: string | null;
  private: boolean;
  createdAt: string;
  senderKind: string;
  senderId: string | null;
}

interface InboundIds {
  contactId: string;
  conversationId: string;
  messageId: string;
}

const FINAL: readonly DeliveryStatus[] = ['sent', 'delivered', 'read', 'failed', 'undelivered'];
/** The first BullMQ retry comes 1 s after a failure, the next 2 s later: generous bounds for a few attempts. */
const DELIVERY_WAIT_MS = 15_000;

/** Shared by the hubs of this file: a fresh hub, its receiver and the few helpers every case needs. */
function deliverySetup(engine: (typeof ENGINES)[number], env: Record<string, string>) {
  const state = {} as { t: TestHub; receiver: WebhookReceiver; redis: Redis; queue: Queue; events: StreamedEvent[]; unsubscribe: () => Promise<void> };
  /** What the receiver answers, per reply body: the n-th attempt gets the n-th answer (the last one repeats). */
  const scripts = new Map<string, ReceiverReply[]>();

  beforeAll(async () => {
    const secret = newWebhookSecret();
    state.receiver = await WebhookReceiver.start(secret, (request: ReceivedWebhook) => {
      const script = scripts.get(request.payload?.data.body ?? '') ?? [{ status: 200 }];
      return script[Math.min(request.attempt, script.length) - 1] ?? { status: 200 };
    });
    state.t = await startTestHub(engine, { env: { API_CHANNEL_WEBHOOK_URL: state.receiver.url, API_CHANNEL_WEBHOOK_SECRET: secret, ...env } });
    state.events = [];
    state.unsubscribe = await state.t.hub.bus.subscribe((event) => state.events.push(event));
    state.redis = new Redis(state.t.hub.redisUrl, { maxRetriesPerRequest: 1 });
    state.queue = new Queue(DELIVERY_QUEUE, { connection: state.redis, prefix: state.t.environment.prefix });
  });
  afterAll(async () => {
    // Optional chaining: a failed beforeAll leaves some of these unset, and its error is the one to see.
    const partial = state as Partial<typeof state>;
    await partial.queue?.close();
    partial.redis?.disconnect();
    await partial.unsubscribe?.();
    await partial.t?.stop();
    await partial.receiver?.close();
  });

  /** A conversation that came in through POST /api/v1/inbound from customer `id:<customer>`. */
  async function inboundConversation(customer: string): Promise<InboundIds> {
    const res = await state.t.request('/api/v1/inbound', { method: 'POST', json: { sourceId: `src-${randomUUID()}`, contact: { externalId: customer }, body: 'Where is my order?' } });
    expect(res.status).toBe(202);
    return res.body as InboundIds;
  }

  async function reply(conversationId: string, body: string, extra: Record<string, unknown> = {}): Promise<MessageView> {
    const res = await state.t.request(`/api/v1/conversations/${conversationId}/messages`, { method: 'POST', json: { body, ...extra } });
    expect(res.status).toBe(201);
    return res.body as MessageView;
  }

  async function message(conversationId: string, messageId: string): Promise<MessageView> {
    const res = await state.t.request(`/api/v1/conversations/${conversationId}/messages?limit=100`);
    expect(res.status).toBe(200);
    const found = (res.body as { items: MessageView[] }).items.find((m) => m.id === messageId);
    if (!found) throw new Error(`message ${messageId} is not in its conversation's messages`);
    return found;
  }

  /** Waits for a final delivery status and for the delivery job to be done, so no further attempt can come. */
  async function settled(sent: MessageView): Promise<MessageView> {
    const final = await waitFor(
      `message ${sent.id} ("${sent.body}") to leave "queued"`,
      async () => {
        const current = await message(sent.conversationId, sent.id);
        return FINAL.includes(current.deliveryStatus) ? current : undefined;
      },
      DELIVERY_WAIT_MS,
    );
    await waitFor(
      `the delivery job of message ${sent.id} to be completed or failed`,
      async () => {
        const jobs = await state.queue.getJobs(['completed', 'failed']);
        return jobs.some((job) => (job.data as { messageId?: string }).messageId === sent.id);
      },
      DELIVERY_WAIT_MS,
    );
    return final;
  }

  /** The delivery statuses the event bus carried for a message, in order. */
  function statusEvents(messageId: string): DeliveryStatus[] {
    return state.events.flatMap((e) => (e.type === 'message.updated' && e.data.message.id === messageId ? [e.data.message.deliveryStatus] : []));
  }

  return { state, scripts, inboundConversation, reply, message, settled, statusEvents };
}

describe.each(ENGINES)('API-channel delivery to a webhook receiver on %s', (engine) => {
  describe('with 3 attempts', () => {
    const { state, scripts, inboundConversation, reply, message, settled, statusEvents } = deliverySetup(engine, { DELIVERY_ATTEMPTS: '3', DELIVERY_TIMEOUT_MS: '5000' });

    it('retries 503, 503 and delivers once on the 200, with the same webhook-id on every attempt; the message goes queued → sent', async () => {
      const { conversationId } = await inboundConversation('cust-retry');
      scripts.set('answer after two 503s', [{ status: 503, body: 'busy' }, { status: 503 }, { status: 200 }]);
      const sent = await reply(conversationId, 'answer after two 503s');
      expect(sent.deliveryStatus).toBe('queued');

      const final = await settled(sent);
      expect(final.deliveryStatus).toBe('sent');
      expect(final.failureReason).toBeNull();

      const attempts = state.receiver.forMessage(sent.id);
      expect(attempts.map((a) => (a.reply === 'hang' ? 'hang' : a.reply.status))).toEqual([503, 503, 200]);
      expect(attempts.every((a) => a.payload !== undefined)).toBe(true);
      expect(new Set(attempts.map((a) => a.headers['webhook-id']))).toEqual(new Set([sent.id]));
      expect(attempts.every((a) => a.payload?.data.messageId === sent.id)).toBe(true);
      // Only the final status is published: no `failed` on the way.
      await waitFor('the message.updated event of the delivery', () => statusEvents(sent.id).length > 0, 5000);
      expect(statusEvents(sent.id)).toEqual(['sent']);
      expect(state.receiver.unverified).toEqual([]);
    });

    it('sends the payload the README documents, signed so that only the right secret verifies it', async () => {
      const { conversationId, contactId } = await inboundConversation('cust-42');
      const sent = await reply(conversationId, 'Your order ships today 📦');
      expect((await settled(sent)).deliveryStatus).toBe('sent');

      const [request, ...more] = state.receiver.forMessage(sent.id);
      expect(more).toEqual([]);
      if (!request) throw new Error('the receiver got no request for the reply');
      expect(request.headers['content-type']).toMatch(/^application\/json/);
      expect(request.headers['webhook-id']).toBe(sent.id);
      expect(request.headers['webhook-timestamp']).toMatch(/^\d+$/);
      expect(request.headers['webhook-signature']).toMatch(/^v1,/);
      expect(request.payload).toEqual({
        type: 'message.created',
        timestamp: sent.createdAt,
        data: {
          messageId: sent.id,
          conversationId,
          contactId,
          recipient: 'id:cust-42',
          body: 'Your order ships today 📦',
          attachments: [],
          senderKind: 'agent',
          agentId: null,
        },
      });
      // The signature covers the bytes sent: another secret or a changed body does not verify.
      expect(() => new Webhook(newWebhookSecret()).verify(request.rawBody, request.headers)).toThrow();
      expect(() => new Webhook(state.receiver.secret).verify(request.rawBody.replace('today', 'tomorrow'), request.headers)).toThrow();
    });

    it('fails the reply at once on a 400, with the reason, after exactly one attempt', async () => {
      const { conversationId } = await inboundConversation('cust-400');
      scripts.set('refused with 400', [{ status: 400, body: 'unknown recipient' }]);
      const sent = await reply(conversationId, 'refused with 400');

      const final = await settled(sent);
      expect(final.deliveryStatus).toBe('failed');
      expect(final.failureReason).toMatch(/400/);
      expect(state.receiver.forMessage(sent.id)).toHaveLength(1);
      await waitFor('the message.updated event of the failure', () => statusEvents(sent.id).length > 0, 5000);
      expect(statusEvents(sent.id)).toEqual(['failed']);
    });

    it('waits for Retry-After after a 429 and then delivers', async () => {
      const { conversationId } = await inboundConversation('cust-429');
      scripts.set('rate limited once', [{ status: 429, headers: { 'retry-after': '1' } }, { status: 200 }]);
      const sent = await reply(conversationId, 'rate limited once');

      expect((await settled(sent)).deliveryStatus).toBe('sent');
      const [first, second, ...more] = state.receiver.forMessage(sent.id);
      expect(more).toEqual([]);
      if (!first || !second) throw new Error('expected two attempts');
      expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
      // Protocol, not speed: the server asked for 1 s, so the retry must not come sooner.
      expect(second.at - first.at).toBeGreaterThanOrEqual(900);
    });

    it('never sends a private note to the receiver', async () => {
      const { conversationId } = await inboundConversation('cust-note');
      const note = await reply(conversationId, 'internal: customer is a VIP', { private: true });
      expect(note).toMatchObject({ private: true, deliveryStatus: 'internal' });
      // A reply written after the note is delivered; had the note been queued it would have gone first.
      const after = await reply(conversationId, 'a public answer after the note');
      expect((await settled(after)).deliveryStatus).toBe('sent');

      expect(state.receiver.forMessage(note.id)).toEqual([]);
      expect(state.receiver.requests.filter((r) => r.payload?.data.body === note.body)).toEqual([]);
      expect((await message(conversationId, note.id)).deliveryStatus).toBe('internal');
      const jobs = await state.queue.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed']);
      expect(jobs.filter((job) => (job.data as { messageId?: string }).messageId === note.id)).toEqual([]);
    });

    it('never moves a status backwards: a late "sent" or "failed" after "delivered" changes nothing', async () => {
      const { conversationId } = await inboundConversation('cust-receipts');
      const sent = await reply(conversationId, 'receipts arrive out of order');
      expect((await settled(sent)).deliveryStatus).toBe('sent');

      expect(await state.t.hub.delivery.applyStatus(sent.id, { status: 'delivered' })).toMatchObject({ deliveryStatus: 'delivered' });
      expect(await state.t.hub.delivery.applyStatus(sent.id, { status: 'sent' })).toBeUndefined();
      expect(await state.t.hub.delivery.applyStatus(sent.id, { status: 'queued' })).toBeUndefined();
      expect(await state.t.hub.delivery.applyStatus(sent.id, { status: 'failed', reason: 'late failure' })).toBeUndefined();
      expect(await message(conversationId, sent.id)).toMatchObject({ deliveryStatus: 'delivered', failureReason: null });

      expect(await state.t.hub.delivery.applyStatus(sent.id, { status: 'read' })).toMatchObject({ deliveryStatus: 'read' });
      expect(await state.t.hub.delivery.applyStatus(sent.id, { status: 'delivered' })).toBeUndefined();
      expect((await message(conversationId, sent.id)).deliveryStatus).toBe('read');
    });

    it('stores and delivers a reply once when the same Idempotency-Key is sent 10 times at once', async () => {
      const { conversationId } = await inboundConversation('cust-idempotent');
      const key = `idem-${randomUUID()}`;
      const responses = await Promise.all(
        Array.from({ length: 10 }, () =>
          state.t.request(`/api/v1/conversations/${conversationId}/messages`, { method: 'POST', headers: { 'idempotency-key': key }, json: { body: 'sent by a retrying client' } }),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(Array.from({ length: 10 }, () => 201));
      const ids = new Set(responses.map((r) => (r.body as MessageView).id));
      expect(ids.size).toBe(1);
      const [id] = [...ids];
      const sent = responses[0]?.body as MessageView;
      expect((await settled(sent)).deliveryStatus).toBe('sent');

      const listed = await state.t.request(`/api/v1/conversations/${conversationId}/messages?limit=100`);
      expect((listed.body as { items: MessageView[] }).items.filter((m) => m.body === 'sent by a retrying client').map((m) => m.id)).toEqual([id]);
      expect(state.receiver.requests.filter((r) => r.payload?.data.body === 'sent by a retrying client')).toHaveLength(1);
    });

    it('keeps a failed reply failed when a receipt says otherwise later', async () => {
      const { conversationId } = await inboundConversation('cust-failed-final');
      scripts.set('refused with 410', [{ status: 410 }]);
      const sent = await reply(conversationId, 'refused with 410');
      expect((await settled(sent)).deliveryStatus).toBe('failed');

      expect(await state.t.hub.delivery.applyStatus(sent.id, { status: 'sent' })).toBeUndefined();
      expect(await state.t.hub.delivery.applyStatus(sent.id, { status: 'delivered' })).toBeUndefined();
      expect(await message(conversationId, sent.id)).toMatchObject({ deliveryStatus: 'failed', failureReason: expect.stringMatching(/410/) as unknown });
    });
  });

  describe('with 2 attempts and a short timeout', () => {
    const { state, scripts, inboundConversation, reply, settled } = deliverySetup(engine, { DELIVERY_ATTEMPTS: '2', DELIVERY_TIMEOUT_MS: '300' });

    it('fails a reply whose receiver never answers, with a timeout reason, after the configured attempts', async () => {
      const { conversationId } = await inboundConversation('cust-hang');
      scripts.set('nobody answers', ['hang']);
      const sent = await reply(conversationId, 'nobody answers');

      const final = await settled(sent);
      expect(final.deliveryStatus).toBe('failed');
      expect(final.failureReason).toMatch(/timed out|timeout/i);
      const attempts = state.receiver.forMessage(sent.id);
      expect(attempts).toHaveLength(2);
      expect(new Set(attempts.map((a) => a.headers['webhook-id']))).toEqual(new Set([sent.id]));
    });

    it('fails a reply after the last attempt when the receiver keeps answering 5xx, naming the status', async () => {
      const { conversationId } = await inboundConversation('cust-down');
      scripts.set('receiver stays down', [{ status: 502 }]);
      const sent = await reply(conversationId, 'receiver stays down');

      const final = await settled(sent);
      expect(final.deliveryStatus).toBe('failed');
      expect(final.failureReason).toMatch(/502/);
      expect(state.receiver.forMessage(sent.id)).toHaveLength(2);
    });

    it('fails a reply after the last attempt when every answer is 429 with Retry-After', async () => {
      const { conversationId } = await inboundConversation('cust-throttled');
      scripts.set('always rate limited', [{ status: 429, headers: { 'retry-after': '1' } }]);
      const sent = await reply(conversationId, 'always rate limited');

      const final = await settled(sent);
      expect(final.deliveryStatus).toBe('failed');
      expect(final.failureReason).toMatch(/429/);
      expect(state.receiver.forMessage(sent.id)).toHaveLength(2);
    });
  });
});

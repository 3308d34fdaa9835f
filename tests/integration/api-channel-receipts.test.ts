import { randomUUID } from 'node:crypto';
import { createApiKey } from '../../src/core/api-keys';
import type { StreamedEvent } from '../../src/core/events';
import { api, errorCode, eventually, expectStatus, inbound, sleep, type AuditItem, type ErrorBody, type MessageItem, type Page } from '../support/agent-api';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { newWebhookSecret, WebhookReceiver, type ReceiverReply } from '../support/webhook-receiver';

/**
 * Receipts on the API channel, against a real local receiver: the integration's id from its answer to
 * a reply becomes the message's externalId, and `POST /api/v1/messages/:id/status` moves the reply's
 * delivery status forward only, with one event and one audit entry per change.
 */

interface StatusReport {
  message: MessageItem;
  changed: boolean;
}

const json = { 'content-type': 'application/json' };

describe.each(ENGINES)('API-channel receipts on %s', (engine) => {
  let t: TestHub;
  let receiver: WebhookReceiver;
  let readKey: string;
  let unsubscribe: () => Promise<void>;
  const events: StreamedEvent[] = [];
  /** What the receiver answers, per reply body; by default 200 with no body. */
  const answers = new Map<string, ReceiverReply>();

  beforeAll(async () => {
    const secret = newWebhookSecret();
    receiver = await WebhookReceiver.start(secret, (request) => answers.get(request.payload?.data.body ?? '') ?? { status: 200 });
    t = await startTestHub(engine, { env: { API_CHANNEL_WEBHOOK_URL: receiver.url, API_CHANNEL_WEBHOOK_SECRET: secret } });
    readKey = (await createApiKey(t.hub.db, { name: 'reader', scopes: ['read'] })).key;
    unsubscribe = await t.hub.bus.subscribe((event) => events.push(event));
  });
  afterAll(async () => {
    await unsubscribe();
    await t.stop();
    await receiver.close();
  });

  /** A reply on a fresh API-channel conversation, once the receiver has taken it (`sent`). */
  async function sentReply(body: string, answer?: ReceiverReply): Promise<MessageItem> {
    if (answer) answers.set(body, answer);
    const { conversationId } = await inbound(t);
    const reply = await expectStatus<MessageItem>(201, t, 'POST', `/api/v1/conversations/${conversationId}/messages`, { body });
    return eventually(`reply "${body}" to be sent`, async () => {
      const items = (await expectStatus<{ items: MessageItem[] }>(200, t, 'GET', `/api/v1/conversations/${conversationId}/messages?limit=100`)).items;
      const current = items.find((m) => m.id === reply.id);
      return current?.deliveryStatus === 'sent' ? current : undefined;
    });
  }

  function report(messageId: string, body: unknown, key?: string) {
    return api<StatusReport & ErrorBody>(t, 'POST', `/api/v1/messages/${messageId}/status`, body, { key });
  }

  /** The statuses message.updated events carried for a message, sorted: events of separate changes may arrive in any order. */
  function statusEvents(messageId: string): string[] {
    return events.flatMap((e) => (e.type === 'message.updated' && e.data.message.id === messageId ? [e.data.message.deliveryStatus] : [])).sort();
  }

  /** The message's audit entries of status reports (its reply.created entry left out). */
  async function reportsAudited(messageId: string): Promise<AuditItem[]> {
    const page = await expectStatus<Page<AuditItem>>(200, t, 'GET', `/api/v1/audit?entityType=message&entityId=${messageId}&limit=100`);
    return page.items.filter((entry) => entry.action === 'message.status_reported');
  }

  it("stores the integration's id from a JSON answer as the reply's externalId", async () => {
    const sent = await sentReply('answered with an id', { status: 200, body: '{"id":"crm-123"}', headers: json });
    expect(sent.externalId).toBe('crm-123');
  });

  it('still sends a reply whose 2xx answer is not JSON or has no usable id, without an externalId', async () => {
    const answersWithoutId: ReceiverReply[] = [
      { status: 200, body: 'OK' },
      { status: 202, body: '{"id":', headers: json },
      { status: 200, body: '{"id":42}', headers: json },
      { status: 200, body: '{"id":""}', headers: json },
      { status: 200, body: JSON.stringify({ id: 'x'.repeat(256) }), headers: json },
      { status: 200, body: JSON.stringify({ id: 'a\u0000b' }), headers: json },
      { status: 204 },
    ];
    for (const [i, answer] of answersWithoutId.entries()) {
      const sent = await sentReply(`answered without an id ${i}`, answer);
      expect({ answer, externalId: sent.externalId }).toEqual({ answer, externalId: null });
    }
  });

  it('still sends a reply whose id the integration already gave another message, without recording it twice', async () => {
    const first = await sentReply('first with a repeated id', { status: 200, body: '{"id":"same-id"}', headers: json });
    const second = await sentReply('second with a repeated id', { status: 200, body: '{"id":"same-id"}', headers: json });
    expect([first.externalId, second.externalId]).toEqual(['same-id', null]);
    expect(receiver.forMessage(second.id)).toHaveLength(1);
  });

  it('takes a customer message whose sourceId equals a reply’s id: the two directions are separate', async () => {
    const sent = await sentReply('reply whose id comes back as a sourceId', { status: 200, body: '{"id":"shared-7"}', headers: json });
    expect(sent.externalId).toBe('shared-7');
    const taken = await inbound(t, {}, 'a new customer message', 'shared-7');
    expect(taken.messageId).not.toBe(sent.id);
  });

  it('moves a reply delivered → read, with a message.updated event for each change', async () => {
    const sent = await sentReply('delivered then read');
    const delivered = await report(sent.id, { status: 'delivered' });
    expect(delivered).toMatchObject({ status: 200, body: { changed: true, message: { id: sent.id, deliveryStatus: 'delivered', externalId: null } } });
    const read = await report(sent.id, { status: 'read' });
    expect(read).toMatchObject({ status: 200, body: { changed: true, message: { id: sent.id, deliveryStatus: 'read', failureReason: null } } });
    await eventually('the events of both reports', () => (statusEvents(sent.id).length >= 3 ? true : undefined));
    expect(statusEvents(sent.id)).toEqual(['delivered', 'read', 'sent']);
  });

  it('answers 200 changed:false to a late "delivered" after "read", with no event and no audit entry', async () => {
    const sent = await sentReply('read before a late delivered');
    expect((await report(sent.id, { status: 'read' })).body.changed).toBe(true);
    await eventually('the event of the read report', () => (statusEvents(sent.id).includes('read') ? true : undefined));

    const late = await report(sent.id, { status: 'delivered' });
    expect(late).toMatchObject({ status: 200, body: { changed: false, message: { id: sent.id, deliveryStatus: 'read' } } });
    expect((await report(sent.id, { status: 'failed', reason: 'too late' })).body).toMatchObject({ changed: false, message: { deliveryStatus: 'read', failureReason: null } });
    // Time for an event the reports should not have caused to arrive, had they caused one.
    await sleep(300);
    expect(statusEvents(sent.id)).toEqual(['read', 'sent']);
    expect((await reportsAudited(sent.id)).map((a) => a.after)).toEqual([{ deliveryStatus: 'read' }]);
  });

  it('stores a failure reason as given', async () => {
    const sent = await sentReply('bounced by the CRM');
    const reason = 'Mailbox unavailable — 550 5.1.1 <ada@example.com>';
    const failed = await report(sent.id, { status: 'failed', reason });
    expect(failed).toMatchObject({ status: 200, body: { changed: true, message: { deliveryStatus: 'failed', failureReason: reason } } });
  });

  it('refuses an invalid report with 400 and changes nothing', async () => {
    const sent = await sentReply('validated reports');
    const bodies = [{ status: 'failed' }, { status: 'failed', reason: '  ' }, { status: 'failed', reason: 'x'.repeat(501) }, { status: 'failed', reason: 'a\u0000b' }, { status: 'delivered', reason: 'why?' }, { status: 'sent' }, { status: 'queued' }, {}, { status: 'read', extra: 1 }];
    for (const body of bodies) {
      const res = await report(sent.id, body);
      expect({ body, status: res.status, code: errorCode(res.body) }).toEqual({ body, status: 400, code: 'validation_failed' });
    }
    expect((await report('not-a-uuid', { status: 'read' })).status).toBe(400);
    expect((await report(sent.id, { status: 'read' })).body).toMatchObject({ changed: true, message: { deliveryStatus: 'read' } });
  });

  it('answers 404 for an unknown message', async () => {
    const res = await report(randomUUID(), { status: 'delivered' });
    expect(res).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
  });

  it('answers 409 not_api_channel for inbound messages, private notes and replies on other channels', async () => {
    const { conversationId, messageId } = await inbound(t);
    const note = await expectStatus<MessageItem>(201, t, 'POST', `/api/v1/conversations/${conversationId}/messages`, { body: 'internal only', private: true });
    // An SMS conversation: its reply is outbound but not the API channel's to report on.
    const sms = await t.hub.ingestor.ingest({ channel: 'sms', externalId: `SM${randomUUID()}`, sender: { address: '+14155550199', phone: '+14155550199' }, body: 'texting' });
    const smsReply = await expectStatus<MessageItem>(201, t, 'POST', `/api/v1/conversations/${sms.conversationId}/messages`, { body: 'answered by SMS' });
    for (const id of [messageId, note.id, sms.messageId, smsReply.id]) {
      const res = await report(id, { status: 'delivered' });
      expect({ id, status: res.status, code: errorCode(res.body) }).toEqual({ id, status: 409, code: 'not_api_channel' });
    }
    expect(await reportsAudited(messageId)).toEqual([]);
  });

  it('answers 403 to a read-only key and changes nothing', async () => {
    const sent = await sentReply('reported with a read key');
    const res = await report(sent.id, { status: 'delivered' }, readKey);
    expect(res).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect((await report(sent.id, { status: 'delivered' })).body.changed).toBe(true);
  });

  it('records one audit entry for a change, also when the same report arrives several times at once', async () => {
    const sent = await sentReply('reported five times at once');
    const results = await Promise.all(Array.from({ length: 5 }, () => report(sent.id, { status: 'delivered' })));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(results.filter((r) => r.body.changed)).toHaveLength(1);

    const entries = await reportsAudited(sent.id);
    expect(entries).toEqual([
      expect.objectContaining({ action: 'message.status_reported', actorType: 'api_key', entityType: 'message', entityId: sent.id, before: { deliveryStatus: 'sent' }, after: { deliveryStatus: 'delivered' } }),
    ]);
    await eventually('the event of the report', () => (statusEvents(sent.id).includes('delivered') ? true : undefined));
    expect(statusEvents(sent.id)).toEqual(['delivered', 'sent']);
  });
});

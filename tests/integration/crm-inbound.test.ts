import { createHmac, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { repo } from '../../src/core/model/schemas';
import type { CrmInboundEvent } from '../../src/core/model/types';
import { api, errorCode, eventually, expectStatus, inbound, type ContactItem, type MessageItem, type Page } from '../support/agent-api';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { SseClient } from '../support/sse-client';
import { newWebhookSecret, WebhookReceiver } from '../support/webhook-receiver';

/**
 * POST /webhooks/crm/:provider end to end: the generic webhook signed with the `standardwebhooks`
 * library, HubSpot's signed as its v3 documentation says (computed here, not by the hub's code), each
 * event's effect on contacts, notes and messages, redeliveries and unknown events, and refusals that
 * write nothing.
 */

const PUBLIC_URL = 'https://hub.crm-test.example';
const HUBSPOT_SECRET = 'hubspot-client-secret-for-tests';
const SIX_MINUTES_MS = 6 * 60_000;

interface Answer {
  status: number;
  body: unknown;
}

describe.each(ENGINES)('inbound CRM webhooks on %s', (engine) => {
  const crmSecret = newWebhookSecret();
  let t: TestHub;
  let receiver: WebhookReceiver;
  let stream: SseClient;

  beforeAll(async () => {
    const replySecret = newWebhookSecret();
    receiver = await WebhookReceiver.start(replySecret);
    t = await startTestHub(engine, {
      env: { CRM_WEBHOOK_SECRET: crmSecret, HUBSPOT_CLIENT_SECRET: HUBSPOT_SECRET, PUBLIC_URL, API_CHANNEL_WEBHOOK_URL: receiver.url, API_CHANNEL_WEBHOOK_SECRET: replySecret },
    });
    stream = await SseClient.connect(`${t.url}/api/v1/events`, { key: t.apiKey });
  });
  afterAll(async () => {
    await stream.close();
    await t.stop();
    await receiver.close();
  });

  async function post(path: string, body: string | Buffer, headers: Record<string, string>): Promise<Answer> {
    const res = await t.request(path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers }, key: null });
    return { status: res.status, body: res.body };
  }

  /** A generic event signed with the library, as a CRM would send it. */
  function generic(type: string, data: unknown, options: { id?: string; at?: Date; secret?: string; body?: string } = {}): Promise<Answer> {
    const id = options.id ?? `msg_${randomUUID()}`;
    const at = options.at ?? new Date();
    const body = options.body ?? JSON.stringify({ type, timestamp: at.toISOString(), data });
    const signature = new Webhook(options.secret ?? crmSecret).sign(id, at, body);
    return post('/webhooks/crm/generic', body, { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature });
  }

  /** HubSpot's v3 signature: base64(HMAC-SHA256(client secret, method + URI + body + timestamp)), the URI being what HubSpot called. */
  function hubspot(events: unknown[], options: { at?: number; secret?: string; signature?: string; query?: { sent: string; signed: string } } = {}): Promise<Answer> {
    const body = JSON.stringify(events);
    const timestamp = String(options.at ?? Date.now());
    const uri = `${PUBLIC_URL}/webhooks/crm/hubspot${options.query?.signed ?? ''}`;
    const signature = options.signature ?? createHmac('sha256', options.secret ?? HUBSPOT_SECRET).update(`POST${uri}${body}${timestamp}`).digest('base64');
    return post(`/webhooks/crm/hubspot${options.query?.sent ?? ''}`, body, { 'x-hubspot-signature-v3': signature, 'x-hubspot-request-timestamp': timestamp });
  }

  function recordOf(provider: string, eventId: string): Promise<CrmInboundEvent | null> {
    return repo(t.hub.db.manager, 'CrmInboundEvent').findOneBy({ provider, eventId });
  }

  /** Waits for the event's job to settle it. */
  function settled(provider: string, eventId: string): Promise<CrmInboundEvent> {
    return eventually(`the ${provider} event ${eventId} to be settled`, async () => {
      const record = await recordOf(provider, eventId);
      return record && record.status !== 'pending' ? record : undefined;
    });
  }

  async function sendGeneric(type: string, data: unknown, id = `msg_${randomUUID()}`): Promise<CrmInboundEvent> {
    const res = await generic(type, data, { id });
    expect(res.status).toBe(202);
    return settled('generic', id);
  }

  async function contactByEmail(email: string): Promise<ContactItem[]> {
    return (await expectStatus<Page<ContactItem>>(200, t, 'GET', `/api/v1/contacts?q=${encodeURIComponent(email)}`)).items.filter((c) => c.email === email);
  }

  async function externalIdsOf(contactId: string): Promise<Record<string, string>> {
    const links = await repo(t.hub.db.manager, 'ContactExternalId').findBy({ contactId });
    return Object.fromEntries(links.map((link) => [link.system, link.externalId]));
  }

  async function counts(): Promise<{ events: number; contacts: number }> {
    return { events: await repo(t.hub.db.manager, 'CrmInboundEvent').count(), contacts: await repo(t.hub.db.manager, 'Contact').count() };
  }

  const email = () => `crm-${randomUUID().slice(0, 8)}@example.com`;

  describe('generic (Standard Webhooks)', () => {
    it('refuses unsigned, forged and stale requests with 401, writing nothing', async () => {
      const before = await counts();
      const body = JSON.stringify({ type: 'contact.upsert', timestamp: new Date().toISOString(), data: { email: email() } });
      const unsigned = await post('/webhooks/crm/generic', body, {});
      const forged = await generic('contact.upsert', { email: email() }, { secret: newWebhookSecret() });
      const stale = await generic('contact.upsert', { email: email() }, { at: new Date(Date.now() - SIX_MINUTES_MS) });
      for (const res of [unsigned, forged, stale]) {
        expect(res.status).toBe(401);
        expect(errorCode(res.body)).toBe('invalid_signature');
      }
      expect(await counts()).toEqual(before);
    });

    it('refuses a signed body that is not JSON or not the shape with 400, writing nothing', async () => {
      const before = await counts();
      const notJson = await generic('contact.upsert', null, { body: '{"type": "contact.upsert",' });
      expect(notJson.status).toBe(400);
      expect(errorCode(notJson.body)).toBe('malformed_json');
      const badEmail = await generic('contact.upsert', { email: 'not an address' });
      expect(badEmail.status).toBe(400);
      expect((badEmail.body as { error: { details: { path: string }[] } }).error.details.map((d) => d.path)).toContain('data.email');
      const noContact = await generic('note.create', { body: 'a note about no one' });
      expect(noContact.status).toBe(400);
      expect(await counts()).toEqual(before);
    });

    it('answers 404 for a provider it does not have', async () => {
      const res = await post('/webhooks/crm/salesforce', '{}', {});
      expect(res.status).toBe(404);
      expect(errorCode(res.body)).toBe('not_found');
    });

    it('creates a contact by external id, then updates it by that id, each on the event stream', async () => {
      const externalId = `crm-${randomUUID()}`;
      const address = email();
      const created = await sendGeneric('contact.upsert', { externalId, email: address, name: 'Ada Lovelace', attributes: { plan: 'pro' } });
      expect(created.status).toBe('processed');
      const [contact] = await contactByEmail(address);
      expect(contact).toMatchObject({ name: 'Ada Lovelace', attributes: { plan: 'pro' } });
      expect(created.contactId).toBe(contact?.id);
      expect(await externalIdsOf(contact?.id ?? '')).toEqual({ crm: externalId });
      await stream.until('contact.created', () => stream.parsed('contact.created').find((e) => (e.json as { data: { contact: { id: string } } }).data.contact.id === contact?.id));

      const updated = await sendGeneric('contact.upsert', { externalId, name: 'Ada King', attributes: { plan: null, seats: 3 } });
      expect(updated).toMatchObject({ status: 'processed', contactId: contact?.id });
      expect(await expectStatus<ContactItem>(200, t, 'GET', `/api/v1/contacts/${contact?.id ?? ''}`)).toMatchObject({ name: 'Ada King', email: address, attributes: { seats: 3 } });
      const event = await stream.until('contact.updated', () =>
        stream.parsed('contact.updated').find((e) => (e.json as { data: { contact: { id: string } } }).data.contact.id === contact?.id),
      );
      expect((event.json as { data: { changes: string[] } }).data.changes.sort()).toEqual(['attributes', 'name']);
    });

    it('matches an existing contact by email, then by phone (any format, in E.164), and links the external id', async () => {
      const address = email();
      const byApi = await inbound(t, { email: address, phone: '+442079460958' });
      const externalId = `crm-${randomUUID()}`;
      const byEmail = await sendGeneric('contact.upsert', { externalId, email: address });
      expect(byEmail.contactId).toBe(byApi.contactId);
      expect(await externalIdsOf(byApi.contactId)).toEqual({ crm: externalId });

      const phoneOnly = await inbound(t, { phone: '+14155550123' });
      const byPhone = await sendGeneric('contact.upsert', { phone: '+1 (415) 555-0123', name: 'Grace Hopper' });
      expect(byPhone.contactId).toBe(phoneOnly.contactId);
      expect(await expectStatus<ContactItem>(200, t, 'GET', `/api/v1/contacts/${phoneOnly.contactId}`)).toMatchObject({ name: 'Grace Hopper', phone: '+14155550123' });
    });

    it('takes a redelivery (same webhook-id) with 200 and applies it once', async () => {
      const id = `msg_${randomUUID()}`;
      const externalId = `crm-${randomUUID()}`;
      const first = await sendGeneric('contact.upsert', { externalId, name: 'First' }, id);
      const again = await generic('contact.upsert', { externalId, name: 'Second' }, { id });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ received: 1, accepted: 0, duplicates: 1 });
      const before = await counts();
      // A later event of the same contact runs after the redelivery would have: the name is still the first one.
      await sendGeneric('contact.upsert', { externalId, attributes: { checked: true } });
      expect(await expectStatus<ContactItem>(200, t, 'GET', `/api/v1/contacts/${first.contactId ?? ''}`)).toMatchObject({ name: 'First' });
      expect((await counts()).contacts).toBe(before.contacts);
    });

    it('accepts unknown event types with 202 and records them as ignored', async () => {
      const id = `msg_${randomUUID()}`;
      const res = await generic('deal.closed', { amount: 42 }, { id });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ accepted: 0, ignored: 1 });
      expect(await recordOf('generic', id)).toMatchObject({ status: 'ignored', type: 'deal.closed', outcome: expect.stringContaining('deal.closed') as unknown });
    });

    it('deletes a contact without conversations, and only unlinks one that has some', async () => {
      const lone = `crm-${randomUUID()}`;
      const created = await sendGeneric('contact.upsert', { externalId: lone, email: email() });
      const deleted = await sendGeneric('contact.delete', { externalId: lone });
      expect(deleted).toMatchObject({ status: 'processed', outcome: expect.stringContaining('deleted') as unknown });
      expect((await api(t, 'GET', `/api/v1/contacts/${created.contactId ?? ''}`)).status).toBe(404);

      const address = email();
      const talking = await inbound(t, { email: address });
      await sendGeneric('contact.upsert', { externalId: `crm-${randomUUID()}`, email: address });
      const unlinked = await sendGeneric('contact.delete', { email: address });
      expect(unlinked).toMatchObject({ status: 'processed', contactId: talking.contactId });
      expect(await externalIdsOf(talking.contactId)).toEqual({});
      expect((await api(t, 'GET', `/api/v1/contacts/${talking.contactId}`)).status).toBe(200);
    });

    it("adds a private note to the contact's latest conversation, and ignores one for a contact without conversations", async () => {
      const address = email();
      const customer = `cust-${randomUUID()}`;
      await inbound(t, { externalId: customer, email: address }, 'first question');
      const latest = await inbound(t, { email: address, phone: '+14155550199' }, 'second question');
      const noted = await sendGeneric('note.create', { email: address, body: 'VIP customer: renewal due in May' });
      expect(noted.status).toBe('processed');
      const messages = await expectStatus<Page<MessageItem>>(200, t, 'GET', `/api/v1/conversations/${latest.conversationId}/messages`);
      expect(messages.items.find((m) => m.body === 'VIP customer: renewal due in May')).toMatchObject({ private: true, deliveryStatus: 'internal', senderKind: 'system' });

      const nobody = await sendGeneric('contact.upsert', { externalId: `crm-${randomUUID()}`, email: email() });
      const ignored = await sendGeneric('note.create', { externalId: (await repo(t.hub.db.manager, 'ContactExternalId').findOneByOrFail({ contactId: nobody.contactId ?? '' })).externalId, body: 'nowhere to go' });
      expect(ignored).toMatchObject({ status: 'ignored', outcome: expect.stringContaining('no conversation') as unknown });
    });

    it('sends a message on a channel the contact has, through the delivery path, and fails one on a channel they do not', async () => {
      const address = email();
      const conversation = await inbound(t, { email: address }, 'can you call me back?');
      const sent = await sendGeneric('message.send', { email: address, channel: 'api', body: 'Your order shipped today.' });
      expect(sent.status).toBe('processed');
      const delivered = await eventually('the message at the API channel receiver', () => receiver.requests.find((r) => r.payload?.data.body === 'Your order shipped today.'));
      expect(delivered.payload?.data).toMatchObject({ conversationId: conversation.conversationId, contactId: conversation.contactId });
      const messages = await expectStatus<Page<MessageItem>>(200, t, 'GET', `/api/v1/conversations/${conversation.conversationId}/messages`);
      expect(messages.items.find((m) => m.body === 'Your order shipped today.')).toMatchObject({ direction: 'outbound', private: false });

      const failed = await sendGeneric('message.send', { email: address, channel: 'sms', body: 'Not deliverable' });
      expect(failed).toMatchObject({ status: 'failed', contactId: conversation.contactId, outcome: expect.stringContaining('no identity on the sms channel') as unknown });
    });
  });

  describe('HubSpot (signature v3)', () => {
    const portalId = 62515;
    let nextEventId = Math.floor(Math.random() * 1e9);
    const event = (subscriptionType: string, objectId: number, extra: Record<string, unknown> = {}) => ({
      eventId: ++nextEventId,
      subscriptionId: 4242,
      portalId,
      appId: 1160452,
      occurredAt: Date.now(),
      subscriptionType,
      attemptNumber: 0,
      objectId,
      changeSource: 'CRM',
      ...extra,
    });
    const keyOf = (e: { eventId: number }) => `${portalId}:${e.eventId}`;

    it('refuses unsigned, forged and stale requests with 401, writing nothing', async () => {
      const before = await counts();
      const events = [event('contact.creation', 9001)];
      const unsigned = await post('/webhooks/crm/hubspot', JSON.stringify(events), {});
      const forged = await hubspot(events, { secret: 'another-apps-client-secret' });
      const tampered = await hubspot(events, { signature: createHmac('sha256', HUBSPOT_SECRET).update('something else').digest('base64') });
      const stale = await hubspot(events, { at: Date.now() - SIX_MINUTES_MS });
      for (const res of [unsigned, forged, tampered, stale]) {
        expect(res.status).toBe(401);
        expect(errorCode(res.body)).toBe('invalid_signature');
      }
      expect(await counts()).toEqual(before);
    });

    it('verifies the URI HubSpot called: PUBLIC_URL, path and query, with the escapes HubSpot decodes decoded', async () => {
      const res = await hubspot([event('contact.creation', 31337)], { query: { sent: '?app=a%40b%3Ac&space=%20', signed: '?app=a@b:c&space=%20' } });
      expect(res.status).toBe(202);
    });

    it('maps a batch of creation, property changes and deletion onto contacts, in order', async () => {
      const objectId = 100_000 + Math.floor(Math.random() * 1e6);
      const gone = objectId + 1;
      const address = email();
      await hubspot([event('contact.creation', gone)]).then((res) => expect(res.status).toBe(202));
      const batch = [
        event('contact.creation', objectId),
        event('contact.propertyChange', objectId, { propertyName: 'email', propertyValue: address.toUpperCase() }),
        event('contact.propertyChange', objectId, { propertyName: 'firstname', propertyValue: 'Katherine' }),
        event('contact.propertyChange', objectId, { propertyName: 'lastname', propertyValue: 'Johnson' }),
        event('contact.propertyChange', objectId, { propertyName: 'phone', propertyValue: '+1 415 555 0175' }),
        event('contact.propertyChange', objectId, { propertyName: 'lifecyclestage', propertyValue: 'customer' }),
        event('contact.deletion', gone),
      ];
      const res = await hubspot(batch);
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ received: 7, accepted: 6, ignored: 1, duplicates: 0 });
      const records = await Promise.all(batch.map((e) => settled('hubspot', keyOf(e))));
      expect(records.map((r) => r.status)).toEqual(['processed', 'processed', 'processed', 'processed', 'processed', 'ignored', 'processed']);

      const [contact] = await contactByEmail(address);
      expect(contact).toMatchObject({ name: 'Katherine Johnson', phone: '+14155550175', attributes: { firstName: 'Katherine', lastName: 'Johnson' } });
      expect(await externalIdsOf(contact?.id ?? '')).toEqual({ hubspot: String(objectId) });
      const deleted = records[6];
      expect(deleted?.outcome).toContain('deleted');
      expect((await api(t, 'GET', `/api/v1/contacts/${deleted?.contactId ?? ''}`)).status).toBe(404);
    });

    it('takes redelivered event ids with 200 and applies nothing again', async () => {
      const objectId = 2_000_000 + Math.floor(Math.random() * 1e6);
      const address = email();
      const creation = event('contact.creation', objectId);
      const change = event('contact.propertyChange', objectId, { propertyName: 'email', propertyValue: address });
      expect((await hubspot([creation, change])).status).toBe(202);
      await settled('hubspot', keyOf(change));
      const before = await counts();
      const again = await hubspot([creation, { ...change, propertyValue: 'other@example.com', attemptNumber: 1 }]);
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ received: 2, accepted: 0, duplicates: 2 });
      expect(await counts()).toEqual(before);
      expect(await contactByEmail(address)).toHaveLength(1);
    });

    it('accepts unknown subscription types with 202, recorded as ignored', async () => {
      const unknown = event('deal.creation', 77);
      const res = await hubspot([unknown]);
      expect(res.status).toBe(202);
      expect(await recordOf('hubspot', keyOf(unknown))).toMatchObject({ status: 'ignored', type: 'deal.creation' });
    });

    it('refuses a signed body that is not an array of events with 400', async () => {
      const res = await hubspot({ eventId: 1 } as unknown as unknown[]);
      expect(res.status).toBe(400);
      expect(errorCode(res.body)).toBe('validation_failed');
    });
  });
});

import { randomUUID } from 'node:crypto';
import { repo } from '../../src/core/model/schemas';
import { allPages, api, errorCode, eventually, expectStatus, inbound, type ContactItem, type ErrorBody, type MessageItem } from '../support/agent-api';
import { contactChannelsEnv, emailFrom, recordEvents, smsFrom } from '../support/contacts';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { createWebsite, newVisitor, userHash, visitorSays, widgetOk, GENEROUS_LIMITS } from '../support/widget';

type Contact = ContactItem & { externalIds: Record<string, string> };
interface Duplicate {
  contact: Contact;
  reason: 'email' | 'phone';
  value: string;
  identity: { id: string; contactId: string; channel: string; address: string };
}
interface TimelineEntry {
  type: 'message' | 'conversation_started' | 'conversation_resolved';
  at: string;
  conversationId: string;
  channel: string;
  message?: MessageItem;
}

const randomPhone = () => `+1415${200 + Math.floor(Math.random() * 800)}${String(Math.floor(Math.random() * 1e4)).padStart(4, '0')}`;

describe.each(ENGINES)("a contact's profile on %s", (engine) => {
  let t: TestHub;

  beforeAll(async () => {
    t = await startTestHub(engine, { env: { ...(await contactChannelsEnv()), ...GENEROUS_LIMITS } });
  });
  afterAll(async () => {
    await t.stop();
  });

  const duplicatesOf = async (id: string) => (await expectStatus<{ items: Duplicate[] }>(200, t, 'GET', `/api/v1/contacts/${id}/duplicates`)).items;
  const visitorContact = async (visitorId: string) => (await repo(t.hub.db.manager, 'ChannelIdentity').findOneByOrFail({ address: visitorId })).contactId;

  describe('external ids', () => {
    it('are on every contact view; PATCH sets and removes them, and refuses one another contact has with 409 naming the field', async () => {
      const { contactId } = await inbound(t);
      const other = await inbound(t);
      const hubspot = `hs-${randomUUID()}`;
      expect(await expectStatus<Contact>(200, t, 'GET', `/api/v1/contacts/${contactId}`)).toMatchObject({ externalIds: {} });
      expect(await expectStatus<Contact>(200, t, 'PATCH', `/api/v1/contacts/${contactId}`, { externalIds: { hubspot, crm: 'c-1' } })).toMatchObject({ externalIds: { hubspot, crm: 'c-1' } });
      const listed = await allPages<Contact>(t, '/api/v1/contacts');
      expect(listed.find((c) => c.id === contactId)?.externalIds).toEqual({ hubspot, crm: 'c-1' });
      expect(listed.every((c) => typeof c.externalIds === 'object')).toBe(true);

      const taken = await api<ErrorBody>(t, 'PATCH', `/api/v1/contacts/${other.contactId}`, { name: 'Not Applied', externalIds: { hubspot } });
      expect({ status: taken.status, code: errorCode(taken.body) }).toEqual({ status: 409, code: 'external_id_taken' });
      expect(taken.body.error.details).toEqual([expect.objectContaining({ path: 'externalIds.hubspot' })]);
      expect(await expectStatus<Contact>(200, t, 'GET', `/api/v1/contacts/${other.contactId}`)).toMatchObject({ name: null, externalIds: {} });

      expect(await expectStatus<Contact>(200, t, 'PATCH', `/api/v1/contacts/${contactId}`, { externalIds: { hubspot: null, crm: 'c-2' } })).toMatchObject({ externalIds: { crm: 'c-2' } });
      expect(await expectStatus<Contact>(200, t, 'PATCH', `/api/v1/contacts/${other.contactId}`, { externalIds: { hubspot } })).toMatchObject({ externalIds: { hubspot } });
      expect((await api(t, 'PATCH', `/api/v1/contacts/${contactId}`, { externalIds: { 'Not A System!': 'x' } })).status).toBe(400);
    });
  });

  describe('events', () => {
    it('tells contact.created on the first message of a new sender, and contact.updated with the changes on PATCH', async () => {
      const recorder = await recordEvents(t);
      const externalId = `cust-${randomUUID()}`;
      const first = await inbound(t, { externalId, name: 'Eve Event' });
      await inbound(t, { externalId });
      await expectStatus(200, t, 'PATCH', `/api/v1/contacts/${first.contactId}`, { email: 'eve@events.test', externalIds: { crm: `e-${randomUUID()}` } });
      const mine = await eventually('the contact events', () => {
        const found = recorder.events.filter((e) => (e.type === 'contact.created' || e.type === 'contact.updated') && e.data.contact.id === first.contactId);
        return found.length >= 2 ? found : undefined;
      });
      await recorder.stop();
      expect(mine.map((e) => e.type)).toEqual(['contact.created', 'contact.updated']);
      expect(mine[0]).toMatchObject({ conversationId: null, data: { contact: { id: first.contactId, name: 'Eve Event' } } });
      expect(mine[1]).toMatchObject({ data: { changes: ['email', 'externalIds'], contact: { email: 'eve@events.test' } } });
      const created = recorder.events.findIndex((e) => e.type === 'contact.created' && e.data.contact.id === first.contactId);
      const opened = recorder.events.findIndex((e) => e.type === 'conversation.created' && e.conversationId === first.conversationId);
      expect(created).toBeLessThan(opened);
    });
  });

  describe('duplicates', () => {
    it('suggests a contact with the phone a customer texted from, both ways, saying why', async () => {
      const phone = randomPhone();
      const texted = await smsFrom(t, phone);
      const typed = await inbound(t);
      await expectStatus(200, t, 'PATCH', `/api/v1/contacts/${typed.contactId}`, { phone });
      const unrelated = await inbound(t);

      const fromTexter = await duplicatesOf(texted.contactId);
      expect(fromTexter.map((d) => [d.contact.id, d.reason, d.value])).toEqual([[typed.contactId, 'phone', phone]]);
      expect(fromTexter[0]?.identity).toMatchObject({ channel: 'sms', address: phone, contactId: texted.contactId });
      expect((await duplicatesOf(typed.contactId)).map((d) => [d.contact.id, d.reason])).toEqual([[texted.contactId, 'phone']]);
      expect(await duplicatesOf(unrelated.contactId)).toEqual([]);
      expect((await api(t, 'GET', `/api/v1/contacts/${randomUUID()}/duplicates`)).status).toBe(404);
    });

    it('suggests a signed-in widget user and an email writer on the same address, never an anonymous visitor who typed it', async () => {
      const website = await createWebsite(t);
      const email = `${randomUUID()}@dupes.test`;
      const writer = await emailFrom(t, email);

      const anonymous = await newVisitor(t, website);
      await widgetOk(204, t, website, '/profile', { token: anonymous.token, json: { email } });
      await visitorSays(t, website, anonymous.token, 'Is this the same person?');
      const typedContact = await visitorContact(anonymous.visitorId);

      const signed = await newVisitor(t, website);
      const userId = `user-${randomUUID()}`;
      await widgetOk(200, t, website, '/identify', { token: signed.token, json: { id: userId, email, hash: userHash(website, userId) } });
      const userContact = (await repo(t.hub.db.manager, 'ChannelIdentity').findOneByOrFail({ address: `user:${website.id}:${userId}` })).contactId;

      const fromWriter = await duplicatesOf(writer.contactId);
      expect(fromWriter.map((d) => [d.contact.id, d.reason, d.value])).toEqual([[userContact, 'email', email]]);
      expect(fromWriter[0]?.identity).toMatchObject({ channel: 'email', address: email, contactId: writer.contactId });
      expect((await duplicatesOf(userContact)).map((d) => d.contact.id)).toEqual([writer.contactId]);
      expect(await duplicatesOf(typedContact)).toEqual([]);
    });
  });

  describe('timeline', () => {
    it("pages a contact's messages across channels, newest first, with private notes and conversation starts", async () => {
      const email = `${randomUUID()}@timeline.test`;
      const byEmail = await emailFrom(t, email, 'First, by email');
      const byApi = await inbound(t, { email }, 'Then through the API');
      expect(byApi.contactId).toBe(byEmail.contactId);
      await expectStatus(201, t, 'POST', `/api/v1/conversations/${byApi.conversationId}/messages`, { body: 'An internal note', private: true });
      await emailFrom(t, email, 'Last, by email again');

      const entries = await allPages<TimelineEntry>(t, `/api/v1/contacts/${byEmail.contactId}/timeline`, 2);
      const messages = entries.filter((e) => e.type === 'message');
      expect(messages.map((e) => e.message?.body)).toEqual(['Last, by email again', 'An internal note', 'Then through the API', 'First, by email']);
      expect(messages.map((e) => e.channel)).toEqual(['email', 'api', 'api', 'email']);
      expect(messages[1]?.message).toMatchObject({ private: true, conversationId: byApi.conversationId });
      expect(entries.filter((e) => e.type === 'conversation_started').map((e) => e.conversationId).sort()).toEqual([byEmail.conversationId, byApi.conversationId].sort());
      const times = entries.map((e) => e.at);
      expect([...times].sort().reverse()).toEqual(times);
      expect(new Set(entries.map((e) => `${e.type}:${e.message?.id ?? e.conversationId}`)).size).toBe(entries.length);
      expect((await api(t, 'GET', `/api/v1/contacts/${byEmail.contactId}/timeline?cursor=bogus`)).status).toBe(400);
      expect((await api(t, 'GET', `/api/v1/contacts/${randomUUID()}/timeline`)).status).toBe(404);
    });
  });
});

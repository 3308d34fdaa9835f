import { randomUUID } from 'node:crypto';
import type { DomainEvent, EventType } from '../../src/core/events';
import { repo } from '../../src/core/model/schemas';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';

/**
 * The core rules of ingest on a real database: which conversation a customer message joins, which
 * contact a new address belongs to, and which events follow.
 */

type InboundMessage = Parameters<TestHub['hub']['ingestor']['ingest']>[0];
type Sender = InboundMessage['sender'];

const REOPEN_WINDOW_HOURS = 2;
const HOUR = 3600_000;

async function waitFor<T>(find: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.each(ENGINES)('conversation rules on %s', (engine) => {
  let t: TestHub;
  const received: DomainEvent[] = [];
  let unsubscribe: () => Promise<void>;
  let sequence = 0;

  beforeAll(async () => {
    t = await startTestHub(engine, { env: { CONVERSATION_REOPEN_WINDOW_HOURS: String(REOPEN_WINDOW_HOURS) } });
    unsubscribe = await t.hub.bus.subscribe((event) => received.push(event));
  });
  afterAll(async () => {
    await unsubscribe();
    await t.stop();
  });

  /** A sender no other test uses. */
  function newSender(overrides: Partial<Sender> = {}): Sender {
    return { address: `id:${randomUUID()}`, ...overrides };
  }

  function ingest(sender: Sender, channel = 'api', externalId = `msg-${++sequence}`) {
    return t.hub.ingestor.ingest({ channel, externalId, sender, body: `message ${sequence}` });
  }

  function conversations() {
    return repo(t.hub.db.manager, 'Conversation');
  }

  /**
   * Waits until every event that follows the messages so far is on the bus: the message.created events
   * of `messageIds` arrived, no outbox row or event job is left (so no further event is coming), and a
   * marker published after all of them came back through the same ordered channel.
   */
  async function settle(messageIds: string[]): Promise<void> {
    await waitFor(() => (messageIds.every((id) => received.some((e) => e.type === 'message.created' && e.data.message.id === id)) ? true : undefined), 'message.created events');
    await waitFor(async () => {
      const metrics = String((await t.request('/metrics', { key: null })).body);
      const busy = ['waiting', 'active', 'delayed'].map((state) => Number(new RegExp(`^switchboard_jobs\\{queue="events",state="${state}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? NaN));
      const outbox = Number(/^switchboard_outbox_waiting (\d+)$/m.exec(metrics)?.[1] ?? NaN);
      return busy.every((n) => n === 0) && outbox === 0 ? true : undefined;
    }, 'the events queue to drain');
    const marker = { id: randomUUID(), type: 'conversation.updated', conversationId: 'marker', occurredAt: new Date().toISOString(), data: { conversation: {}, changes: [] } };
    await t.hub.bus.publish(marker as unknown as DomainEvent);
    await waitFor(() => received.find((e) => e.id === marker.id), 'the marker event');
  }

  function eventsOf(conversationId: string): EventType[] {
    return received.filter((e) => e.conversationId === conversationId).map((e) => e.type);
  }

  it('opens a conversation for a first message and adds the next ones from the same sender to it', async () => {
    const sender = newSender({ name: 'Ada' });
    const first = await ingest(sender);
    const second = await ingest(sender);
    const third = await ingest(sender);
    expect(first.duplicate).toBe(false);
    expect([second.conversationId, third.conversationId]).toEqual([first.conversationId, first.conversationId]);
    expect([second.contactId, third.contactId]).toEqual([first.contactId, first.contactId]);

    const conversation = await conversations().findOneByOrFail({ id: first.conversationId });
    expect(conversation).toMatchObject({ status: 'open', contactId: first.contactId, channel: 'api' });
    const third_ = await repo(t.hub.db.manager, 'Message').findOneByOrFail({ id: third.messageId });
    expect(conversation.lastMessageAt.getTime()).toBe(third_.createdAt.getTime());
    expect(await repo(t.hub.db.manager, 'Message').countBy({ conversationId: first.conversationId })).toBe(3);

    await settle([first.messageId, second.messageId, third.messageId]);
    expect(eventsOf(first.conversationId).sort()).toEqual(['conversation.created', 'message.created', 'message.created', 'message.created']);
    const created = received.find((e) => e.type === 'conversation.created' && e.conversationId === first.conversationId);
    expect(created?.type === 'conversation.created' && created.data.conversation).toMatchObject({ id: first.conversationId, status: 'open', contactId: first.contactId });
    const messages = received.filter((e) => e.type === 'message.created' && e.conversationId === first.conversationId);
    expect(messages.map((e) => e.type === 'message.created' && e.data.message).map((m) => m && m.id).sort()).toEqual([first.messageId, second.messageId, third.messageId].sort());
  });

  it('wakes a snoozed conversation (status open) when the customer writes', async () => {
    const sender = newSender();
    const first = await ingest(sender);
    await conversations().update({ id: first.conversationId }, { status: 'snoozed', snoozedUntil: new Date(Date.now() + 24 * HOUR) });

    const next = await ingest(sender);
    expect(next.conversationId).toBe(first.conversationId);
    const conversation = await conversations().findOneByOrFail({ id: first.conversationId });
    expect(conversation.status).toBe('open');
    expect(conversation.snoozedUntil).toBeNull();

    await settle([first.messageId, next.messageId]);
    expect(eventsOf(first.conversationId).sort()).toEqual(['conversation.created', 'conversation.updated', 'message.created', 'message.created']);
    const updated = received.find((e) => e.type === 'conversation.updated' && e.conversationId === first.conversationId);
    expect(updated?.type === 'conversation.updated' && updated.data).toMatchObject({ changes: expect.arrayContaining(['status']) as unknown, conversation: { status: 'open', snoozedUntil: null } });
  });

  it(`reopens a resolved conversation when a message comes within ${REOPEN_WINDOW_HOURS} hours`, async () => {
    const sender = newSender();
    const first = await ingest(sender);
    await conversations().update({ id: first.conversationId }, { status: 'resolved', resolvedAt: new Date(Date.now() - (REOPEN_WINDOW_HOURS - 1) * HOUR) });

    const next = await ingest(sender);
    expect(next.conversationId).toBe(first.conversationId);
    const conversation = await conversations().findOneByOrFail({ id: first.conversationId });
    expect(conversation.status).toBe('open');
    expect(conversation.resolvedAt).toBeNull();
    expect(await conversations().countBy({ identityId: conversation.identityId })).toBe(1);

    await settle([first.messageId, next.messageId]);
    expect(eventsOf(first.conversationId).sort()).toEqual(['conversation.created', 'conversation.updated', 'message.created', 'message.created']);
    const updated = received.find((e) => e.type === 'conversation.updated' && e.conversationId === first.conversationId);
    expect(updated?.type === 'conversation.updated' && updated.data).toMatchObject({ changes: expect.arrayContaining(['status']) as unknown, conversation: { status: 'open', resolvedAt: null } });
  });

  it(`opens a new conversation when the message comes more than ${REOPEN_WINDOW_HOURS} hours after resolution`, async () => {
    const sender = newSender();
    const first = await ingest(sender);
    const resolvedAt = new Date(Date.now() - (REOPEN_WINDOW_HOURS + 1) * HOUR);
    await conversations().update({ id: first.conversationId }, { status: 'resolved', resolvedAt });

    const next = await ingest(sender);
    expect(next.conversationId).not.toBe(first.conversationId);
    expect(next.contactId).toBe(first.contactId);
    const [old, fresh] = await Promise.all([conversations().findOneByOrFail({ id: first.conversationId }), conversations().findOneByOrFail({ id: next.conversationId })]);
    expect(old.status).toBe('resolved');
    expect(old.resolvedAt?.getTime()).toBe(resolvedAt.getTime());
    expect(fresh).toMatchObject({ status: 'open', contactId: first.contactId, identityId: old.identityId, resolvedAt: null });

    // The following message joins the new conversation, not the old one.
    const after = await ingest(sender);
    expect(after.conversationId).toBe(next.conversationId);

    await settle([first.messageId, next.messageId, after.messageId]);
    expect(eventsOf(first.conversationId).sort()).toEqual(['conversation.created', 'message.created']);
    expect(eventsOf(next.conversationId).sort()).toEqual(['conversation.created', 'message.created', 'message.created']);
  });

  it('opens a new conversation after a resolution with no resolution time', async () => {
    const sender = newSender();
    const first = await ingest(sender);
    await conversations().update({ id: first.conversationId }, { status: 'resolved', resolvedAt: null });
    const next = await ingest(sender);
    expect(next.conversationId).not.toBe(first.conversationId);
    expect((await conversations().findOneByOrFail({ id: next.conversationId })).status).toBe('open');
  });

  it('attaches a new address with a known email or phone to the existing contact', async () => {
    const email = `ada-${randomUUID()}@example.com`;
    const phone = `+1415555${String(1000 + Math.floor(Math.random() * 9000))}`;
    const viaApi = await ingest({ address: `email:${email}`, name: 'Ada Lovelace', email });

    // Another channel, another address, the same email: the same person.
    const viaEmail = await ingest({ address: email, email }, 'email');
    expect(viaEmail.contactId).toBe(viaApi.contactId);
    // Each address has its own conversation.
    expect(viaEmail.conversationId).not.toBe(viaApi.conversationId);
    const identities = await repo(t.hub.db.manager, 'ChannelIdentity').findBy({ contactId: viaApi.contactId });
    expect(identities.map((i) => `${i.channel}:${i.address}`).sort()).toEqual([`api:email:${email}`, `email:${email}`].sort());

    // A phone number learnt from one message links the next address that carries it.
    const withPhone = await ingest({ address: `email:${email}`, email, phone });
    expect(withPhone.contactId).toBe(viaApi.contactId);
    const viaSms = await ingest({ address: phone, phone }, 'sms');
    expect(viaSms.contactId).toBe(viaApi.contactId);

    const contact = await repo(t.hub.db.manager, 'Contact').findOneByOrFail({ id: viaApi.contactId });
    expect(contact).toMatchObject({ name: 'Ada Lovelace', email, phone });

    // Someone else is someone else.
    const other = await ingest({ address: `email:other-${email}`, email: `other-${email}` });
    expect(other.contactId).not.toBe(viaApi.contactId);

    await settle([viaApi.messageId, viaEmail.messageId, withPhone.messageId, viaSms.messageId, other.messageId]);
    expect(eventsOf(viaEmail.conversationId).sort()).toEqual(['conversation.created', 'message.created']);
    expect(eventsOf(viaSms.conversationId).sort()).toEqual(['conversation.created', 'message.created']);
  });

  it("fills in a contact's missing details but never overwrites known ones", async () => {
    const sender = newSender();
    const first = await ingest(sender);
    expect(await repo(t.hub.db.manager, 'Contact').findOneByOrFail({ id: first.contactId })).toMatchObject({ name: null, email: null, phone: null });
    await ingest({ ...sender, name: 'Grace', email: `grace-${randomUUID()}@example.com` });
    const filled = await repo(t.hub.db.manager, 'Contact').findOneByOrFail({ id: first.contactId });
    expect(filled.name).toBe('Grace');
    await ingest({ ...sender, name: 'Someone Else', email: 'someone.else@example.com' });
    expect(await repo(t.hub.db.manager, 'Contact').findOneByOrFail({ id: first.contactId })).toMatchObject({ name: 'Grace', email: filled.email });
  });

  it('stores a repeated (channel, external id) once and writes no event for it; other channels have their own ids', async () => {
    const sender = newSender();
    const externalId = `dup-${randomUUID()}`;
    const first = await ingest(sender, 'api', externalId);
    const again = await ingest(sender, 'api', externalId);
    // The first answer carries the message it stored; a duplicate stores none.
    const { message: stored, ...ids } = first;
    expect(stored?.id).toBe(first.messageId);
    expect(again).toEqual({ ...ids, duplicate: true });
    const elsewhere = await ingest(sender, 'widget', externalId);
    expect(elsewhere.duplicate).toBe(false);
    expect(elsewhere.messageId).not.toBe(first.messageId);
    expect(await repo(t.hub.db.manager, 'Message').countBy({ externalId })).toBe(2);

    await settle([first.messageId, elsewhere.messageId]);
    expect(eventsOf(first.conversationId).sort()).toEqual(['conversation.created', 'message.created']);
  });

  it('leaves no outbox row behind once the events are published', async () => {
    // Published rows go with the next transaction, or after a short wait in one of their own.
    await waitFor(async () => ((await repo(t.hub.db.manager, 'OutboxEvent').count()) === 0 ? true : undefined), 'the published outbox rows to be deleted', 5000);
  });
});

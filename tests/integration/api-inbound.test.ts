import type { DomainEvent } from '../../src/core/events';
import { repo } from '../../src/core/model/schemas';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';

interface Ids {
  contactId: string;
  conversationId: string;
  messageId: string;
  duplicate: boolean;
}

describe.each(ENGINES)('POST /api/v1/inbound on %s', (engine) => {
  let t: TestHub;
  const events: DomainEvent[] = [];
  let unsubscribe: () => Promise<void>;

  beforeAll(async () => {
    t = await startTestHub(engine);
    unsubscribe = await t.hub.bus.subscribe((event) => events.push(event));
  });
  afterAll(async () => {
    await unsubscribe();
    await t.stop();
  });

  async function waitFor<T>(find: () => T | undefined, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error('timed out waiting');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('stores a message, answers 202 with its ids and publishes its events on the bus', async () => {
    const res = await t.request('/api/v1/inbound', {
      method: 'POST',
      json: { sourceId: 'crm-1', contact: { externalId: 'cust-1', name: 'Ada', email: 'Ada@Example.com', phone: '+1 415 555 0123' }, body: 'Hello 👋 мир' },
    });
    expect(res.status).toBe(202);
    const ids = res.body as Ids;
    expect(ids.duplicate).toBe(false);

    const message = await repo(t.hub.db.manager, 'Message').findOneByOrFail({ id: ids.messageId });
    expect(message).toMatchObject({ conversationId: ids.conversationId, channel: 'api', externalId: 'crm-1', body: 'Hello 👋 мир', direction: 'inbound', senderKind: 'contact' });
    const contact = await repo(t.hub.db.manager, 'Contact').findOneByOrFail({ id: ids.contactId });
    expect(contact).toMatchObject({ name: 'Ada', email: 'ada@example.com', phone: '+14155550123' });

    const created = await waitFor(() => events.find((e) => e.type === 'message.created' && e.data.message.id === ids.messageId));
    expect(created.conversationId).toBe(ids.conversationId);
    await waitFor(() => events.find((e) => e.type === 'conversation.created' && e.conversationId === ids.conversationId));
  });

  it('answers a repeated sourceId with 200 and the same ids, writing nothing', async () => {
    const payload = { sourceId: 'crm-2', contact: { email: 'grace@example.com' }, body: 'first' };
    const first = await t.request('/api/v1/inbound', { method: 'POST', json: payload });
    const second = await t.request('/api/v1/inbound', { method: 'POST', json: { ...payload, body: 'changed' } });
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    const { duplicate: _first, ...firstIds } = first.body as Ids;
    const { duplicate, ...secondIds } = second.body as Ids;
    expect(duplicate).toBe(true);
    expect(secondIds).toEqual(firstIds);
    expect(await repo(t.hub.db.manager, 'Message').countBy({ externalId: 'crm-2' })).toBe(1);
  });

  it('stores the same sourceId sent 20 times at once exactly once', async () => {
    const payload = { sourceId: 'crm-burst', contact: { externalId: 'burst-customer' }, body: 'only once' };
    const responses = await Promise.all(Array.from({ length: 20 }, () => t.request('/api/v1/inbound', { method: 'POST', json: payload })));
    expect(responses.filter((r) => r.status === 202)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 200)).toHaveLength(19);
    expect(new Set(responses.map((r) => (r.body as Ids).messageId)).size).toBe(1);
    expect(await repo(t.hub.db.manager, 'Message').countBy({ externalId: 'crm-burst' })).toBe(1);
    expect(await repo(t.hub.db.manager, 'ChannelIdentity').countBy({ address: 'id:burst-customer' })).toBe(1);
    expect(await repo(t.hub.db.manager, 'Conversation').count({ where: { identityId: (await repo(t.hub.db.manager, 'ChannelIdentity').findOneByOrFail({ address: 'id:burst-customer' })).id } })).toBe(1);
  });

  it('keeps one conversation for a first burst of different messages from a new customer', async () => {
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => t.request('/api/v1/inbound', { method: 'POST', json: { sourceId: `new-${i}`, contact: { externalId: 'new-customer' }, body: `m${i}` } })),
    );
    expect(responses.every((r) => r.status === 202)).toBe(true);
    expect(new Set(responses.map((r) => (r.body as Ids).conversationId)).size).toBe(1);
    expect(new Set(responses.map((r) => (r.body as Ids).contactId)).size).toBe(1);
  });

  it('refuses unknown and revoked keys with 401 and keys without the write scope with 403', async () => {
    const payload = { sourceId: 'auth-1', contact: { email: 'a@example.com' }, body: 'x' };
    expect((await t.request('/api/v1/inbound', { method: 'POST', json: payload, key: null })).status).toBe(401);
    const unknown = await t.request('/api/v1/inbound', { method: 'POST', json: payload, key: 'sb_notakey' });
    expect(unknown).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    const { createApiKey } = await import('../../src/core/api-keys');
    const readOnly = await createApiKey(t.hub.db, { name: 'reader', scopes: ['read'] });
    expect(await t.request('/api/v1/inbound', { method: 'POST', json: payload, key: readOnly.key })).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    await t.hub.apiKeys.revoke(readOnly.apiKey.prefix);
    expect((await t.request('/api/v1/inbound', { method: 'POST', json: payload, key: readOnly.key })).status).toBe(401);
    expect(await repo(t.hub.db.manager, 'Message').countBy({ externalId: 'auth-1' })).toBe(0);
  });
});

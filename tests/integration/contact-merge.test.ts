import { randomUUID } from 'node:crypto';
import { insertRows, repo } from '../../src/core/model/schemas';
import { api, errorCode, eventually, expectStatus, ids, inbound, type AuditItem, type ContactItem, type ConversationItem, type Page } from '../support/agent-api';
import { contactChannelsEnv, emailFrom, recordEvents, smsFrom } from '../support/contacts';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { createWebsite, insertPageView } from '../support/websites';

type Contact = ContactItem & { externalIds: Record<string, string> };
interface Merged {
  contact: Contact;
  mergeId: string;
}
interface Unmerged {
  contact: Contact;
  restored: Contact;
  mergeId: string;
}

describe.each(ENGINES)('merging contacts on %s', (engine) => {
  let t: TestHub;

  beforeAll(async () => {
    t = await startTestHub(engine, { env: await contactChannelsEnv() });
  });
  afterAll(async () => {
    await t.stop();
  });

  const contact = (id: string) => expectStatus<Contact>(200, t, 'GET', `/api/v1/contacts/${id}`);
  const conversationsOf = async (id: string) => ids((await expectStatus<Page<ConversationItem>>(200, t, 'GET', `/api/v1/contacts/${id}/conversations?limit=100`)).items).sort();
  const identitiesOf = async (id: string) => (await repo(t.hub.db.manager, 'ChannelIdentity').findBy({ contactId: id })).map((i) => i.id).sort();

  /** Two people who are one: a target with an email and a CRM id, a source with an SMS, a rating, a page view and ids of its own. */
  async function pair() {
    const email = `${randomUUID()}@merge.test`;
    const phone = `+1415${200 + Math.floor(Math.random() * 800)}${String(Math.floor(Math.random() * 1e4)).padStart(4, '0')}`;
    const target = await emailFrom(t, email);
    await expectStatus(200, t, 'PATCH', `/api/v1/contacts/${target.contactId}`, { name: 'Tara Target', attributes: { plan: 'pro', seats: 3 }, externalIds: { crm: `crm-${randomUUID()}` } });
    const source = await smsFrom(t, phone);
    await inbound(t, { phone, name: 'Sam Source' });
    await expectStatus(200, t, 'PATCH', `/api/v1/contacts/${source.contactId}`, { phone, attributes: { plan: 'free', region: 'eu' }, externalIds: { crm: `crm-${randomUUID()}`, hubspot: `hs-${randomUUID()}` } });
    const website = await createWebsite(t);
    const view = await insertPageView(t, { contactId: source.contactId, websiteId: website.id, url: 'https://shop.example.com/pricing' });
    const now = new Date();
    const rating = { id: randomUUID(), conversationId: source.conversationId, contactId: source.contactId, score: 5, comment: null, createdAt: now, updatedAt: now };
    await insertRows(t.hub.db.manager, 'Rating', rating);
    return { target, source, phone, email, pageViewId: view.id, ratingId: rating.id };
  }

  it('moves identities, conversations, messages, ratings, page views, external ids and attributes, the target winning; audited, with events', async () => {
    const { target, source, pageViewId, ratingId } = await pair();
    const before = { target: await contact(target.contactId), source: await contact(source.contactId) };
    const sourceConversations = await conversationsOf(source.contactId);
    const allIdentities = [...(await identitiesOf(target.contactId)), ...(await identitiesOf(source.contactId))].sort();
    const recorder = await recordEvents(t);

    const merged = await expectStatus<Merged>(200, t, 'POST', `/api/v1/contacts/${target.contactId}/merge`, { from: source.contactId });
    expect(merged.contact).toMatchObject({
      id: target.contactId,
      name: 'Tara Target',
      email: before.target.email,
      phone: before.source.phone,
      attributes: { plan: 'pro', seats: 3, region: 'eu' },
      externalIds: { crm: before.target.externalIds.crm, hubspot: before.source.externalIds.hubspot },
    });
    expect(await contact(target.contactId)).toEqual(merged.contact);
    expect((await api(t, 'GET', `/api/v1/contacts/${source.contactId}`)).status).toBe(404);
    expect(await conversationsOf(target.contactId)).toEqual(expect.arrayContaining(sourceConversations));
    expect(await identitiesOf(target.contactId)).toEqual(allIdentities);
    const messages = await repo(t.hub.db.manager, 'Message').findBy({ conversationId: source.conversationId, senderKind: 'contact' });
    expect(new Set(messages.map((m) => m.senderId))).toEqual(new Set([target.contactId]));
    expect(await repo(t.hub.db.manager, 'Rating').findOneByOrFail({ id: ratingId })).toMatchObject({ contactId: target.contactId });
    expect(await repo(t.hub.db.manager, 'PageView').findOneByOrFail({ id: pageViewId })).toMatchObject({ contactId: target.contactId });

    const audit = await expectStatus<Page<AuditItem>>(200, t, 'GET', `/api/v1/audit?entityType=contact&entityId=${target.contactId}`);
    expect(audit.items[0]).toMatchObject({ action: 'contact.merged', actorType: 'api_key', after: { mergeId: merged.mergeId, sourceId: source.contactId } });

    const types = await eventually('the merge events', () => {
      const found = recorder.events.filter((e) => e.type === 'contact.merged' || e.type === 'contact.updated');
      return found.length >= 2 ? found : undefined;
    });
    await recorder.stop();
    expect(types.map((e) => e.type)).toEqual(['contact.merged', 'contact.updated']);
    expect(types[0]).toMatchObject({ conversationId: null, data: { mergedContactId: source.contactId, mergeId: merged.mergeId, contact: { id: target.contactId } } });
  });

  it('refuses merging a contact into itself or a missing one, changing nothing', async () => {
    const { contactId } = await inbound(t);
    const self = await api(t, 'POST', `/api/v1/contacts/${contactId}/merge`, { from: contactId });
    expect({ status: self.status, code: errorCode(self.body) }).toEqual({ status: 400, code: 'validation_failed' });
    expect((await api(t, 'POST', `/api/v1/contacts/${contactId}/merge`, { from: randomUUID() })).status).toBe(404);
    expect((await api(t, 'POST', `/api/v1/contacts/${randomUUID()}/merge`, { from: contactId })).status).toBe(404);
    expect((await api(t, 'POST', `/api/v1/contacts/${contactId}/merge`, { from: 'nope' })).status).toBe(400);
    expect(await contact(contactId)).toMatchObject({ id: contactId });
  });

  it('lets one of two opposite merges at once win, losing nothing', async () => {
    const a = await inbound(t);
    const b = await inbound(t);
    const everything = { identities: [...(await identitiesOf(a.contactId)), ...(await identitiesOf(b.contactId))].sort(), conversations: [a.conversationId, b.conversationId].sort() };
    const [ab, ba] = await Promise.all([
      api<Merged>(t, 'POST', `/api/v1/contacts/${a.contactId}/merge`, { from: b.contactId }),
      api<Merged>(t, 'POST', `/api/v1/contacts/${b.contactId}/merge`, { from: a.contactId }),
    ]);
    expect([ab.status, ba.status].sort()).toEqual([200, 404]);
    const survivor = ab.status === 200 ? a.contactId : b.contactId;
    expect(await identitiesOf(survivor)).toEqual(everything.identities);
    expect(await conversationsOf(survivor)).toEqual(everything.conversations);
    expect(await repo(t.hub.db.manager, 'ContactMerge').countBy({ targetId: survivor })).toBe(1);
  });

  it('unmerges exactly what moved, even after the target changed; later conversations stay with the target', async () => {
    const { target, source, email, pageViewId, ratingId } = await pair();
    const before = { source: await contact(source.contactId), conversations: await conversationsOf(source.contactId), identities: await identitiesOf(source.contactId), target: await contact(target.contactId) };
    const targetConversations = await conversationsOf(target.contactId);
    const { mergeId } = await expectStatus<Merged>(200, t, 'POST', `/api/v1/contacts/${target.contactId}/merge`, { from: source.contactId });

    await expectStatus(200, t, 'PATCH', `/api/v1/contacts/${target.contactId}`, { name: 'Tara Changed', attributes: { seats: 4 } });
    const later = await emailFrom(t, email, 'A new question after the merge', false);
    expect(later.contactId).toBe(target.contactId);

    const unmerged = await expectStatus<Unmerged>(200, t, 'POST', `/api/v1/contacts/${target.contactId}/unmerge`, {});
    expect(unmerged.mergeId).toBe(mergeId);
    const { updatedAt: _restoredAt, ...restored } = await contact(source.contactId);
    const { updatedAt: _sourceAt, ...original } = before.source;
    expect(restored).toEqual(original);
    expect(unmerged.restored).toMatchObject(original);
    expect(await conversationsOf(source.contactId)).toEqual(before.conversations);
    expect(await identitiesOf(source.contactId)).toEqual(before.identities);
    expect(await conversationsOf(target.contactId)).toEqual([...targetConversations, later.conversationId].sort());
    expect(await repo(t.hub.db.manager, 'Rating').findOneByOrFail({ id: ratingId })).toMatchObject({ contactId: source.contactId });
    expect(await repo(t.hub.db.manager, 'PageView').findOneByOrFail({ id: pageViewId })).toMatchObject({ contactId: source.contactId });
    const messages = await repo(t.hub.db.manager, 'Message').findBy({ conversationId: source.conversationId, senderKind: 'contact' });
    expect(new Set(messages.map((m) => m.senderId))).toEqual(new Set([source.contactId]));

    expect(await contact(target.contactId)).toMatchObject({
      name: 'Tara Changed',
      phone: null,
      attributes: { plan: 'pro', seats: 4 },
      externalIds: before.target.externalIds,
    });
    const audit = await expectStatus<Page<AuditItem>>(200, t, 'GET', `/api/v1/audit?entityType=contact&entityId=${target.contactId}`);
    expect(audit.items[0]).toMatchObject({ action: 'contact.unmerged', after: { mergeId, restoredContactId: source.contactId } });

    const again = await api(t, 'POST', `/api/v1/contacts/${target.contactId}/unmerge`, { mergeId });
    expect({ status: again.status, code: errorCode(again.body) }).toEqual({ status: 409, code: 'merge_undone' });
    expect((await api(t, 'POST', `/api/v1/contacts/${target.contactId}/unmerge`, {})).status).toBe(404);
  });

  it('refuses to unmerge after 30 days', async () => {
    const a = await inbound(t);
    const b = await inbound(t);
    const { mergeId } = await expectStatus<Merged>(200, t, 'POST', `/api/v1/contacts/${a.contactId}/merge`, { from: b.contactId });
    await repo(t.hub.db.manager, 'ContactMerge').update({ id: mergeId }, { createdAt: new Date(Date.now() - 31 * 24 * 60 * 60 * 1000) });
    const late = await api(t, 'POST', `/api/v1/contacts/${a.contactId}/unmerge`, { mergeId });
    expect({ status: late.status, code: errorCode(late.body) }).toEqual({ status: 409, code: 'merge_expired' });
    expect((await api(t, 'GET', `/api/v1/contacts/${b.contactId}`)).status).toBe(404);
    expect((await api(t, 'POST', `/api/v1/contacts/${a.contactId}/unmerge`, { mergeId: randomUUID() })).status).toBe(404);
  });
});

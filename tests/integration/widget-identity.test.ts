import { randomUUID } from 'node:crypto';
import { repo } from '../../src/core/model/schemas';
import type { Website } from '../../src/core/model/types';
import type { ServerFrame, VisitorSession, WidgetHistory } from '../../src/channels/widget/protocol';
import { errorCode, expectStatus, inbound, type AuditItem, type Page } from '../support/agent-api';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { createWebsite, GENEROUS_LIMITS, newVisitor, userHash, visitorSays, widget, widgetOk, WidgetSocket } from '../support/widget';

/**
 * `identify`: a valid hash of the site's user id joins the visitor to that user on every device; a bad
 * hash, or an email typed without one, never reaches anybody else's conversations or contact.
 */
describe.each(ENGINES)('widget identity on %s', (engine) => {
  let t: TestHub;
  let website: Website;

  beforeAll(async () => {
    t = await startTestHub(engine, { env: GENEROUS_LIMITS });
    website = await createWebsite(t);
  });
  afterAll(async () => {
    await t.stop();
  });

  const identify = (token: string, body: Record<string, unknown>, site: Website = website) => widget<VisitorSession>(t, site, '/identify', { token, json: body });
  const history = (token: string) => widgetOk<WidgetHistory>(200, t, website, '/history', { token });
  const contactOf = async (visitorId: string) => {
    const identity = await repo(t.hub.db.manager, 'ChannelIdentity').findOneByOrFail({ channel: 'widget', address: visitorId });
    return repo(t.hub.db.manager, 'Contact').findOneByOrFail({ id: identity.contactId });
  };

  it('joins a user’s devices with a valid hash: each sees the other’s history, live', async () => {
    const userId = `user-${randomUUID()}`;
    const laptop = await newVisitor(t, website);
    const fromLaptop = await visitorSays(t, website, laptop.token, 'asked on the laptop');
    const phone = await newVisitor(t, website);
    const fromPhone = await visitorSays(t, website, phone.token, 'asked on the phone');
    const phoneContact = await contactOf(phone.visitorId);

    const onLaptop = await identify(laptop.token, { id: userId, name: 'Ada Lovelace', email: `ada-${engine}@example.com`, hash: userHash(website, userId) });
    expect(onLaptop.status).toBe(200);
    expect(onLaptop.body).toEqual({ token: expect.any(String) as unknown, visitorId: laptop.visitorId, userId });
    const onPhone = (await identify(phone.token, { id: userId, hash: userHash(website, userId).toUpperCase() })).body;
    expect(onPhone.userId).toBe(userId);

    for (const token of [onLaptop.body.token, onPhone.token]) {
      expect((await history(token)).messages.map((m) => m.body).sort()).toEqual(['asked on the laptop', 'asked on the phone']);
    }
    // The phone's anonymous contact joined the user's (the laptop's) and is gone; its conversation moved along.
    const user = await contactOf(laptop.visitorId);
    expect(user).toMatchObject({ name: 'Ada Lovelace', email: `ada-${engine}@example.com` });
    expect((await contactOf(phone.visitorId)).id).toBe(user.id);
    expect(await repo(t.hub.db.manager, 'Contact').findOneBy({ id: phoneContact.id })).toBeNull();
    expect((await repo(t.hub.db.manager, 'Conversation').findOneByOrFail({ id: fromPhone.conversationId })).contactId).toBe(user.id);
    expect((await repo(t.hub.db.manager, 'Conversation').findOneByOrFail({ id: fromLaptop.conversationId })).contactId).toBe(user.id);
    const audit = await expectStatus<Page<AuditItem>>(200, t, 'GET', `/api/v1/audit?entityType=contact&entityId=${user.id}`);
    expect(audit.items.find((entry) => entry.action === 'contact.merged')).toMatchObject({ actorType: 'contact', before: { contactId: phoneContact.id }, after: { contactId: user.id, removedContact: phoneContact.id } });

    // A message from one device reaches the other's socket, and the old anonymous token still works on its own browser.
    const laptopSocket = await WidgetSocket.ready(t.url, website, onLaptop.body.token);
    try {
      const later = await visitorSays(t, website, onPhone.token, 'continued on the phone');
      await laptopSocket.until('the phone’s message', (f: ServerFrame) => f.type === 'message' && f.message.id === later.id);
      // Signed-in devices write into the user's conversation, whichever device it is.
      const fromLaptopAgain = await visitorSays(t, website, onLaptop.body.token, 'and on the laptop');
      expect(fromLaptopAgain.conversationId).toBe(later.conversationId);
    } finally {
      laptopSocket.close();
    }
    expect((await history(phone.token)).messages.map((m) => m.body)).toEqual(['asked on the phone']);
  });

  it('joins two devices that sign in as a new user at the same moment into one contact', async () => {
    const userId = `user-${randomUUID()}`;
    const devices = await Promise.all([newVisitor(t, website), newVisitor(t, website), newVisitor(t, website)]);
    const answers = await Promise.all(devices.map((device) => identify(device.token, { id: userId, hash: userHash(website, userId) })));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    const contacts = new Set(await Promise.all(devices.map(async (device) => (await contactOf(device.visitorId)).id)));
    expect(contacts.size).toBe(1);
    expect(await repo(t.hub.db.manager, 'ChannelIdentity').countBy({ channel: 'widget', address: `user:${website.id}:${userId}` })).toBe(1);
  });

  it('refuses a bad hash with 403: nothing changes and nothing of the user shows', async () => {
    const userId = `user-${randomUUID()}`;
    const owner = await newVisitor(t, website);
    const signedIn = (await identify(owner.token, { id: userId, hash: userHash(website, userId) })).body;
    await visitorSays(t, website, signedIn.token, 'my private order question');

    const intruder = await newVisitor(t, website);
    const before = await contactOf(intruder.visitorId);
    for (const hash of ['0'.repeat(64), userHash(website, `${userId}x`), 'not-hex', userHash({ ...website, identitySecret: 'other' }, userId)]) {
      const refused = await identify(intruder.token, { id: userId, hash, email: 'intruder@example.com' });
      expect({ status: refused.status, code: errorCode(refused.body) }).toEqual({ status: 403, code: 'identity_not_verified' });
    }
    expect((await history(intruder.token)).messages).toEqual([]);
    expect(await contactOf(intruder.visitorId)).toEqual(before);
    // A token cannot be edited into the user's either.
    const [version, payload, signature] = intruder.token.split('.') as [string, string, string];
    const claims = { ...(JSON.parse(Buffer.from(payload, 'base64url').toString()) as object), u: userId };
    const edited = `${version}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    expect((await widget(t, website, '/history', { token: edited })).status).toBe(401);
  });

  it('keeps an email typed without a hash on the visitor’s own contact, as unverified when someone else has it', async () => {
    const email = `customer-${engine}-${randomUUID()}@example.com`;
    const customer = await inbound(t, { email, name: 'Real Customer' }, 'my account number is 1234');
    const visitor = await newVisitor(t, website);
    const answered = await identify(visitor.token, { id: 'whoever', name: 'Someone', email });
    expect(answered.status).toBe(200);
    expect(answered.body.userId).toBeNull();
    expect((await history(answered.body.token)).messages).toEqual([]);

    const own = await contactOf(visitor.visitorId);
    expect(own.id).not.toBe(customer.contactId);
    expect(own).toMatchObject({ name: 'Someone', email: null, attributes: { unverifiedEmail: email } });
    const sent = await visitorSays(t, website, answered.body.token, 'hello');
    expect((await repo(t.hub.db.manager, 'Conversation').findOneByOrFail({ id: sent.conversationId })).contactId).toBe(own.id);
    expect(await repo(t.hub.db.manager, 'Contact').findOneByOrFail({ id: customer.contactId })).toMatchObject({ email, name: 'Real Customer' });

    // An email nobody has becomes the visitor's own, and is never overwritten by a later one.
    const fresh = await newVisitor(t, website);
    const freshEmail = `new-${engine}-${randomUUID()}@example.com`;
    expect((await widget(t, website, '/profile', { token: fresh.token, json: { name: 'New Person', email: freshEmail } })).status).toBe(204);
    expect((await widget(t, website, '/profile', { token: fresh.token, json: { email } })).status).toBe(204);
    expect(await contactOf(fresh.visitorId)).toMatchObject({ name: 'New Person', email: freshEmail, attributes: { unverifiedEmail: email } });
  });

  it('refuses identify without a hash where the website requires verification', async () => {
    const strict = await createWebsite(t, { requireVerifiedIdentity: true });
    const visitor = await newVisitor(t, strict);
    const refused = await identify(visitor.token, { id: 'u-1', email: 'x@example.com' }, strict);
    expect({ status: refused.status, code: errorCode(refused.body) }).toEqual({ status: 403, code: 'identity_not_verified' });
    expect(await contactOf(visitor.visitorId)).toMatchObject({ email: null, attributes: {} });
    const verified = await identify(visitor.token, { id: 'u-1', hash: userHash(strict, 'u-1') }, strict);
    expect(verified.body.userId).toBe('u-1');
    // The same user id on another website is another user.
    const elsewhere = await newVisitor(t, website);
    const there = (await identify(elsewhere.token, { id: 'u-1', hash: userHash(website, 'u-1') })).body;
    expect((await contactOf(elsewhere.visitorId)).id).not.toBe((await contactOf(visitor.visitorId)).id);
    expect(there.userId).toBe('u-1');
  });

  it('gives a shared computer’s browser to the user who signs in last, without the previous user’s conversations', async () => {
    const first = `first-${randomUUID()}`;
    const second = `second-${randomUUID()}`;
    const browser = await newVisitor(t, website);
    const asFirst = (await identify(browser.token, { id: first, hash: userHash(website, first) })).body;
    await visitorSays(t, website, asFirst.token, 'first user’s question');
    const asSecond = (await identify(asFirst.token, { id: second, hash: userHash(website, second) })).body;
    expect(asSecond.userId).toBe(second);
    expect((await history(asSecond.token)).messages.map((m) => m.body)).not.toContain('first user’s question');
    expect((await history(asFirst.token)).messages.map((m) => m.body)).toEqual(['first user’s question']);
  });
});

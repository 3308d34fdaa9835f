import { randomBytes } from 'node:crypto';
import { createApiKey } from '../../src/core/api-keys';
import { repo } from '../../src/core/model/schemas';
import type { Message } from '../../src/core/model/types';
import { EMAIL_FIXTURES, readFixture, type EmailFixture } from '../support/email-fixtures';
import { startEmailHub, type EmailHub } from '../support/email-hub';
import { ENGINES } from '../support/env';
import { waitFor } from '../support/processes';

/**
 * The corpus of real clients' mail (tests/fixtures/email/), sent to a hub over SMTP: each reply threads
 * into the conversation whose mail it answers and is stored as its new text only; the rest open their
 * own conversations, are ignored, or fail the reply they bounce.
 */

const INBOX = 'support@example.test';
/** The fixtures answer Message-IDs of this domain: the hub's own. */
const DOMAIN = 'mail.example.test';

const replies = EMAIL_FIXTURES.filter((f) => f.kind.kind === 'message' && f.inReplyTo !== undefined);
const newMails = EMAIL_FIXTURES.filter((f) => f.kind.kind === 'message' && f.inReplyTo === undefined);
const noise = EMAIL_FIXTURES.filter((f) => f.kind.kind === 'automatic' || f.kind.kind === 'list');
const bounces = EMAIL_FIXTURES.filter((f) => f.kind.kind === 'bounce');

describe.each(ENGINES)('the mail corpus on %s', (engine) => {
  let h: EmailHub;
  let agentKey: string;
  beforeAll(async () => {
    h = await startEmailHub(engine, { EMAIL_ADDRESSES: INBOX, EMAIL_DOMAIN: DOMAIN, MAIL_FROM: `Acme <${INBOX}>` });
    const agent = await h.t.request('/api/v1/agents', { method: 'POST', json: { name: 'Grace', email: 'grace@acme.example' } });
    agentKey = (await createApiKey(h.t.hub.db, { name: 'grace', scopes: ['read', 'write'], agentId: (agent.body as { id: string }).id })).key;
  });
  afterAll(() => h.stop());

  const messages = () => repo(h.t.hub.db.manager, 'Message');

  /** A conversation with the fixture's sender and the hub's reply in it, sent: the mail the fixture answers. */
  async function hubMailTo(customer: EmailFixture['from']): Promise<{ conversationId: string; hubMessageId: string }> {
    const text = `An earlier question ${randomBytes(4).toString('hex')}`;
    await h.customer.send({ from: customer.address, fromName: customer.name, to: INBOX, subject: `Earlier ${randomBytes(3).toString('hex')}`, text });
    const first = await messages().findOneByOrFail({ body: text });
    const answer = `Our answer ${randomBytes(4).toString('hex')}`;
    const created = await h.t.request(`/api/v1/conversations/${first.conversationId}/messages`, { method: 'POST', json: { body: answer }, key: agentKey });
    const { id } = created.body as { id: string };
    await waitFor('the reply to be sent', async () => (await messages().findOneByOrFail({ id })).deliveryStatus === 'sent', 10_000);
    return { conversationId: first.conversationId, hubMessageId: `${id}@${DOMAIN}` };
  }

  /** The fixture's bytes, answering (or reporting on) the hub's real mail instead of the placeholder id. */
  function answering(fixture: EmailFixture, placeholder: string, hubMessageId: string): Buffer {
    return Buffer.from(readFixture(fixture.file).toString('latin1').replaceAll(placeholder, hubMessageId), 'latin1');
  }

  async function deliver(raw: Buffer): Promise<void> {
    expect(await h.customer.sendRaw(raw, { from: 'sender@example.com', to: [INBOX] })).toMatch(/^250/);
  }

  const stored = (body: string): Promise<Message> => waitFor(`a message "${body.slice(0, 30)}…"`, async () => (await messages().findOneBy({ body })) ?? undefined, 5000);

  it.each(replies.map((f) => [f.file, f] as const))('threads %s into the conversation it answers, new text only', async (_file, fixture) => {
    const { conversationId, hubMessageId } = await hubMailTo(fixture.from);
    await deliver(answering(fixture, fixture.inReplyTo ?? '', hubMessageId));
    const message = await stored(fixture.expectedBody);
    expect(message).toMatchObject({ conversationId, channel: 'email', direction: 'inbound' });
    expect(message.metadata.threadedBy).toBe('references');
    expect(message.attachments.map((a) => a.name)).toEqual(fixture.attachments.filter((a) => a.contentType.startsWith('image/') || a.contentType === 'application/pdf').map((a) => a.filename));
  });

  it.each(newMails.map((f) => [f.file, f] as const))('opens a conversation for %s with its subject and new text', async (_file, fixture) => {
    await deliver(readFixture(fixture.file));
    const message = await stored(fixture.expectedBody);
    expect(message.metadata.threadedBy).toBe('new');
    const conversation = await h.conversation(message.conversationId);
    expect(conversation.subject).toBe(fixture.subject);
    const contact = await repo(h.t.hub.db.manager, 'Contact').findOneByOrFail({ id: conversation.contactId });
    expect(contact.email).toBe(fixture.from.address);
    const files = fixture.attachments.filter((a) => a.contentType.startsWith('image/') || a.contentType === 'application/pdf');
    expect(message.attachments.map((a) => [a.name, a.size])).toEqual(files.map((a) => [a.filename, a.bytes]));
  });

  it.each(noise.map((f) => [f.file, f] as const))('stores nothing for %s', async (_file, fixture) => {
    const before = await messages().count();
    await deliver(fixture.inReplyTo ? answering(fixture, fixture.inReplyTo, (await hubMailTo(fixture.from)).hubMessageId) : readFixture(fixture.file));
    expect(await messages().countBy({ body: fixture.expectedBody })).toBe(0);
    expect(await messages().count()).toBe(before + (fixture.inReplyTo ? 2 : 0));
  });

  it.each(bounces.map((f) => [f.file, f] as const))('fails the reply %s reports on, with its reason', async (_file, fixture) => {
    if (fixture.kind.kind !== 'bounce') throw new Error('not a bounce');
    const [placeholder = ''] = fixture.kind.bounce.messageIds;
    // The report is about a reply to the customer it could not reach.
    const { hubMessageId } = await hubMailTo({ address: 'nobody@example.com', name: 'Nobody' });
    await deliver(answering(fixture, placeholder, hubMessageId));
    const id = hubMessageId.split('@')[0] ?? '';
    const failed = await waitFor('the bounce to fail the reply', async () => {
      const message = await messages().findOneByOrFail({ id });
      return message.deliveryStatus === 'failed' ? message : undefined;
    }, 5000);
    expect(failed.failureReason).toBe(fixture.kind.bounce.reason);
  });
});

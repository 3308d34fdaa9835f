import { randomBytes } from 'node:crypto';
import { createApiKey } from '../../src/core/api-keys';
import { repo } from '../../src/core/model/schemas';
import type { DeliveryStatus } from '../../src/core/model/types';
import { deliveryReport } from '../support/email';
import { startEmailHub, SUPPORT, HUB_DOMAIN, type EmailHub } from '../support/email-hub';
import { ENGINES } from '../support/env';
import { pngBytes } from '../support/files';
import { waitFor } from '../support/processes';
import type { ReceivedMail } from '../support/smtp-sink';

/**
 * Agents' replies leave as mail that threads in the customer's client (the hub's nodemailer → an
 * in-process SMTP sink), and the customer's answers to them come back into the same conversation.
 */

const unique = (what: string) => `${what} ${randomBytes(4).toString('hex')}`;

describe.each(ENGINES)('email replies on %s', (engine) => {
  let h: EmailHub;
  /** An API key that acts as the agent Grace. */
  let graceKey: string;
  beforeAll(async () => {
    h = await startEmailHub(engine, { DELIVERY_ATTEMPTS: '3' });
    const agent = await h.t.request('/api/v1/agents', { method: 'POST', json: { name: 'Grace', email: `grace.${randomBytes(3).toString('hex')}@acme.test` } });
    expect(agent.status).toBe(201);
    graceKey = (await createApiKey(h.t.hub.db, { name: 'grace', scopes: ['read', 'write'], agentId: (agent.body as { id: string }).id })).key;
  });
  afterAll(() => h.stop());

  const messages = () => repo(h.t.hub.db.manager, 'Message');
  const customer = () => `lin.${randomBytes(4).toString('hex')}@customer.example`;

  /** A customer's first mail, stored. */
  async function customerWrites(subject = 'Order 42 is late') {
    const from = customer();
    const text = unique('Where is my order?');
    const sent = await h.customer.send({ from, fromName: 'Lin', to: SUPPORT, subject, text });
    const message = await messages().findOneByOrFail({ body: text });
    return { from, sent, message, conversationId: message.conversationId };
  }

  async function reply(conversationId: string, body: string, extra: Record<string, unknown> = {}) {
    const created = await h.t.request(`/api/v1/conversations/${conversationId}/messages`, { method: 'POST', json: { body, ...extra }, key: graceKey });
    expect(created.status).toBe(201);
    return (created.body as { id: string }).id;
  }

  const mailWith = (text: string): Promise<ReceivedMail> => waitFor(`a mail with "${text}"`, () => h.sink.mails.find((m) => m.parsed.text?.includes(text)), 10_000);
  const statusOf = async (id: string): Promise<DeliveryStatus> => (await messages().findOneByOrFail({ id })).deliveryStatus;

  it('sends a reply that threads: From the agent at the brand, Message-ID, In-Reply-To, References, Reply-To token, Re: subject', async () => {
    const { from, sent, conversationId } = await customerWrites('Order 42 is late');
    const text = unique('It ships today.');
    const id = await reply(conversationId, text);
    const mail = await mailWith(text);
    expect(mail.to).toEqual([from]);
    expect(mail.parsed.from?.value[0]).toEqual({ name: 'Grace at Acme Support', address: SUPPORT });
    expect(mail.parsed.messageId).toBe(`<${id}@${HUB_DOMAIN}>`);
    expect(mail.parsed.inReplyTo).toBe(`<${sent.messageId}>`);
    expect(String(mail.parsed.references)).toContain(sent.messageId);
    expect(mail.parsed.subject).toBe('Re: Order 42 is late');
    expect(mail.parsed.replyTo?.value[0]?.address).toMatch(/^support\+[0-9a-f]{44}@acme\.test$/);
    expect(mail.parsed.html).toContain(text);
    expect(mail.raw.toString()).not.toMatch(/^Auto-Submitted:/m);
    await waitFor('the reply to be sent', async () => (await statusOf(id)) === 'sent', 10_000);
    expect((await messages().findOneByOrFail({ id })).externalId).toBe(`${id}@${HUB_DOMAIN}`);
  });

  it('escapes the HTML alternative and sends attachments', async () => {
    const { conversationId } = await customerWrites();
    const upload = await fetch(`${h.t.url}/api/v1/files?name=label.png`, { method: 'POST', body: pngBytes(), headers: { authorization: `Bearer ${h.t.apiKey}`, 'content-type': 'image/png' } });
    expect(upload.status).toBe(201);
    const { fileKey } = (await upload.json()) as { fileKey: string };
    const text = unique('<b>not bold</b> & see the label');
    await reply(conversationId, text, { attachments: [{ fileKey }] });
    const mail = await mailWith('see the label');
    expect(mail.parsed.html).toContain('&lt;b&gt;not bold&lt;/b&gt; &amp;');
    expect(mail.parsed.attachments.map((a) => [a.filename, a.content.equals(pngBytes())])).toEqual([['label.png', true]]);
  });

  it('never sends a private note', async () => {
    const { conversationId } = await customerWrites();
    const note = unique('internal: customer is a VIP');
    await reply(conversationId, note, { private: true });
    const visible = unique('We are on it');
    await reply(conversationId, visible);
    await mailWith(visible);
    expect(h.sink.mails.some((m) => m.raw.toString().includes(note))).toBe(false);
  });

  it("threads the customer's answer by In-Reply-To, even under a new subject", async () => {
    const { from, conversationId } = await customerWrites();
    const text = unique('Here is the tracking number');
    const id = await reply(conversationId, text);
    await mailWith(text);
    const answer = unique('Thanks, got it');
    await h.customer.send({ from, to: SUPPORT, subject: 'Something else entirely', text: answer, inReplyTo: `${id}@${HUB_DOMAIN}` });
    const stored = await messages().findOneByOrFail({ body: answer });
    expect(stored.conversationId).toBe(conversationId);
    expect(stored.metadata.threadedBy).toBe('references');
  });

  it('threads by the reply token of the plus-address when the headers are gone', async () => {
    const { from, conversationId } = await customerWrites();
    const text = unique('Anything else?');
    await reply(conversationId, text);
    const mail = await mailWith(text);
    const replyTo = /support\+[0-9a-f]{44}@acme\.test/.exec(mail.raw.toString())?.[0] ?? '';
    const answer = unique('Yes, one more thing');
    await h.customer.send({ from, to: replyTo, subject: 'New subject', text: answer });
    const stored = await messages().findOneByOrFail({ body: answer });
    expect(stored.conversationId).toBe(conversationId);
    expect(stored.metadata.threadedBy).toBe('reply-token');
  });

  it('refuses a forged reply token: the mail opens a conversation of its own', async () => {
    const { from, conversationId } = await customerWrites('Forgery');
    const forged = `support+${conversationId.replace(/-/g, '')}000000000000@acme.test`;
    const answer = unique('forged token');
    await h.customer.send({ from, to: forged, subject: 'Other', text: answer });
    expect((await messages().findOneByOrFail({ body: answer })).conversationId).not.toBe(conversationId);
  });

  it('threads by subject within the window, and opens a new conversation for another subject', async () => {
    const { from, conversationId } = await customerWrites('Broken zipper');
    const same = unique('Photos attached');
    await h.customer.send({ from, to: SUPPORT, subject: 'RE: AW: Broken zipper', text: same });
    expect((await messages().findOneByOrFail({ body: same })).conversationId).toBe(conversationId);
    const other = unique('A different matter');
    await h.customer.send({ from, to: SUPPORT, subject: 'Refund', text: other });
    expect((await messages().findOneByOrFail({ body: other })).conversationId).not.toBe(conversationId);
  });

  it('reopens a resolved conversation when the customer answers its mail', async () => {
    const { from, sent, conversationId } = await customerWrites();
    const resolved = await h.t.request(`/api/v1/conversations/${conversationId}`, { method: 'PATCH', json: { status: 'resolved' } });
    expect(resolved.status).toBe(200);
    const answer = unique('It broke again');
    await h.customer.send({ from, to: SUPPORT, subject: 'Re: Order 42 is late', text: answer, references: [sent.messageId] });
    expect((await messages().findOneByOrFail({ body: answer })).conversationId).toBe(conversationId);
    expect((await h.conversation(conversationId)).status).toBe('open');
  });

  it('marks a reply failed with the reason of a bounce that names it', async () => {
    const { conversationId } = await customerWrites();
    const text = unique('This will bounce');
    const id = await reply(conversationId, text);
    await mailWith(text);
    await waitFor('the reply to be sent', async () => (await statusOf(id)) === 'sent', 10_000);
    const dsn = deliveryReport({ to: SUPPORT, messageId: `${id}@${HUB_DOMAIN}`, recipient: 'gone@customer.example', action: 'failed', status: '5.1.1', diagnostic: '550 5.1.1 <gone@customer.example>: Recipient address rejected: User unknown' });
    await h.customer.sendRaw(dsn, { from: '', to: [SUPPORT] });
    await waitFor('the bounce to fail the reply', async () => (await statusOf(id)) === 'failed', 10_000);
    expect((await messages().findOneByOrFail({ id })).failureReason).toContain('User unknown');
  });

  it('retries a reply the server answers 451, and it ends sent', async () => {
    const { conversationId } = await customerWrites();
    h.sink.answerNext(['451']);
    const text = unique('Second time lucky');
    const id = await reply(conversationId, text);
    await waitFor('the retried reply to be sent', async () => (await statusOf(id)) === 'sent', 15_000);
    expect(h.sink.mails.filter((m) => m.parsed.text?.includes(text))).toHaveLength(1);
  });

  it('fails a reply the server answers 550, with its words', async () => {
    const { conversationId } = await customerWrites();
    h.sink.answerNext(['550']);
    const text = unique('Nobody home');
    const id = await reply(conversationId, text);
    await waitFor('the reply to fail', async () => (await statusOf(id)) === 'failed', 15_000);
    expect((await messages().findOneByOrFail({ id })).failureReason).toMatch(/User unknown/);
  });
});

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiKey } from '../../src/core/api-keys';
import { repo } from '../../src/core/model/schemas';
import { verifyDkim } from '../support/dkim-verify';
import { startEmailHub, SUPPORT, type EmailHub } from '../support/email-hub';
import { ENGINES } from '../support/env';
import { waitFor } from '../support/processes';

/**
 * The email settings as a hub reads them: DKIM_PRIVATE_KEY from a file signs every reply, and the two
 * windows (EMAIL_THREAD_WINDOW_HOURS, CONVERSATION_REOPEN_WINDOW_HOURS) end where they say.
 */

describe.each(ENGINES)('the email settings on %s', (engine) => {
  let h: EmailHub;
  let keyDir: string;
  let agentKey: string;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

  beforeAll(async () => {
    keyDir = mkdtempSync(join(tmpdir(), 'dkim-'));
    const keyFile = join(keyDir, 'dkim.pem');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    h = await startEmailHub(engine, { DKIM_DOMAIN: 'acme.test', DKIM_SELECTOR: 'mail2026', DKIM_PRIVATE_KEY: keyFile, EMAIL_THREAD_WINDOW_HOURS: '2', CONVERSATION_REOPEN_WINDOW_HOURS: '24' });
    const agent = await h.t.request('/api/v1/agents', { method: 'POST', json: { name: 'Grace', email: 'grace@acme.test' } });
    agentKey = (await createApiKey(h.t.hub.db, { name: 'grace', scopes: ['read', 'write'], agentId: (agent.body as { id: string }).id })).key;
  });
  afterAll(async () => {
    await h.stop();
    rmSync(keyDir, { recursive: true, force: true });
  });

  const messages = () => repo(h.t.hub.db.manager, 'Message');
  const conversations = () => repo(h.t.hub.db.manager, 'Conversation');
  const unique = (what: string) => `${what} ${randomBytes(4).toString('hex')}`;
  const customer = () => `ola.${randomBytes(4).toString('hex')}@customer.example`;

  async function firstMail(subject: string) {
    const from = customer();
    const text = unique('first');
    const sent = await h.customer.send({ from, to: SUPPORT, subject, text });
    return { from, sent, conversationId: (await messages().findOneByOrFail({ body: text })).conversationId };
  }

  it('signs replies with the key of DKIM_PRIVATE_KEY, for DKIM_DOMAIN and DKIM_SELECTOR', async () => {
    const { conversationId } = await firstMail('Signed');
    const text = unique('A signed answer');
    expect((await h.t.request(`/api/v1/conversations/${conversationId}/messages`, { method: 'POST', json: { body: text }, key: agentKey })).status).toBe(201);
    const mail = await waitFor('the signed reply', () => h.sink.mails.find((m) => m.parsed.text?.includes(text)), 10_000);
    const check = verifyDkim(mail.raw, publicKey);
    expect([check.tags.get('d'), check.tags.get('s'), check.bodyHashMatches, check.signatureValid]).toEqual(['acme.test', 'mail2026', true, true]);
  });

  it('threads by subject only within EMAIL_THREAD_WINDOW_HOURS of the conversation’s last activity', async () => {
    const { from, conversationId } = await firstMail('Window');
    const inside = unique('still inside');
    await h.customer.send({ from, to: SUPPORT, subject: 'Re: Window', text: inside });
    expect((await messages().findOneByOrFail({ body: inside })).conversationId).toBe(conversationId);
    await conversations().update({ id: conversationId }, { lastMessageAt: new Date(Date.now() - 3 * 3600_000) });
    const outside = unique('too late');
    await h.customer.send({ from, to: SUPPORT, subject: 'Re: Window', text: outside });
    expect((await messages().findOneByOrFail({ body: outside })).conversationId).not.toBe(conversationId);
  });

  it('opens a new conversation for a reply to one resolved longer ago than CONVERSATION_REOPEN_WINDOW_HOURS', async () => {
    const { from, sent, conversationId } = await firstMail('Old case');
    await conversations().update({ id: conversationId }, { status: 'resolved', resolvedAt: new Date(Date.now() - 25 * 3600_000) });
    const answer = unique('about that old case');
    await h.customer.send({ from, to: SUPPORT, subject: 'Re: Old case', text: answer, inReplyTo: sent.messageId });
    const stored = await messages().findOneByOrFail({ body: answer });
    expect(stored.conversationId).not.toBe(conversationId);
    expect((await h.conversation(conversationId)).status).toBe('resolved');
    expect((await h.conversation(stored.conversationId)).subject).toBe('Re: Old case');
  });
});

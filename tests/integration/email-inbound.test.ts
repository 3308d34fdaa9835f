import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { HUB_ID_SECRET, hubIdOf } from '../../src/channels/email/addresses';
import { repo } from '../../src/core/model/schemas';
import { hubSecret } from '../../src/core/secrets';
import { customerMessageId, SmtpClient } from '../support/email';
import { BILLING, startEmailHub, SUPPORT, type EmailHub } from '../support/email-hub';
import { ENGINES } from '../support/env';
import { pngBytes } from '../support/files';

/**
 * Mail reaches the hub over real SMTP (nodemailer → the hub's smtp-server) and over the inbound-parse
 * webhook; what it stores, refuses and ignores.
 */

const unique = (what: string) => `${what} ${randomBytes(4).toString('hex')}`;

describe.each(ENGINES)('email inbound on %s', (engine) => {
  let h: EmailHub;
  beforeAll(async () => {
    h = await startEmailHub(engine, { EMAIL_MAX_BYTES: String(256 * 1024) });
  });
  afterAll(() => h.stop());

  const messages = () => repo(h.t.hub.db.manager, 'Message');
  const conversations = () => repo(h.t.hub.db.manager, 'Conversation');
  const customer = () => `ada.${randomBytes(4).toString('hex')}@customer.example`;

  it('stores a mail before answering 250: conversation with its subject, contact with name and address', async () => {
    const from = customer();
    const text = unique('My parcel never arrived');
    const sent = await h.customer.send({ from, fromName: 'Ada Lovelace', to: SUPPORT, subject: 'Parcel 123', text });
    expect(sent.response).toMatch(/^250/);
    // No waiting: the answer came after the commit.
    const message = await messages().findOneByOrFail({ body: text });
    expect(message).toMatchObject({ channel: 'email', direction: 'inbound', senderKind: 'contact', externalId: sent.messageId });
    const conversation = await h.conversation(message.conversationId);
    expect(conversation).toMatchObject({ channel: 'email', channelAddress: SUPPORT, subject: 'Parcel 123', status: 'open' });
    const contact = await repo(h.t.hub.db.manager, 'Contact').findOneByOrFail({ id: conversation.contactId });
    expect(contact).toMatchObject({ name: 'Ada Lovelace', email: from });
  });

  it('refuses recipients that are not support addresses at RCPT TO with 550', async () => {
    await expect(h.customer.send({ from: customer(), to: 'someone-else@acme.test', subject: 'Hi', text: unique('lost') })).rejects.toMatchObject({ responseCode: 550 });
  });

  it('takes mail for an address added with /api/v1/email-addresses, routed to its team, and refuses it once removed', async () => {
    const team = await h.t.request('/api/v1/teams', { method: 'POST', json: { name: unique('Returns') } });
    const address = `returns.${randomBytes(3).toString('hex')}@acme.test`;
    const created = await h.t.request('/api/v1/email-addresses', { method: 'POST', json: { address: address.toUpperCase(), teamId: (team.body as { id: string }).id } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ channel: 'email', address });
    const text = unique('a return');
    await h.customer.send({ from: customer(), to: address, subject: 'Return', text });
    const conversation = await h.conversation((await messages().findOneByOrFail({ body: text })).conversationId);
    expect(conversation).toMatchObject({ channelAddress: address, teamId: (team.body as { id: string }).id });
    expect((await h.t.request('/api/v1/email-addresses', { method: 'POST', json: { address: 'support+tag@acme.test' } })).status).toBe(400);
    expect((await h.t.request(`/api/v1/email-addresses/${(created.body as { id: string }).id}`, { method: 'DELETE' })).status).toBe(204);
    await expect(h.customer.send({ from: customer(), to: address, subject: 'Return', text: unique('too late') })).rejects.toMatchObject({ responseCode: 550 });
  });

  it('refuses a mail over EMAIL_MAX_BYTES at DATA with 552 and stores nothing', async () => {
    const text = unique('big');
    const big = { filename: 'big.png', content: Buffer.concat([pngBytes(), randomBytes(300 * 1024)]), contentType: 'image/png' };
    await expect(h.customer.send({ from: customer(), to: SUPPORT, subject: 'Big', text, attachments: [big] })).rejects.toMatchObject({ responseCode: 552 });
    expect(await messages().countBy({ body: text })).toBe(0);
  });

  it('stores a redelivered mail (same Message-ID) once', async () => {
    const mail = { from: customer(), to: SUPPORT, subject: 'Twice', text: unique('sent twice'), messageId: customerMessageId() };
    await h.customer.send(mail);
    await h.customer.send(mail);
    expect(await messages().countBy({ body: mail.text })).toBe(1);
  });

  it('stores a redelivered mail with attachments once, its files once', async () => {
    const mail = { from: customer(), to: SUPPORT, subject: 'Twice with a file', text: unique('sent twice with a file'), messageId: customerMessageId(), attachments: [{ filename: 'a.png', content: pngBytes(), contentType: 'image/png' }] };
    await h.customer.send(mail);
    const files = readdirSync(join(h.t.environment.dataDir, 'uploads')).length;
    await h.customer.send(mail);
    expect(await messages().countBy({ body: mail.text })).toBe(1);
    expect(readdirSync(join(h.t.environment.dataDir, 'uploads'))).toHaveLength(files);
  });

  it('joins a known email to its contact and opens the conversation on the inbox it was sent to', async () => {
    const email = customer();
    // Known from another channel first.
    const created = await h.t.request('/api/v1/inbound', { method: 'POST', json: { sourceId: unique('known'), contact: { name: 'Known Customer', email }, body: 'hello from the API' } });
    expect(created.status).toBe(202);
    const text = unique('billing question');
    await h.customer.send({ from: email, to: BILLING, subject: 'Invoice', text });
    const message = await messages().findOneByOrFail({ body: text });
    const conversation = await h.conversation(message.conversationId);
    expect(conversation.contactId).toBe((created.body as { contactId: string }).contactId);
    expect(conversation.channelAddress).toBe(BILLING);
  });

  it('stores attachments and inline images through the upload policy, and lists refused ones on the message', async () => {
    const text = unique('see the picture');
    await h.customer.send({
      from: customer(),
      to: SUPPORT,
      subject: 'Screenshot',
      text,
      html: `<p>${text}</p><img src="cid:shot@customer">`,
      attachments: [
        { filename: 'shot.png', content: pngBytes(), contentType: 'image/png', cid: 'shot@customer' },
        { filename: 'tool.exe', content: Buffer.from('MZ\x90\x00binary'), contentType: 'application/octet-stream' },
      ],
    });
    const message = await messages().findOneByOrFail({ body: text });
    expect(message.attachments).toEqual([expect.objectContaining({ name: 'shot.png', contentType: 'image/png', size: pngBytes().length })]);
    expect(message.metadata.skippedAttachments).toEqual([{ name: 'tool.exe', reason: 'unsupported_file_type' }]);
    const file = await h.t.request(`/api/v1/files/${message.attachments[0]?.fileKey ?? ''}`);
    expect(file.status).toBe(200);
  });

  it('keeps the HTML part sanitized and the original mail for agents', async () => {
    const text = unique('html mail');
    const sent = await h.customer.send({ from: customer(), to: SUPPORT, subject: 'HTML', text, html: `<p onclick="x()">${text}</p><script>alert(1)</script>` });
    const message = await messages().findOneByOrFail({ body: text });
    expect(message.metadata.html).toContain(text);
    expect(String(message.metadata.html)).not.toMatch(/script|onclick/);
    const original = await fetch(`${h.t.url}/api/v1/messages/${message.id}/original`, { headers: { authorization: `Bearer ${h.t.apiKey}` } });
    expect(original.status).toBe(200);
    expect(original.headers.get('content-type')).toBe('message/rfc822');
    const raw = await original.text();
    expect(raw).toContain(`Message-ID: <${sent.messageId}>`);
    expect(raw).toContain('<script>alert(1)</script>');
  });

  it('answers 404 for the original of a message that has none', async () => {
    const sent = await h.t.request('/api/v1/inbound', { method: 'POST', json: { sourceId: unique('src'), contact: { externalId: 'x1' }, body: 'api message' } });
    expect(sent.status).toBeLessThan(300);
    const { messageId } = sent.body as { messageId: string };
    const original = await h.t.request(`/api/v1/messages/${messageId}/original`);
    expect(original.status).toBe(404);
  });

  describe('noise never opens a conversation', () => {
    const noisy: [string, Record<string, string>][] = [
      ['an auto-reply (Auto-Submitted)', { 'Auto-Submitted': 'auto-replied' }],
      ['an out-of-office (X-Autoreply)', { 'X-Autoreply': 'yes' }],
      ['an X-Autorespond answer', { 'X-Autorespond': 'Out of office' }],
      ['bulk mail (Precedence)', { Precedence: 'bulk' }],
      ['mailing-list mail (List-Id)', { 'List-Id': 'Announcements <announce.lists.example>' }],
    ];
    it.each(noisy)('ignores %s', async (_what, headers) => {
      const text = unique('noise');
      const sent = await h.customer.send({ from: customer(), to: SUPPORT, subject: 'Automatic', text, headers });
      expect(sent.response).toMatch(/^250/);
      expect(await messages().countBy({ body: text })).toBe(0);
    });

    it('ignores its own mail coming back, by its X-Switchboard-Hub value, and takes another hub’s', async () => {
      const ours = hubIdOf(await hubSecret(h.t.hub.db, HUB_ID_SECRET));
      const looped = unique('our own mail');
      await h.customer.send({ from: customer(), to: SUPPORT, subject: 'Loop', text: looped, headers: { 'X-Switchboard-Hub': ours } });
      expect(await messages().countBy({ body: looped })).toBe(0);
      const theirs = unique('a business that runs Switchboard too');
      await h.customer.send({ from: customer(), to: SUPPORT, subject: 'From another hub', text: theirs, headers: { 'X-Switchboard-Hub': 'a1b2c3d4e5f6a1b2c3d4e5f6' } });
      expect(await messages().countBy({ body: theirs })).toBe(1);
    });

    it('ignores mail from its own addresses', async () => {
      const text = unique('loop');
      await h.customer.send({ from: BILLING, to: SUPPORT, subject: 'Loop', text });
      expect(await messages().countBy({ body: text })).toBe(0);
    });

    it('takes a mail that says Auto-Submitted: no', async () => {
      const text = unique('human after all');
      await h.customer.send({ from: customer(), to: SUPPORT, subject: 'Human', text, headers: { 'Auto-Submitted': 'no' } });
      expect(await messages().countBy({ body: text })).toBe(1);
    });
  });

  describe('POST /webhooks/email/inbound', () => {
    const rawMail = (text: string, messageId = customerMessageId()) =>
      Buffer.from(
        [`From: Grace <grace.${randomBytes(3).toString('hex')}@customer.example>`, `To: ${SUPPORT}`, 'Subject: Via the provider', `Message-ID: <${messageId}>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', text, ''].join('\r\n'),
      );
    const post = (body: Buffer, headers: Record<string, string>) => fetch(`${h.t.url}/webhooks/email/inbound`, { method: 'POST', body, headers: { 'content-type': 'message/rfc822', ...headers } });

    it('stores a mail posted with the bearer token, and a repost once', async () => {
      const text = unique('from the provider');
      const raw = rawMail(text);
      const first = await post(raw, { authorization: `Bearer ${h.inboundToken}` });
      expect(first.status).toBe(201);
      const again = await post(raw, { authorization: `Bearer ${h.inboundToken}` });
      expect(again.status).toBe(200);
      expect(await again.json()).toMatchObject({ status: 'duplicate' });
      expect(await messages().countBy({ body: text })).toBe(1);
    });

    it.each([
      ['no token', {}],
      ['a wrong token', { authorization: 'Bearer wrong-token-of-some-length' }],
      ['a token of another length', { authorization: 'Bearer x' }],
    ])('refuses %s with 401 and stores nothing', async (_what, headers: Record<string, string>) => {
      const text = unique('forged');
      const response = await post(rawMail(text), headers);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: { code: 'unauthorized' } });
      expect(await messages().countBy({ body: text })).toBe(0);
    });

    it('refuses another content type with 415, an empty body with 400, a mail for nobody here with 400, and a huge one with 413', async () => {
      const auth = { authorization: `Bearer ${h.inboundToken}` };
      expect((await post(rawMail('x'), { ...auth, 'content-type': 'application/json' })).status).toBe(415);
      expect((await post(Buffer.alloc(0), auth)).status).toBe(400);
      const stranger = Buffer.from(rawMail('x').toString().replace(`To: ${SUPPORT}`, 'To: nobody@elsewhere.example'));
      const refused = await post(stranger, auth);
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ error: { code: 'unknown_recipient' } });
      const huge = await post(Buffer.concat([rawMail('x'), Buffer.alloc(300 * 1024, 'a')]), auth);
      expect(huge.status).toBe(413);
      expect(await huge.json()).toMatchObject({ error: { code: 'mail_too_large' } });
    });
  });

  it('takes mail from several senders at once, each stored once', async () => {
    const clients = Array.from({ length: 5 }, () => new SmtpClient(h.smtpPort));
    const texts = Array.from({ length: 20 }, (_, i) => unique(`burst ${i}`));
    await Promise.all(texts.map((text, i) => (clients[i % clients.length] as SmtpClient).send({ from: customer(), to: SUPPORT, subject: 'Burst', text })));
    for (const client of clients) client.close();
    for (const text of texts) expect(await messages().countBy({ body: text })).toBe(1);
    expect(await conversations().count()).toBeGreaterThan(0);
  });
});

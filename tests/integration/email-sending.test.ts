import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../src/core/errors';
import type { OutgoingMail } from '../../src/channels/email/mail';
import { SmtpMailer, type SmtpMailerOptions } from '../../src/channels/email/send/smtp-mailer';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';

const HUB = 'hub-test-1';
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

function reply(overrides: Partial<OutgoingMail> = {}): OutgoingMail {
  return {
    from: { address: 'support@acme.test', name: 'Grace at Acme' },
    to: { address: 'ada@example.test', name: 'Ada Lovelace' },
    replyTo: { address: 'support+tok123@acme.test' },
    messageId: `msg-${Math.random().toString(36).slice(2)}@acme.test`,
    inReplyTo: 'ada-2@example.test',
    references: ['ada-1@example.test', 'hub-1@acme.test', 'ada-2@example.test'],
    subject: 'Re: My order',
    text: 'Hello Ada,\nuse <script>alert("x")</script> & co.\n\nGrace',
    attachments: [{ filename: 'pixel.png', contentType: 'image/png', content: PNG }],
    ...overrides,
  };
}

const mailers: SmtpMailer[] = [];
const closers: Array<() => Promise<void>> = [];
function mailer(options: Partial<SmtpMailerOptions> & { smtpUrl: string }): SmtpMailer {
  const created = new SmtpMailer({ timeoutMs: 5000, hubId: HUB, ...options });
  mailers.push(created);
  return created;
}
async function sink(options?: Parameters<typeof startSmtpSink>[0]): Promise<SmtpSink> {
  const started = await startSmtpSink(options);
  closers.push(() => started.close());
  return started;
}
/** Accepts connections and never says a word: no greeting, no answer. */
async function silentServer(): Promise<string> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => sockets.add(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return `smtp://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  for (const created of mailers.splice(0)) created.close();
  for (const close of closers.splice(0).reverse()) await close();
});

describe('SmtpMailer over real SMTP', () => {
  it('delivers a reply with its display name, threading headers, both alternatives and the attachment', async () => {
    const smtp = await sink();
    const mail = reply();
    const sent = await mailer({ smtpUrl: smtp.url }).send(mail);
    expect(sent.messageId).toBe(mail.messageId);
    expect(sent.response).toMatch(/^250 /);

    const [received] = await smtp.waitFor(1);
    if (!received) throw new Error('no mail');
    expect(received.from).toBe('support@acme.test');
    expect(received.to).toEqual(['ada@example.test']);
    const { parsed } = received;
    const raw = received.raw.toString('latin1');
    // a phrase of plain words needs no quotes (RFC 5322 3.2.5); the next test has one that does
    expect(raw).toMatch(/^From: Grace at Acme <support@acme\.test>\r$/m);
    expect(parsed.from?.value).toEqual([{ address: 'support@acme.test', name: 'Grace at Acme' }]);
    expect(parsed.replyTo?.value).toEqual([{ address: 'support+tok123@acme.test', name: '' }]);
    expect(parsed.messageId).toBe(`<${mail.messageId}>`);
    expect(parsed.inReplyTo).toBe('<ada-2@example.test>');
    expect(parsed.references).toEqual(['<ada-1@example.test>', '<hub-1@acme.test>', '<ada-2@example.test>']);
    expect(parsed.subject).toBe('Re: My order');
    expect(parsed.headers.get('x-switchboard-hub')).toBe(HUB);
    expect(parsed.headers.has('auto-submitted')).toBe(false);
    expect(parsed.headers.get('content-type')).toMatchObject({ value: 'multipart/mixed' });
    expect(parsed.text).toBe('Hello Ada,\nuse <script>alert("x")</script> & co.\n\nGrace');
    expect(parsed.html).toContain('use &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co.');
    expect(parsed.html).not.toContain('<script>');
    expect(parsed.html).toContain('<p>Hello Ada,<br>');
    expect(parsed.attachments).toHaveLength(1);
    expect(parsed.attachments[0]?.filename).toBe('pixel.png');
    expect(parsed.attachments[0]?.contentType).toBe('image/png');
    expect(parsed.attachments[0]?.content.equals(PNG)).toBe(true);
  });

  it('quotes a display name that needs it, and the client reads it back whole', async () => {
    const smtp = await sink();
    const name = 'Grace "G." Hopper, Acme';
    await mailer({ smtpUrl: smtp.url }).send(reply({ from: { address: 'support@acme.test', name } }));
    const [received] = await smtp.waitFor(1);
    expect(received?.raw.toString('latin1')).toMatch(/^From: "Grace \\"G\.\\" Hopper, Acme" <support@acme\.test>\r$/m);
    expect(received?.parsed.from?.value).toEqual([{ address: 'support@acme.test', name }]);
  });

  it('marks automatic mail: Auto-Submitted, X-Auto-Response-Suppress, List-Unsubscribe and its one-click POST', async () => {
    const smtp = await sink();
    await mailer({ smtpUrl: smtp.url }).send(reply({ automatic: { unsubscribeUrl: 'https://hub.test/email/unsubscribe/abc' } }));
    const [received] = await smtp.waitFor(1);
    const headers = received?.parsed.headers;
    expect(headers?.get('auto-submitted')).toBe('auto-replied');
    expect(headers?.get('x-auto-response-suppress')).toBe('All');
    // mailparser folds every List-* header into one `list` object: read the header lines themselves
    const lines = new Map(received?.parsed.headerLines.map((header) => [header.key, header.line]));
    expect(lines.get('list-unsubscribe')).toBe('List-Unsubscribe: <https://hub.test/email/unsubscribe/abc>');
    expect(lines.get('list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(headers?.has('precedence')).toBe(false);
  });

  it('retries a 451 answer and delivers on the next attempt', async () => {
    const smtp = await sink({ answers: ['451'] });
    const sender = mailer({ smtpUrl: smtp.url });
    const mail = reply();
    const first = sender.send(mail);
    await expect(first).rejects.toBeInstanceOf(RetryableDeliveryError);
    await expect(first).rejects.toThrow('451 4.3.0 Try again later');
    await expect(sender.send(mail)).resolves.toMatchObject({ messageId: mail.messageId });
    expect(smtp.mails).toHaveLength(1);
  });

  it('fails a 550 answer for good, with the server reply and smtp_550', async () => {
    const smtp = await sink({ answers: ['550'] });
    const error: unknown = await mailer({ smtpUrl: smtp.url }).send(reply()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect((error as PermanentDeliveryError).message).toContain('User unknown');
    expect((error as PermanentDeliveryError).message).toMatch(/^550 5\.1\.1 <ada@example\.test>/);
    expect((error as PermanentDeliveryError).code).toBe('smtp_550');
    expect(smtp.mails).toHaveLength(0);
  });

  it('retries a connection dropped in the middle of DATA, and does not resend it by itself', async () => {
    const smtp = await sink({ answers: ['drop'] });
    const sender = mailer({ smtpUrl: smtp.url });
    const error: unknown = await sender.send(reply()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as Error).message).toMatch(/connection/i);
    // nodemailer's pool would requeue it on a new connection; BullMQ owns retries instead
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(smtp.mails).toHaveLength(0);
    expect(smtp.refused).toBe(1);
    await expect(sender.send(reply())).resolves.toMatchObject({ response: expect.stringMatching(/^250 /) as unknown });
  });

  it('retries when the connection is refused', async () => {
    const smtp = await sink();
    const url = smtp.url;
    await smtp.close();
    const error: unknown = await mailer({ smtpUrl: url }).send(reply()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as Error).message).toMatch(/refused the connection.*ECONNREFUSED/);
  });

  it('retries quickly when the server never answers', async () => {
    const url = await silentServer();
    const started = Date.now();
    const error: unknown = await mailer({ smtpUrl: url, timeoutMs: 200 }).send(reply()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as Error).message).toMatch(/did not answer in time/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('ends the wait with a retryable error when the delivery deadline aborts it', async () => {
    const url = await silentServer();
    const started = Date.now();
    const error: unknown = await mailer({ smtpUrl: url, timeoutMs: 20_000 }).send(reply(), AbortSignal.timeout(150)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as Error).message).toMatch(/aborted/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('authenticates with the credentials of SMTP_URL, and retries when they are wrong', async () => {
    const smtp = await sink({ auth: { user: 'hub', pass: 's3cret' } });
    await expect(mailer({ smtpUrl: smtp.url }).send(reply())).resolves.toBeDefined();
    const wrong = smtp.url.replace('s3cret', 'wrong');
    const error: unknown = await mailer({ smtpUrl: wrong }).send(reply()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as Error).message).toMatch(/authentication failed/i);
    expect((error as Error).message).not.toContain('wrong');
  });
});

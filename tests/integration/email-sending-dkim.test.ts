import { generateKeyPairSync } from 'node:crypto';
import type { OutgoingMail } from '../../src/channels/email/mail';
import { SmtpMailer, type SmtpMailerOptions } from '../../src/channels/email/send/smtp-mailer';
import { verifyDkim } from '../support/dkim-verify';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';

const mail: OutgoingMail = {
  from: { address: 'support@acme.test', name: 'Grace at Acme' },
  to: { address: 'ada@example.test' },
  messageId: 'dkim-1@acme.test',
  subject: 'Re: Signed',
  text: 'Hello Ada,\n\nGrace',
};

let smtp: SmtpSink;
let mailer: SmtpMailer | undefined;
function sender(options: Partial<SmtpMailerOptions> = {}): SmtpMailer {
  mailer = new SmtpMailer({ smtpUrl: smtp.url, timeoutMs: 5000, hubId: 'hub-dkim', ...options });
  return mailer;
}

beforeEach(async () => {
  smtp = await startSmtpSink();
});
afterEach(async () => {
  mailer?.close();
  await smtp.close();
});

describe('SmtpMailer DKIM signing', () => {
  it('signs with DKIM when configured: d= and s= named, body hash and signature valid', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const dkim = { domainName: 'acme.test', keySelector: 'sb2024', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
    await sender({ dkim }).send(mail);
    const [received] = await smtp.waitFor(1);
    if (!received) throw new Error('no mail');
    expect(received.parsed.headers.has('dkim-signature')).toBe(true);
    const check = verifyDkim(received.raw, publicKey);
    expect(check.tags.get('d')).toBe('acme.test');
    expect(check.tags.get('s')).toBe('sb2024');
    expect(check.tags.get('h')).toMatch(/from/i);
    expect(check.tags.get('b')).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(check.bodyHashMatches).toBe(true);
    expect(check.signatureValid).toBe(true);

    const tampered = Buffer.from(received.raw.toString('latin1').replace('Grace\r\n', 'Mallory\r\n'), 'latin1');
    expect(verifyDkim(tampered, publicKey).bodyHashMatches).toBe(false);
    const retitled = Buffer.from(received.raw.toString('latin1').replace('Subject: Re: Signed', 'Subject: Re: Forged'), 'latin1');
    expect(verifyDkim(retitled, publicKey)).toMatchObject({ bodyHashMatches: true, signatureValid: false });
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    expect(verifyDkim(received.raw, other).signatureValid).toBe(false);
  });

  it('signs nothing without DKIM settings', async () => {
    await sender().send(mail);
    const [received] = await smtp.waitFor(1);
    expect(received?.parsed.headers.has('dkim-signature')).toBe(false);
  });
});

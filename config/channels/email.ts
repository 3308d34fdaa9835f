import { z } from 'zod';
import { channelSection, integer, setting, url } from '../setting';

const address = z.email({ error: 'expected an email address' }).transform((v) => v.toLowerCase());

/** `Acme Support <support@acme.example>` or a bare address. */
const mailbox = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const match = /^(?:"?([^"<]*?)"?\s*)?<([^<>\s]+)>$/.exec(value);
    const parsed = address.safeParse(match ? match[2] : value);
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', message: 'expected an address, optionally with a name: Acme Support <support@acme.example>' });
      return z.NEVER;
    }
    const name = match?.[1]?.trim();
    return { address: parsed.data, ...(name ? { name } : {}) };
  });

/** Support addresses, each an inbox: `support@acme.example=Support,billing@acme.example=Billing`. */
const inboxes = z
  .string()
  .transform((v) => v.split(',').map((entry) => entry.trim()).filter(Boolean))
  .pipe(
    z.array(
      z.string().transform((entry, ctx) => {
        const [raw = '', teamName] = entry.split(/=(.*)/s, 2);
        const parsed = address.safeParse(raw.trim());
        if (!parsed.success || parsed.data.includes('+')) {
          ctx.addIssue({ code: 'custom', message: 'expected addresses without +tags, each optionally =Team name' });
          return z.NEVER;
        }
        return { address: parsed.data, teamName: teamName?.trim() || undefined };
      }),
    ),
  );

const pemOrPath = z.string().trim().min(1);

/**
 * Email: on with an SMTP server to send through and the address mail comes from. Inbound mail comes
 * over the built-in SMTP listener (INBOUND_SMTP_PORT) or a provider's inbound-parse hook.
 */
export const emailSection = channelSection({
  channel: 'email',
  turnsOn: ['smtpUrl', 'mailFrom'],
  requiredWith: {
    emailAddresses: ['smtpUrl'],
    inboundSmtpPort: ['smtpUrl'],
    emailInboundToken: ['smtpUrl'],
    inboundSmtpTlsCert: ['inboundSmtpTlsKey', 'inboundSmtpPort'],
    inboundSmtpTlsKey: ['inboundSmtpTlsCert'],
    inboundSmtpAuth: ['inboundSmtpPort'],
    dkimDomain: ['dkimSelector', 'dkimPrivateKey'],
    dkimSelector: ['dkimDomain'],
    dkimPrivateKey: ['dkimDomain'],
  },
  settings: {
    smtpUrl: setting({
      env: 'SMTP_URL',
      description: 'SMTP server the hub sends mail through (smtp://user:pass@host:587, smtps://... for TLS from the start). With MAIL_FROM it turns the email channel on.',
      schema: url(['smtp', 'smtps']).optional(),
      secret: true,
    }),
    mailFrom: setting({
      env: 'MAIL_FROM',
      description: 'The sender of mail that has no inbox of its own (transcripts, follow-ups), e.g. `Acme Support <support@acme.example>`; its name is the brand in "Grace at Acme Support".',
      schema: mailbox.optional(),
      show: (from) => (from?.name ? `${from.name} <${from.address}>` : (from?.address ?? '')),
    }),
    emailDomain: setting({
      env: 'EMAIL_DOMAIN',
      description: "Domain of the Message-IDs the hub gives its mail (<id@EMAIL_DOMAIN>), by which replies find their conversation. Unset: MAIL_FROM's domain.",
      schema: z.string().regex(/^(?=.{1,253}$)([a-z0-9-]{1,63}\.)*[a-z0-9-]{1,63}$/i, 'expected a domain name').transform((v) => v.toLowerCase()).optional(),
    }),
    emailAddresses: setting({
      env: 'EMAIL_ADDRESSES',
      description: 'Comma-separated support addresses mail is accepted for, each an inbox optionally =Team name (support@acme.example=Support,billing@acme.example). Plus-addresses (support+TOKEN@) belong to their inbox. Also managed with /api/v1/email-addresses.',
      schema: inboxes.optional(),
      show: (list) => (list ?? []).map(({ address: a, teamName }) => (teamName ? `${a}=${teamName}` : a)).join(','),
    }),
    inboundSmtpPort: setting({
      env: 'INBOUND_SMTP_PORT',
      description: 'Port of the built-in SMTP server that receives mail for the support addresses (point the MX at it, often behind port 25). Unset: no SMTP server.',
      schema: integer(0, 65535).optional(),
    }),
    inboundSmtpHost: setting({
      env: 'INBOUND_SMTP_HOST',
      description: 'Interface the built-in SMTP server listens on; 0.0.0.0 to take mail from other machines.',
      schema: z.string().min(1),
      default: '127.0.0.1',
    }),
    inboundSmtpTlsCert: setting({
      env: 'INBOUND_SMTP_TLS_CERT',
      description: 'Path of the PEM certificate (chain) the SMTP server offers with STARTTLS. Unset: no STARTTLS.',
      schema: pemOrPath.optional(),
    }),
    inboundSmtpTlsKey: setting({
      env: 'INBOUND_SMTP_TLS_KEY',
      description: 'Path of the PEM private key of INBOUND_SMTP_TLS_CERT.',
      schema: pemOrPath.optional(),
      secret: true,
    }),
    inboundSmtpAuth: setting({
      env: 'INBOUND_SMTP_AUTH',
      description: 'user:password a relaying provider must log in with (AUTH PLAIN or LOGIN, only over STARTTLS when it is on). Set: mail from anyone who does not log in is refused.',
      schema: z.string().regex(/^[^:]+:.{8,}$/, 'expected user:password, the password at least 8 characters').transform((v) => {
        const [user = '', ...rest] = v.split(':');
        return { user, password: rest.join(':') };
      }).optional(),
      secret: true,
      show: (auth) => (auth ? `${auth.user}:${auth.password}` : ''),
    }),
    emailInboundToken: setting({
      env: 'EMAIL_INBOUND_TOKEN',
      description: 'Bearer token a provider must send to POST /webhooks/email/inbound (raw MIME). Unset: that webhook is off.',
      schema: z.string().min(16, 'expected at least 16 characters').optional(),
      secret: true,
    }),
    emailMaxBytes: setting({
      env: 'EMAIL_MAX_BYTES',
      description: 'Largest mail accepted, in bytes, attachments included (larger ones are refused with 552 or 413).',
      schema: integer(1024, 150 * 1024 * 1024),
      default: '26214400',
    }),
    emailThreadWindowHours: setting({
      env: 'EMAIL_THREAD_WINDOW_HOURS',
      description: "A mail that names no thread joins the sender's open conversation on the same inbox with the same subject when that was active within this many hours.",
      schema: integer(0, 24 * 365),
      default: '168',
    }),
    dkimDomain: setting({
      env: 'DKIM_DOMAIN',
      description: 'Domain (d=) the hub signs its mail for with DKIM. Unset: mail goes unsigned (the SMTP provider may sign it).',
      schema: z.string().regex(/^([a-z0-9-]{1,63}\.)+[a-z]{2,63}$/i, 'expected a domain name').optional(),
    }),
    dkimSelector: setting({
      env: 'DKIM_SELECTOR',
      description: 'DKIM selector (s=): the key is published at SELECTOR._domainkey.DKIM_DOMAIN.',
      schema: z.string().regex(/^[a-z0-9._-]{1,63}$/i, 'expected a selector like mail2026').optional(),
    }),
    dkimPrivateKey: setting({
      env: 'DKIM_PRIVATE_KEY',
      description: 'The DKIM private key in PEM, or the path of a file holding it.',
      schema: pemOrPath.optional(),
      secret: true,
    }),
  },
});

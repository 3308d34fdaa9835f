import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { repo } from '../../src/core/model/schemas';
import { SmtpClient } from '../support/email';
import { startEmailHub, SUPPORT, type EmailHub } from '../support/email-hub';

/**
 * The built-in SMTP server as a relay target: STARTTLS with the configured certificate, and AUTH that a
 * relaying provider must pass before it may send. (The listener is the same on both engines; SQLite.)
 */

const TLS = join(__dirname, '..', 'fixtures', 'tls');
const USER = 'relay';
const PASSWORD = 'a-long-relay-password';

describe('the SMTP server with STARTTLS and AUTH', () => {
  let h: EmailHub;
  beforeAll(async () => {
    h = await startEmailHub('sqlite', {
      INBOUND_SMTP_TLS_CERT: join(TLS, 'localhost.crt'),
      INBOUND_SMTP_TLS_KEY: join(TLS, 'localhost.key'),
      INBOUND_SMTP_AUTH: `${USER}:${PASSWORD}`,
    });
  });
  afterAll(() => h.stop());

  const text = () => `relayed ${randomBytes(4).toString('hex')}`;
  const stored = (body: string) => repo(h.t.hub.db.manager, 'Message').countBy({ body });

  it('takes mail from a relay that logs in over STARTTLS', async () => {
    const client = new SmtpClient(h.smtpPort, { requireTLS: true, auth: { user: USER, pass: PASSWORD } });
    const body = text();
    try {
      expect((await client.send({ from: 'ada@customer.example', to: SUPPORT, subject: 'Relayed', text: body })).response).toMatch(/^250/);
    } finally {
      client.close();
    }
    expect(await stored(body)).toBe(1);
  });

  it('refuses a wrong password with 535', async () => {
    const client = new SmtpClient(h.smtpPort, { requireTLS: true, auth: { user: USER, pass: 'not-the-password' } });
    const body = text();
    try {
      await expect(client.send({ from: 'ada@customer.example', to: SUPPORT, subject: 'Relayed', text: body })).rejects.toMatchObject({ responseCode: 535 });
    } finally {
      client.close();
    }
    expect(await stored(body)).toBe(0);
  });

  it('refuses mail from a client that does not log in', async () => {
    const client = new SmtpClient(h.smtpPort, { requireTLS: true });
    const body = text();
    try {
      await expect(client.send({ from: 'ada@customer.example', to: SUPPORT, subject: 'Unauthenticated', text: body })).rejects.toMatchObject({ responseCode: 530 });
    } finally {
      client.close();
    }
    expect(await stored(body)).toBe(0);
  });

  it('does not let a client log in before STARTTLS', async () => {
    // ignoreTLS: the client skips STARTTLS and tries to log in in the clear.
    const client = new SmtpClient(h.smtpPort, { auth: { user: USER, pass: PASSWORD } });
    try {
      await expect(client.send({ from: 'ada@customer.example', to: SUPPORT, subject: 'Clear', text: text() })).rejects.toMatchObject({ responseCode: 538 });
    } finally {
      client.close();
    }
  });
});

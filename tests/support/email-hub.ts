import { randomBytes } from 'node:crypto';
import { repo } from '../../src/core/model/schemas';
import type { Conversation, Message } from '../../src/core/model/types';
import { SmtpClient } from './email';
import type { Engine } from './env';
import { startTestHub, type TestHub } from './hub';
import { freePort, waitFor } from './processes';
import { startSmtpSink, type SmtpSink } from './smtp-sink';

export const SUPPORT = 'support@acme.test';
export const BILLING = 'billing@acme.test';
export const HUB_DOMAIN = 'mail.hub.test';

/** A hub with the email channel on: its SMTP server on a port of its own, its outgoing mail into a sink. */
export interface EmailHub {
  t: TestHub;
  sink: SmtpSink;
  smtpPort: number;
  inboundToken: string;
  customer: SmtpClient;
  /** The stored message with this body, once it is there. */
  storedMessage(body: string): Promise<Message>;
  conversation(id: string): Promise<Conversation>;
  stop(): Promise<void>;
}

export async function startEmailHub(engine: Engine, env: Record<string, string> = {}): Promise<EmailHub> {
  const sink = await startSmtpSink();
  const smtpPort = await freePort();
  const inboundToken = randomBytes(24).toString('hex');
  const t = await startTestHub(engine, {
    env: {
      SMTP_URL: sink.url,
      MAIL_FROM: `Acme Support <${SUPPORT}>`,
      EMAIL_DOMAIN: HUB_DOMAIN,
      EMAIL_ADDRESSES: `${SUPPORT},${BILLING}`,
      INBOUND_SMTP_PORT: String(smtpPort),
      EMAIL_INBOUND_TOKEN: inboundToken,
      DELIVERY_TIMEOUT_MS: '5000',
      ...env,
    },
  });
  const customer = new SmtpClient(smtpPort);
  const messages = () => repo(t.hub.db.manager, 'Message');
  return {
    t,
    sink,
    smtpPort,
    inboundToken,
    customer,
    storedMessage: (body) => waitFor(`"${body}" to be stored`, async () => (await messages().findOneBy({ body })) ?? undefined, 10_000),
    conversation: (id) => repo(t.hub.db.manager, 'Conversation').findOneByOrFail({ id }),
    async stop() {
      customer.close();
      await t.stop();
      await sink.close();
    },
  };
}

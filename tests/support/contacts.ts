import { randomUUID } from 'node:crypto';
import type { DomainEvent, StreamedEvent } from '../../src/core/events';
import type { IngestResult } from '../../src/core/ingest';
import { EMAIL_CHANNEL } from '../../src/channels/email/name';
import { freePort } from './processes';
import type { TestHub } from './hub';
import { TWILIO_TEST_ENV } from './twilio';

/** The SMS and email channels on (sending to closed ports), so that their identities count as verified addresses. */
export async function contactChannelsEnv(): Promise<Record<string, string>> {
  return {
    ...TWILIO_TEST_ENV,
    SMTP_URL: 'smtp://127.0.0.1:9',
    MAIL_FROM: 'Support <support@acme.test>',
    EMAIL_ADDRESSES: 'support@acme.test',
    INBOUND_SMTP_PORT: String(await freePort()),
  };
}

/** A customer's SMS, stored as the SMS channel stores it (the number is both the address and the phone). */
export function smsFrom(t: TestHub, phone: string, body = 'Hi by SMS'): Promise<IngestResult> {
  return t.hub.ingestor.ingest({ channel: 'sms', externalId: `SM${randomUUID().replace(/-/g, '')}`, sender: { address: phone, phone }, body });
}

/** A customer's email, stored as the email channel stores it; a new conversation unless `continues`. */
export function emailFrom(t: TestHub, email: string, body = 'Hi by email', continues = true): Promise<IngestResult> {
  return t.hub.ingestor.ingest({ channel: EMAIL_CHANNEL, externalId: `<${randomUUID()}@mail.test>`, sender: { address: email, email }, body, continuesLatest: continues, subject: body });
}

/** Every event the hub's bus carries from now on. */
export async function recordEvents(t: TestHub): Promise<{ events: DomainEvent[]; stop: () => Promise<void> }> {
  const events: StreamedEvent[] = [];
  const stop = await t.hub.bus.subscribe((event) => events.push(event));
  return { events, stop };
}

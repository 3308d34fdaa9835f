import pino from 'pino';
import { CLI } from '../core/actor';
import type { Database } from '../core/database';
import { Ingestor } from '../core/ingest';
import { Outbox, type JobPublisher } from '../core/outbox';
import { WIDGET_CHANNEL } from '../channels/widget/name';
import { ensureDemoWebsite, type DemoSite } from '../core/websites/demo';

const DEMO_MESSAGES = [
  { id: 'demo-1', sender: { address: 'email:ada@example.com', name: 'Ada Lovelace', email: 'ada@example.com' }, body: 'Hi! Can I change the delivery address of order 1042?' },
  { id: 'demo-2', sender: { address: 'email:grace@example.com', name: 'Grace Hopper', email: 'grace@example.com' }, body: 'Do you ship to Canada?' },
  { id: 'demo-3', sender: { address: 'phone:+14155550123', name: 'Alan Turing', phone: '+14155550123' }, body: 'My invoice shows the wrong VAT number.' },
  { id: 'demo-4', sender: { address: 'email:ada@example.com', name: 'Ada Lovelace', email: 'ada@example.com' }, body: 'It should go to 12 St James’s Square, London.' },
];

/** The CLI does not talk to Redis: rows stay in the outbox and the hub's relay publishes them when it runs. */
const publishLater: JobPublisher = { publish: () => Promise.reject(new Error('published by the hub relay')) };

/**
 * Demo conversations through the same ingest as real messages, and the demo website that the hub's
 * /demo page embeds; returns how many messages were new and whether the website was.
 */
export async function seedDemo(db: Database, site: DemoSite): Promise<{ messages: number; website: boolean }> {
  const logger = pino({ level: 'silent' });
  const ingestor = new Ingestor({ db, outbox: new Outbox(db, publishLater, logger), logger, reopenWindowMs: 0 });
  let messages = 0;
  for (const message of DEMO_MESSAGES) {
    const result = await ingestor.ingest({ channel: 'api', externalId: message.id, sender: message.sender, body: message.body });
    if (!result.duplicate) messages++;
  }
  const { created } = await ensureDemoWebsite(db, WIDGET_CHANNEL, site, CLI);
  return { messages, website: created };
}

import express, { Router, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Database } from '../../../core/database';
import { NotFoundError } from '../../../core/errors';
import type { Outbox } from '../../../core/outbox';
import type { InboundProvider } from './provider';
import { recordEvents } from './records';

export interface InboundRoutesOptions {
  db: Database;
  outbox: Outbox;
  /** The providers whose secret is set; any other answers 404. */
  providers: readonly InboundProvider[];
  maxBytes: number;
  logger: Logger;
}

export const INBOUND_PATH = '/webhooks/crm/:provider';

/**
 * `POST /webhooks/crm/:provider`: the signature is checked over the raw bytes (401 for forged, stale or
 * unsigned, with nothing read), then the body is read (400 when it is not JSON or not the provider's
 * shape), then its events and their job are committed, and only then is the request answered: 202 with
 * new events, 200 when every event was delivered before (a redelivery changes nothing). The events
 * themselves are applied in the workers.
 */
export function inboundRoutes(options: InboundRoutesOptions): Router {
  const providers = new Map(options.providers.map((provider) => [provider.name, provider]));
  const router = Router();
  const known: RequestHandler = (req, _res, next) => {
    if (!providers.has(String(req.params.provider))) throw new NotFoundError(`The CRM webhook ${String(req.params.provider)} (unknown, or its secret is not set)`);
    next();
  };
  router.post(INBOUND_PATH, known, express.raw({ type: () => true, limit: options.maxBytes }), async (req, res) => {
    const provider = providers.get(String(req.params.provider));
    if (!provider) throw new NotFoundError(`The CRM webhook ${String(req.params.provider)}`);
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    provider.verify(req, raw);
    const events = provider.read(req, raw);
    const recorded = await recordEvents(options.outbox, options.db, provider.name, events);
    options.logger.info({ provider: provider.name, events: events.length, ...recorded }, 'CRM webhook received');
    res.status(recorded.accepted + recorded.ignored > 0 ? 202 : 200).json({ received: events.length, ...recorded });
  });
  return router;
}

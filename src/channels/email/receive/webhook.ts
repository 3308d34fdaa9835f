import express, { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import { AppError, UnauthorizedError } from '../../../core/errors';
import { sameSecret } from '../../../core/secrets';
import { bearerTokenOf } from '../../../http/auth';
import type { MailReceiver } from './receiver';

export interface InboundMailWebhookOptions {
  receiver: MailReceiver;
  /** Unset: the webhook is off (404). */
  token: string | undefined;
  maxBytes: number;
}

const PATH = '/webhooks/email/inbound';

/** `Authorization: Bearer <EMAIL_INBOUND_TOKEN>`, compared in constant time. */
function bearer(token: string): RequestHandler {
  return (req, _res, next) => {
    const given = bearerTokenOf(req);
    if (given === undefined || !sameSecret(given, token)) {
      next(new UnauthorizedError('The inbound mail webhook needs Authorization: Bearer <EMAIL_INBOUND_TOKEN>.'));
      return;
    }
    next();
  };
}

const isMime = (type: string | undefined) => /^message\/rfc822\s*(;|$)/i.test(type ?? '');

/**
 * `POST /webhooks/email/inbound`: a provider's inbound-parse hook posts the raw MIME of each mail it
 * received. Answered once the mail is committed; a retried post of the same mail changes nothing.
 */
export function inboundMailWebhook(options: InboundMailWebhookOptions): Router {
  const router = Router();
  const { token, receiver, maxBytes } = options;
  if (token === undefined) return router;
  const tooLarge: ErrorRequestHandler = (error: unknown, _req, _res, next) => {
    const large = (error as { type?: unknown } | null)?.type === 'entity.too.large';
    next(large ? new AppError('too_large', 'mail_too_large', `The mail is larger than the limit of ${maxBytes} bytes (EMAIL_MAX_BYTES).`) : error);
  };
  const mimeOnly: RequestHandler = (req, _res, next) => {
    if (isMime(req.headers['content-type'])) return next();
    next(new AppError('unsupported_type', 'unsupported_media_type', 'The body must be the raw mail, with Content-Type: message/rfc822.'));
  };
  router.post(PATH, bearer(token), mimeOnly, express.raw({ type: () => true, limit: maxBytes }), async (req, res) => {
    const raw = req.body as unknown;
    if (!Buffer.isBuffer(raw) || raw.length === 0) {
      throw new AppError('validation', 'empty_mail', 'The body is empty: post the raw mail (message/rfc822).');
    }
    const received = await receiver.receive(raw);
    if (received.kind === 'stored') {
      res.locals.conversationId = received.conversationId;
      res.status(received.duplicate ? 200 : 201).json({ status: received.duplicate ? 'duplicate' : 'stored', conversationId: received.conversationId, messageId: received.messageId });
      return;
    }
    res.status(200).json({ status: received.kind, ...(received.kind === 'ignored' ? { reason: received.reason } : { action: received.action, messages: received.messages }) });
  });
  router.use(PATH, tooLarge);
  return router;
}

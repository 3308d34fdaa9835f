import { Router } from 'express';
import type { Logger } from 'pino';
import twilio from 'twilio';
import { ForbiddenError } from '../../core/errors';
import type { Inbound } from '../../core/inbound';
import { parseInput } from '../../http/validation';
import { incomingSmsSchema, keywordOf, mediaOf, twilioStatusSchema } from './inbound';
import { mediaJobOf } from './media-job';
import { SMS_CHANNEL } from './outbound';
import { statusChangeOf } from './receipts';
import { verifyTwilioSignature } from './signature';

export interface TwilioWebhookOptions {
  inbound: Inbound;
  accountSid: string;
  authToken: string;
  publicUrl: string;
  helpReply: string;
  logger: Logger;
}

/** An empty TwiML answer: the hub replies later, through the API, not inside Twilio's request. */
const EMPTY_TWIML = new twilio.twiml.MessagingResponse().toString();

/** Twilio's two webhooks: incoming messages and the delivery receipts of the hub's own messages. */
export function twilioWebhooks(options: TwilioWebhookOptions): Router {
  const { inbound, accountSid, logger } = options;
  const router = Router();
  const verified = verifyTwilioSignature(options.authToken, options.publicUrl);
  const ownAccount = (sid: string) => {
    if (sid !== accountSid) throw new ForbiddenError('The webhook is for another Twilio account.');
  };

  router.post('/webhooks/twilio/sms', ...verified, async (req, res) => {
    const form = req.body as Record<string, unknown>;
    const sms = parseInput(incomingSmsSchema, form, 'Twilio webhook');
    ownAccount(sms.AccountSid);
    const keyword = keywordOf(sms.Body);
    const media = mediaOf(form, sms.NumMedia);
    // The media are fetched in a job written with the message: Twilio gives up on a webhook after 15 s,
    // and a retried webhook is a duplicate, which writes neither a message nor a job.
    const result = await inbound.accept({
      kind: 'message',
      message: {
        channel: SMS_CHANNEL,
        externalId: sms.MessageSid,
        sender: { address: sms.From, phone: sms.From },
        body: sms.Body,
        metadata: { to: sms.To, ...(media.length > 0 ? { pendingMedia: media.length } : {}) },
        channelAddress: sms.To,
        ...(media.length > 0 ? { jobs: ({ messageId }) => [mediaJobOf(messageId, media)] } : {}),
        ...(keyword?.kind === 'consent' ? { consent: keyword.consent } : {}),
        ...(keyword?.kind === 'help' ? { autoReply: options.helpReply } : {}),
      },
    });
    res.locals.conversationId = result.conversationId;
    res.type('text/xml').send(EMPTY_TWIML);
  });

  router.post('/webhooks/twilio/status', ...verified, async (req, res) => {
    const status = parseInput(twilioStatusSchema, req.body, 'Twilio status callback');
    ownAccount(status.AccountSid);
    const change = statusChangeOf(status);
    // The hub's own id travels in the callback URL, so a receipt that beats the send's record still finds its message.
    const messageId = typeof req.query.messageId === 'string' ? req.query.messageId : undefined;
    if (change) {
      const { message: updated } = await inbound.accept({ kind: 'receipt', channel: SMS_CHANNEL, messageId, externalId: status.MessageSid, change });
      if (updated) res.locals.conversationId = updated.conversationId;
      logger.debug({ messageId, twilioStatus: status.MessageStatus, changed: Boolean(updated) }, 'Twilio receipt');
    }
    res.status(204).end();
  });
  return router;
}

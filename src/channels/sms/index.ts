import type { Logger } from 'pino';
import type { Database } from '../../core/database';
import type { UploadPolicy } from '../../core/files/uploads';
import type { Inbound } from '../../core/inbound';
import type { Outbox } from '../../core/outbox';
import type { FileStorage } from '../../core/ports/file-storage';
import type { ChannelModule } from '../channel';
import { MediaFetcher } from './media';
import { smsJobs } from './media-job';
import { smsNumberRoutes } from './numbers-routes';
import { SMS_CHANNEL, TwilioSmsAdapter } from './outbound';
import { createTwilioClient } from './twilio-client';
import { twilioWebhooks } from './webhooks';

export { SMS_CHANNEL } from './outbound';

export interface SmsChannelOptions {
  db: Database;
  inbound: Inbound;
  outbox: Outbox;
  storage: FileStorage;
  uploadPolicy: UploadPolicy;
  /** A short-lived link Twilio can fetch a stored attachment from. */
  fileUrl: (fileKey: string) => string;
  accountSid: string;
  authToken: string;
  apiUrl: string;
  publicUrl: string;
  /** Sends from this number when a conversation has no business number of its own. */
  defaultNumber?: string;
  helpReply: string;
  timeoutMs: number;
  logger: Logger;
}

/**
 * The SMS channel over Twilio: customers' texts come in on signed webhooks (their MMS media follow in
 * the channel's jobs), agents' replies go out through Twilio's Messages API, and Twilio's receipts move
 * each reply's status.
 */
export function smsChannel(options: SmsChannelOptions): ChannelModule {
  const { accountSid, authToken, apiUrl, publicUrl, logger } = options;
  const client = createTwilioClient({ accountSid, authToken, apiUrl, timeoutMs: options.timeoutMs });
  const media = new MediaFetcher({ storage: options.storage, policy: options.uploadPolicy, publicUrl, accountSid, authToken, apiUrl });
  return {
    name: SMS_CHANNEL,
    http: () => ({
      apiRoutes: smsNumberRoutes({ db: options.db }),
      webhookRoutes: twilioWebhooks({ inbound: options.inbound, accountSid, authToken, publicUrl, helpReply: options.helpReply, logger }),
    }),
    jobs: smsJobs({ db: options.db, outbox: options.outbox, media, logger }),
    adapter: new TwilioSmsAdapter({ client, publicUrl, defaultNumber: options.defaultNumber, fileUrl: options.fileUrl }),
  };
}

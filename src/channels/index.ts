import type { Logger } from 'pino';
import type { Config } from '../../config';
import { SYSTEM } from '../core/actor';
import type { Database } from '../core/database';
import type { FileLinks } from '../core/files/links';
import type { UploadPolicy } from '../core/files/uploads';
import { ensureInboxes } from '../core/inboxes/inboxes';
import type { Ingestor } from '../core/ingest';
import type { DeliveryReceipts } from '../core/messages/receipts';
import type { Outbox } from '../core/outbox';
import type { FileStorage } from '../core/ports/file-storage';
import type { RateLimits } from '../core/ports/rate-limits';
import type { Signals } from '../core/ports/signals';
import { hubSecret } from '../core/secrets';
import type { IntegrationHealth } from '../infra/redis/integration-health';
import type { LiveFeed } from '../core/ports/live-feed';
import { apiChannel } from './api';
import type { ChannelModule } from './channel';
import { widgetChannel } from './widget';

export interface ChannelDeps {
  db: Database;
  ingestor: Ingestor;
  outbox: Outbox;
  receipts: DeliveryReceipts;
  storage: FileStorage;
  uploadPolicy: UploadPolicy;
  links: FileLinks;
  integrationHealth: IntegrationHealth;
  rateLimits: RateLimits;
  signals: Signals;
  /** The process's live events, where it serves HTTP (not in the worker role): channels with sockets follow them. */
  live?: LiveFeed;
  logger: Logger;
}

/**
 * The channels this configuration turns on: the API channel and the web chat widget always, SMS with
 * Twilio credentials, Slack with its token, secret and channel. A channel's SDK is loaded only when the
 * channel is on, so an unused vendor SDK costs nothing at start-up.
 */
export async function startChannels(config: Config, deps: ChannelDeps): Promise<ChannelModule[]> {
  const { db, ingestor, outbox, receipts, storage, uploadPolicy, links, logger } = deps;
  const channels: ChannelModule[] = [
    apiChannel({
      db,
      ingestor,
      receipts,
      messageMaxLength: config.messageMaxLength,
      defaultPhoneRegion: config.defaultPhoneRegion,
      webhook: config.apiChannelWebhookUrl && config.apiChannelWebhookSecret ? { url: config.apiChannelWebhookUrl, secret: config.apiChannelWebhookSecret } : undefined,
    }),
    widgetChannel({
      db,
      ingestor,
      outbox,
      receipts,
      storage,
      uploadPolicy,
      links,
      publicUrl: config.publicUrl,
      tokenSecret: await hubSecret(db, 'widget-tokens'),
      rateLimits: deps.rateLimits,
      signals: deps.signals,
      live: deps.live,
      messageMaxLength: config.messageMaxLength,
      bodyLimitBytes: config.httpBodyLimitBytes,
      demoPage: { enabled: config.demoPage, port: config.port },
      logger: logger.child({ channel: 'widget' }),
    }),
  ];
  if (config.twilioAccountSid && config.twilioAuthToken) {
    // The Twilio SDK alone costs a tenth of a second at start-up.
    const { SMS_CHANNEL, smsChannel } = await import('./sms');
    await ensureInboxes(db, SMS_CHANNEL, config.twilioNumbers, SYSTEM);
    channels.push(
      smsChannel({
        db,
        ingestor,
        outbox,
        receipts,
        storage,
        uploadPolicy,
        fileUrl: (fileKey) => links.signedUrl(fileKey),
        accountSid: config.twilioAccountSid,
        authToken: config.twilioAuthToken,
        apiUrl: config.twilioApiUrl,
        publicUrl: config.publicUrl,
        defaultNumber: config.twilioNumbers[0]?.address,
        helpReply: config.smsHelpReply,
        timeoutMs: config.deliveryTimeoutMs,
        logger: logger.child({ channel: SMS_CHANNEL }),
      }),
    );
  }
  if (config.slackBotToken && config.slackSigningSecret && config.slackDefaultChannel) {
    const { slackChannel } = await import('./slack');
    channels.push(
      slackChannel({
        db,
        outbox,
        storage,
        botToken: config.slackBotToken,
        signingSecret: config.slackSigningSecret,
        apiUrl: config.slackApiUrl,
        defaultChannel: config.slackDefaultChannel,
        autoCreateAgents: config.slackAutoCreateAgents,
        notePrefix: config.slackNotePrefix,
        command: config.slackCommand,
        health: (problem) => deps.integrationHealth.report('slack', problem),
        logger: logger.child({ channel: 'slack' }),
      }),
    );
  }
  return channels;
}

import { apiChannelSection } from '../../../config/channels/api';
import type { ChannelDefinition } from '../channel';
import { apiChannel } from '.';

/** The API channel: always on; replies go to API_CHANNEL_WEBHOOK_URL when it is set. */
export const apiChannelDefinition: ChannelDefinition = {
  section: apiChannelSection,
  create: ({ config, db, inbound }) =>
    Promise.resolve(
      apiChannel({
        db,
        inbound,
        messageMaxLength: config.messageMaxLength,
        defaultPhoneRegion: config.defaultPhoneRegion,
        webhook: config.apiChannelWebhookUrl && config.apiChannelWebhookSecret ? { url: config.apiChannelWebhookUrl, secret: config.apiChannelWebhookSecret } : undefined,
      }),
    ),
};

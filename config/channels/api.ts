import { z } from 'zod';
import { channelSection, url, setting } from '../setting';

/** The API channel: always on; its outgoing webhook needs a URL and a secret together. */
export const apiChannelSection = channelSection({
  channel: 'api',
  turnsOn: [],
  requiredWith: { apiChannelWebhookUrl: ['apiChannelWebhookSecret'] },
  settings: {
    apiChannelWebhookUrl: setting({
      env: 'API_CHANNEL_WEBHOOK_URL',
      description: 'Where agent replies to API-channel conversations are POSTed (signed per Standard Webhooks). Unset: replies are only on the event stream.',
      schema: url(['http', 'https']).optional(),
    }),
    apiChannelWebhookSecret: setting({
      env: 'API_CHANNEL_WEBHOOK_SECRET',
      description: 'Standard Webhooks signing secret (whsec_ followed by base64) for API-channel deliveries; required with API_CHANNEL_WEBHOOK_URL.',
      schema: z.string().regex(/^(whsec_)?[A-Za-z0-9+/]{16,}={0,2}$/, 'expected whsec_ followed by base64').optional(),
      secret: true,
    }),
  },
});

import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { EventSubscriber } from '../../core/ports/event-subscriber';
import { slackError } from './client';

/**
 * Tells admins in the Slack channel when the hub turned an outgoing webhook endpoint off (its receiver
 * answered 410, or failed for days), so a CRM that silently stopped syncing gets noticed. A crash right
 * after the post may post it again; nothing else repeats it.
 */
export function webhookAlerts(options: { client: WebClient; channel: string; logger: Logger }): EventSubscriber {
  return {
    name: 'slack-webhook-alerts',
    events: ['webhook.disabled'],
    async handle(event) {
      if (event.type !== 'webhook.disabled') return;
      const { webhook, reason } = event.data;
      const name = webhook.description ? `${webhook.description} (${webhook.url})` : webhook.url;
      const text = `:warning: Outgoing webhook ${name} was disabled: ${reason}. Fix the receiver, then enable it again with PATCH /api/v1/webhooks/${webhook.id}.`;
      try {
        await options.client.chat.postMessage({ channel: options.channel, text, unfurl_links: false, unfurl_media: false });
      } catch (error) {
        throw slackError(error);
      }
      options.logger.info({ endpointId: webhook.id }, 'webhook disabled: told the Slack channel');
    },
  };
}

import type { EventSubscriber } from '../../../core/ports/event-subscriber';
import type { RouteSpec } from '../../../http/route';
import type { ChannelContext } from '../../channel';
import type { CrmJobPart } from '../jobs';
import { webhookApiRoutes } from './api';
import { AttemptRunner } from './attempt';
import { ATTEMPT_JOB } from './delivery-rows';
import { restoreLineHeads } from './maintenance';
import { WebhookSender } from './sender';
import { deliverySubscriber } from './subscriber';

export interface OutgoingWebhooks {
  /** On the CRM queue, which it shares with the inbound side. */
  jobs: CrmJobPart;
  subscribers: readonly EventSubscriber[];
  apiRoutes: readonly RouteSpec[];
}

/**
 * Outgoing webhooks: every event an enabled endpoint wants becomes a delivery, sent signed per Standard
 * Webhooks, one at a time per endpoint and conversation, retried on the schedule, and the endpoint
 * disabled when its receiver is gone (410) or has failed for days.
 */
export function outgoingWebhooks(context: ChannelContext): Promise<OutgoingWebhooks> {
  const { config, db, outbox, metrics, logger } = context;
  const sender = new WebhookSender(config.webhookAllowPrivateUrls, config.webhookTimeoutMs);
  const runner = new AttemptRunner({ db, outbox, sender, schedule: config.webhookRetrySchedule, disableAfterMs: config.webhookDisableAfterDays * 86_400_000, metrics, logger });
  const maintenance = { db, outbox, logger };
  const settings = { allowPrivateUrls: config.webhookAllowPrivateUrls, secretOverlapHours: config.webhookSecretOverlapHours };
  return Promise.resolve({
    jobs: {
      names: [ATTEMPT_JOB],
      process: (_name, data) => runner.run(data),
      async reconcile() {
        const restored = await restoreLineHeads(maintenance);
        if (restored > 0) logger.info({ restored }, 'pending webhook deliveries put back on the queue');
      },
    },
    subscribers: [deliverySubscriber({ db, outbox })],
    apiRoutes: webhookApiRoutes({ db, outbox, settings }),
  });
}

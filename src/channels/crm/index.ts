import type { ChannelContext, ChannelModule } from '../channel';
import { crmInbound } from './inbound';
import { crmJobs } from './jobs';
import { CRM_CHANNEL } from './name';
import { outgoingWebhooks } from './outgoing';
import { retentionJobs } from './retention';

export { CRM_CHANNEL } from './name';

/**
 * The CRM channel: outgoing webhooks (endpoints managed under /api/v1/webhooks, each event delivered
 * signed per Standard Webhooks, in order per conversation, retried for hours) and the CRMs' own
 * webhooks into the hub at /webhooks/crm/:provider; one retention job forgets the old of both.
 */
export async function crmChannel(context: ChannelContext): Promise<ChannelModule> {
  const outgoing = await outgoingWebhooks(context);
  const inbound = crmInbound(context);
  return {
    name: CRM_CHANNEL,
    jobs: crmJobs([outgoing.jobs, inbound.jobs, retentionJobs({ db: context.db, outbox: context.outbox, retentionDays: context.config.webhookLogRetentionDays, logger: context.logger })]),
    subscribers: outgoing.subscribers,
    http: () => ({ apiRoutes: outgoing.apiRoutes, webhookRoutes: inbound.routes }),
  };
}

import { PermanentDeliveryError } from '../../core/errors';
import type { ChannelJobs } from '../../core/ports/channel-jobs';
import type { ChannelContext, ChannelModule } from '../channel';
import { crmInboundRoutes } from './inbound';
import { CRM_CHANNEL, CRM_QUEUE } from './name';
import { outgoingWebhooks, type OutgoingJobs } from './outgoing';

export { CRM_CHANNEL } from './name';

/** The channel's one queue: each part's jobs by name. */
function crmJobs(parts: readonly OutgoingJobs[]): ChannelJobs {
  const byName = new Map(parts.flatMap((part) => part.names.map((name): [string, OutgoingJobs] => [name, part])));
  return {
    queue: CRM_QUEUE,
    process(name, data, attempt) {
      const part = byName.get(name);
      if (!part) return Promise.reject(new PermanentDeliveryError(`no CRM job is called ${name}`));
      return part.process(name, data, attempt);
    },
    async reconcile() {
      for (const part of parts) await part.reconcile();
    },
  };
}

/**
 * The CRM channel: outgoing webhooks (endpoints managed under /api/v1/webhooks, each event delivered
 * signed per Standard Webhooks, in order per conversation, retried for hours) and the CRMs' own
 * webhooks into the hub at /webhooks/crm/:provider.
 */
export async function crmChannel(context: ChannelContext): Promise<ChannelModule> {
  const outgoing = await outgoingWebhooks(context);
  return {
    name: CRM_CHANNEL,
    jobs: crmJobs([outgoing.jobs]),
    subscribers: outgoing.subscribers,
    http: () => ({ apiRoutes: outgoing.apiRoutes, webhookRoutes: crmInboundRoutes(context) }),
  };
}

import type { ChannelJobs } from '../../../core/ports/channel-jobs';
import type { EventSubscriber } from '../../../core/ports/event-subscriber';
import type { RouteSpec } from '../../../http/route';
import type { ChannelContext } from '../../channel';
import { webhookApiRoutes } from './api';

export interface OutgoingWebhooks {
  jobs?: ChannelJobs;
  subscribers: readonly EventSubscriber[];
  apiRoutes: readonly RouteSpec[];
}

// Placeholder until the delivery engine lands: no subscribers, no jobs; the API to manage endpoints.
export function outgoingWebhooks(context: ChannelContext): Promise<OutgoingWebhooks> {
  const { db, outbox, config } = context;
  const settings = { allowPrivateUrls: config.webhookAllowPrivateUrls, secretOverlapHours: config.webhookSecretOverlapHours };
  return Promise.resolve({ subscribers: [], apiRoutes: webhookApiRoutes({ db, outbox, settings }) });
}

import type { ChannelJobs } from '../../../core/ports/channel-jobs';
import type { EventSubscriber } from '../../../core/ports/event-subscriber';
import type { RouteSpec } from '../../../http/route';
import type { ChannelContext } from '../../channel';

export interface OutgoingWebhooks {
  jobs?: ChannelJobs;
  subscribers: readonly EventSubscriber[];
  apiRoutes: readonly RouteSpec[];
}

// Placeholder until the outgoing side lands: no endpoints, no routes.
export function outgoingWebhooks(_context: ChannelContext): Promise<OutgoingWebhooks> {
  return Promise.resolve({ subscribers: [], apiRoutes: [] });
}

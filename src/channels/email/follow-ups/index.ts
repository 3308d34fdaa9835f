import type { Router } from 'express';
import type { JobAttempt } from '../../../core/ports/channel-jobs';
import type { EventSubscriber } from '../../../core/ports/event-subscriber';
import type { RouteSpec } from '../../../http/route';
import { followUpApiRoutes } from './api-routes';
import { unsubscribeUrl, type FollowUpContext, type FollowUpPartsDeps } from './deps';
import { FOLLOW_UP_JOB_NAMES, reconcile, sendFollowUp } from './jobs';
import { followUpRoutes } from './routes';
import { followUpSubscriber } from './subscribers';
import { LinkTokens } from './tokens';

export type { FollowUpPartsDeps } from './deps';

/** The follow-up part's jobs, to be run from the email channel's queue (`handles` says which names are its). */
export interface FollowUpJobs {
  handles(name: string): boolean;
  process(name: string, data: unknown, attempt: JobAttempt): Promise<void>;
  /** Puts every scheduled follow-up's delayed job back on the queue (none twice); for ChannelJobs.reconcile. */
  reconcile(): Promise<void>;
}

export interface FollowUpParts {
  subscribers: EventSubscriber[];
  jobs: FollowUpJobs;
  /** Root-mounted: the pages of the rating and unsubscribe links. */
  webhookRoutes: Router;
  /** Under /api/v1: an agent asks for the transcript to be mailed. */
  apiRoutes: RouteSpec[];
  /** The one-click unsubscribe link of an address, for every automatic mail the channel sends. */
  unsubscribeUrl(address: string): string;
}

/**
 * What the email channel sends by itself around a resolution: the transcript (on resolve, where the team
 * or website wants it, and whenever the customer or an agent asks) and the follow-up with a one-click
 * rating some hours later, each at most once, with the pages its links open.
 */
export async function followUpParts(deps: FollowUpPartsDeps): Promise<FollowUpParts> {
  const context: FollowUpContext = { ...deps, tokens: new LinkTokens(await deps.secret('email-links')) };
  return {
    subscribers: [followUpSubscriber(context)],
    jobs: {
      handles: (name) => FOLLOW_UP_JOB_NAMES.includes(name),
      process: (_name, data, attempt) => sendFollowUp(context, data, attempt),
      async reconcile() {
        const restored = await reconcile(context);
        if (restored > 0) deps.logger.info({ restored }, 'scheduled follow-ups put back on the queue');
      },
    },
    webhookRoutes: followUpRoutes(context),
    apiRoutes: followUpApiRoutes(context),
    unsubscribeUrl: (address) => unsubscribeUrl(context, address),
  };
}

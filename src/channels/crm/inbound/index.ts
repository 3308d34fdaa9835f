import type { Router } from 'express';
import type { ChannelContext } from '../../channel';
import { genericProvider } from './generic';
import { hubSpotProvider } from './hubspot';
import type { CrmJobPart } from '../jobs';
import { inboundJobs } from './jobs';
import type { InboundProvider } from './provider';
import { inboundRoutes } from './routes';

export interface CrmInbound {
  routes: Router;
  jobs: CrmJobPart;
}

/**
 * The CRMs' own webhooks into the hub: the generic one (Standard Webhooks, CRM_WEBHOOK_SECRET) and
 * HubSpot's (HUBSPOT_CLIENT_SECRET), each on only once its secret is set.
 */
export function crmInbound(context: ChannelContext): CrmInbound {
  const { config, db, outbox, logger } = context;
  const providers: InboundProvider[] = [];
  if (config.crmWebhookSecret !== undefined) {
    providers.push(genericProvider({ secret: config.crmWebhookSecret, defaultPhoneRegion: config.defaultPhoneRegion, messageMaxLength: config.messageMaxLength }));
  }
  if (config.hubspotClientSecret !== undefined) {
    providers.push(hubSpotProvider({ clientSecret: config.hubspotClientSecret, publicUrl: config.publicUrl, defaultPhoneRegion: config.defaultPhoneRegion }));
  }
  return {
    routes: inboundRoutes({ db, outbox, providers, maxBytes: config.httpBodyLimitBytes, logger }),
    jobs: inboundJobs({ db, outbox, catalog: context.catalog, maxAttributeBytes: config.contactAttributesMaxBytes, logger }),
  };
}

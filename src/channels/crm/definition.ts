import { crmSection } from '../../../config/channels/crm';
import type { ChannelDefinition } from '../channel';

/** CRM sync: always on (outgoing webhooks are added through the API); inbound providers by their secrets. */
export const crmChannelDefinition: ChannelDefinition = {
  section: crmSection,
  async create(context) {
    const { crmChannel } = await import('.');
    return crmChannel(context);
  },
};

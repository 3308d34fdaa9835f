import { smsSection } from '../../../config/channels/sms';
import { SYSTEM } from '../../core/actor';
import { ensureInboxes } from '../../core/inboxes/inboxes';
import type { ChannelDefinition } from '../channel';

/** SMS over Twilio, on with its credentials. */
export const smsChannelDefinition: ChannelDefinition = {
  section: smsSection,
  async create(context) {
    const { config } = context;
    const accountSid = config.twilioAccountSid ?? '';
    const authToken = config.twilioAuthToken ?? '';
    // The Twilio SDK alone costs a tenth of a second at start-up: loaded only when the channel is on.
    const { SMS_CHANNEL, smsChannel } = await import('.');
    // The configured numbers win over changes made through the API: applied at every start.
    await ensureInboxes(context.db, SMS_CHANNEL, config.twilioNumbers, SYSTEM);
    return smsChannel({
      ...context,
      fileUrl: (fileKey) => context.links.signedUrl(fileKey),
      accountSid,
      authToken,
      apiUrl: config.twilioApiUrl,
      publicUrl: config.publicUrl,
      defaultNumber: config.twilioNumbers[0]?.address,
      helpReply: config.smsHelpReply,
      timeoutMs: config.deliveryTimeoutMs,
    });
  },
};

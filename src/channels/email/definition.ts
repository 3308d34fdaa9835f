import { emailSection } from '../../../config/channels/email';
import { SYSTEM } from '../../core/actor';
import { ensureInboxes } from '../../core/inboxes/inboxes';
import type { ChannelDefinition } from '../channel';

/** Email: on with an SMTP server to send through (SMTP_URL) and MAIL_FROM. */
export const emailChannelDefinition: ChannelDefinition = {
  section: emailSection,
  async create(context) {
    // nodemailer, smtp-server and mailparser are loaded only when the channel is on.
    const { EMAIL_CHANNEL, emailChannel } = await import('.');
    // The configured addresses win over changes made elsewhere: applied at every start.
    await ensureInboxes(context.db, EMAIL_CHANNEL, context.config.emailAddresses ?? [], SYSTEM);
    return emailChannel(context);
  },
};

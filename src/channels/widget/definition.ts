import { isChannelOn } from '../../../config';
import { emailSection } from '../../../config/channels/email';
import { widgetSection } from '../../../config/channels/widget';
import type { ChannelDefinition } from '../channel';
import { widgetChannel } from '.';

/** The web chat widget: always on. */
export const widgetChannelDefinition: ChannelDefinition = {
  section: widgetSection,
  create: async (context) =>
    widgetChannel({
      ...context,
      publicUrl: context.config.publicUrl,
      tokenSecret: await context.secret('widget-tokens'),
      messageMaxLength: context.config.messageMaxLength,
      bodyLimitBytes: context.config.httpBodyLimitBytes,
      demoPage: { enabled: context.config.demoPage, port: context.config.port },
      // The email channel's settings, not the channel: whether a transcript can be mailed is all the widget asks.
      transcriptByEmail: isChannelOn(context.config, emailSection),
    }),
};

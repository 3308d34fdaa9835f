import { slackSection } from '../../../config/channels/slack';
import type { ChannelDefinition } from '../channel';

/** Slack, where agents work: on with its token, signing secret and default channel. */
export const slackChannelDefinition: ChannelDefinition = {
  section: slackSection,
  async create(context) {
    const { config } = context;
    const { slackChannel } = await import('.');
    return slackChannel({
      ...context,
      botToken: config.slackBotToken ?? '',
      signingSecret: config.slackSigningSecret ?? '',
      apiUrl: config.slackApiUrl,
      defaultChannel: config.slackDefaultChannel ?? '',
      autoCreateAgents: config.slackAutoCreateAgents,
      notePrefix: config.slackNotePrefix,
      command: config.slackCommand,
      health: context.reportHealth,
    });
  },
};

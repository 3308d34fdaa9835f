import { z } from 'zod';
import { channelSection, boolean, url, setting } from '../setting';

/** Slack, where agents work: on with its token, signing secret and default channel. */
export const slackSection = channelSection({
  channel: 'slack',
  turnsOn: ['slackBotToken', 'slackSigningSecret', 'slackDefaultChannel'],
  settings: {
    slackBotToken: setting({
      env: 'SLACK_BOT_TOKEN',
      description: "The Slack app's bot token (xoxb-...). With SLACK_SIGNING_SECRET and SLACK_DEFAULT_CHANNEL it turns the Slack channel on.",
      schema: z.string().regex(/^xox[bp]-[A-Za-z0-9-]{10,}$/, 'expected a bot token like xoxb-...').optional(),
      secret: true,
    }),
    slackSigningSecret: setting({
      env: 'SLACK_SIGNING_SECRET',
      description: "The Slack app's signing secret: requests to /slack/events are checked with it.",
      schema: z.string().regex(/^[0-9a-fA-F]{16,64}$/, 'expected the hex signing secret').optional(),
      secret: true,
    }),
    slackDefaultChannel: setting({
      env: 'SLACK_DEFAULT_CHANNEL',
      description: "Slack channel id (C...) where conversations get their thread, unless their team has a channel of its own.",
      schema: z.string().regex(/^[CG][A-Z0-9]{6,20}$/, 'expected a channel id like C0123ABCD').optional(),
    }),
    slackApiUrl: setting({
      env: 'SLACK_API_URL',
      description: "Base URL of Slack's Web API; tests point it at a local emulator.",
      schema: url(['http', 'https']).transform((v) => (v.endsWith('/') ? v : `${v}/`)),
      default: 'https://slack.com/api/',
    }),
    slackAutoCreateAgents: setting({
      env: 'SLACK_AUTO_CREATE_AGENTS',
      description: "Make anyone who answers in a conversation's Slack thread an agent (name and email from their Slack profile) when no agent has their Slack user id or email. Off: they are told to ask an admin.",
      schema: boolean,
      default: 'false',
    }),
    slackNotePrefix: setting({
      env: 'SLACK_NOTE_PREFIX',
      description: "A message in a conversation's Slack thread that starts with this (any case) is a private note, not sent to the customer.",
      schema: z.string().trim().min(1).max(32),
      default: 'note:',
    }),
    slackCommand: setting({
      env: 'SLACK_COMMAND',
      description: "The slash command agents type in Slack (list, resolve, reopen, assign, snooze); create it with the same name in the Slack app.",
      schema: z.string().regex(/^\/[a-z0-9_-]{1,31}$/, 'expected a slash command like /switchboard'),
      default: '/switchboard',
    }),
  },
});

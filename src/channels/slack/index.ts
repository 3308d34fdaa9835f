import type { Logger } from 'pino';
import type { ChannelCatalog } from '../../core/channels/catalog';
import type { Database } from '../../core/database';
import type { Outbox } from '../../core/outbox';
import type { FileStorage } from '../../core/ports/file-storage';
import type { ChannelModule } from '../channel';
import { SlackAgentReplies } from './agent-replies';
import { SlackAgents } from './agents';
import { createSlackClient } from './client';
import { SlackDesk } from './desk';
import { slackEvents } from './events';
import { slackJobs } from './jobs';
import { SlackMirror, SLACK_TARGET } from './mirror';
import { webhookAlerts } from './webhook-alerts';

export interface SlackChannelOptions {
  db: Database;
  outbox: Outbox;
  catalog: ChannelCatalog;
  storage: FileStorage;
  botToken: string;
  signingSecret: string;
  apiUrl: string;
  defaultChannel: string;
  autoCreateAgents: boolean;
  notePrefix: string;
  /** The slash command agents type (`/switchboard`). */
  command: string;
  health: (problem: string | undefined) => Promise<boolean>;
  logger: Logger;
}

/**
 * Slack, where agents work: every conversation is mirrored into a thread of its team's channel, and
 * what agents write in that thread is their reply to the customer; the header's buttons and the slash
 * command claim, resolve, reopen, snooze and assign conversations (all through POST /slack/events,
 * acknowledged once queued and handled in the workers).
 */
export function slackChannel(options: SlackChannelOptions): ChannelModule {
  const client = createSlackClient(options.botToken, options.apiUrl, options.logger);
  const agents = new SlackAgents({ db: options.db, client, autoCreateAgents: options.autoCreateAgents });
  const replies = new SlackAgentReplies({ db: options.db, outbox: options.outbox, catalog: options.catalog, client, agents, notePrefix: options.notePrefix, logger: options.logger });
  const desk = new SlackDesk({ db: options.db, outbox: options.outbox, client, agents, command: options.command, logger: options.logger });
  return {
    name: SLACK_TARGET,
    mirror: new SlackMirror({ db: options.db, client, defaultChannel: options.defaultChannel, storage: options.storage, health: options.health, logger: options.logger }),
    http: () => ({ webhookRoutes: slackEvents({ signingSecret: options.signingSecret, botToken: options.botToken, outbox: options.outbox, command: options.command, logger: options.logger }) }),
    jobs: slackJobs({ replies, desk }),
    subscribers: [webhookAlerts({ client, channel: options.defaultChannel, logger: options.logger })],
  };
}

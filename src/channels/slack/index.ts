import type { Logger } from 'pino';
import type { Database } from '../../core/database';
import type { ChannelModule } from '../channel';
import { createSlackClient } from './client';
import { SlackMirror, SLACK_TARGET } from './mirror';

export interface SlackChannelOptions {
  db: Database;
  botToken: string;
  apiUrl: string;
  defaultChannel: string;
  health: (problem: string | undefined) => Promise<boolean>;
  logger: Logger;
}

/** Slack, where agents work: every conversation is mirrored into a thread of its team's channel. */
export function slackChannel(options: SlackChannelOptions): ChannelModule {
  const client = createSlackClient(options.botToken, options.apiUrl, options.logger);
  return {
    name: SLACK_TARGET,
    mirror: new SlackMirror({ db: options.db, client, defaultChannel: options.defaultChannel, health: options.health, logger: options.logger }),
  };
}

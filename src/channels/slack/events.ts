import { App, ExpressReceiver, type BlockAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import express, { type Router } from 'express';
import type { Logger } from 'pino';
import type { SlackAgentReplies, ThreadMessage } from './agent-replies';
import { slackLogger } from './client';
import type { SlackDesk } from './desk';

export interface SlackEventsOptions {
  signingSecret: string;
  botToken: string;
  apiUrl: string;
  client: WebClient;
  replies: SlackAgentReplies;
  desk: SlackDesk;
  /** The slash command this app answers (`/switchboard`). */
  command: string;
  logger: Logger;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The fields of a `message` event that answering from a thread reads; edits and the like keep theirs nested. */
export function threadMessage(event: Record<string, unknown>): ThreadMessage {
  return {
    channel: text(event.channel) ?? '',
    ts: text(event.ts) ?? '',
    threadTs: text(event.thread_ts),
    user: text(event.user),
    text: text(event.text) ?? '',
    subtype: text(event.subtype),
    botId: text(event.bot_id),
  };
}

/**
 * `POST /slack/events` through Bolt's ExpressReceiver, on the hub's own express app: Bolt checks the
 * signature and the timestamp (401 for a forged or stale request) and parses the raw body itself.
 *
 * processBeforeResponse is false: Bolt answers Slack's event with 200 before the listener runs. Slack
 * gives up after 3 s and redelivers, and the listener may call Slack (users.info, chat.postEphemeral),
 * which can be slow or rate limited; those calls must not decide whether Slack sees an answer. The cost
 * is that an event acknowledged just before a crash is not redelivered: the agent then sees no delivery
 * reaction on their message, and any failure the listener catches is logged and told to them in Slack.
 *
 * The bot's own ids come from one auth.test, made on the first event rather than at start-up, so a
 * Slack outage at start neither delays nor disables the hub; a failed auth.test is tried again on the
 * next event.
 */
export function slackEvents(options: SlackEventsOptions): Router {
  const logger = slackLogger(options.logger, 'slack-bolt');
  const receiver = new ExpressReceiver({ signingSecret: options.signingSecret, router: express.Router(), processBeforeResponse: false, logger });
  let identity: Promise<{ botId?: string; botUserId?: string }> | undefined;
  const authorize = async () => {
    identity ??= options.client.auth.test().then(
      (result) => ({ botId: result.bot_id, botUserId: result.user_id }),
      (error: unknown) => {
        identity = undefined;
        options.logger.error({ err: error }, 'Slack refused auth.test: check SLACK_BOT_TOKEN; events from Slack are not taken until it works');
        throw error;
      },
    );
    return { botToken: options.botToken, ...(await identity) };
  };
  const app = new App({
    receiver,
    authorize,
    logger,
    clientOptions: { slackApiUrl: options.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true },
  });
  app.event('message', async ({ event, context }) => {
    if (context.retryNum !== undefined) options.logger.debug({ retryNum: context.retryNum, retryReason: context.retryReason }, 'Slack redelivered an event');
    await options.replies.handle(threadMessage(event as unknown as Record<string, unknown>));
  });
  // The header's controls and the slash command are acknowledged at once (Slack wants that within 3 s);
  // the work follows, and its outcome shows in the header or in an ephemeral answer.
  app.action<BlockAction>({ type: 'block_actions', action_id: /^sb_/ }, async ({ ack, body, action }) => {
    await ack();
    await options.desk.action({
      actionId: action.action_id,
      ...(action.type === 'button' && action.value !== undefined ? { value: action.value } : {}),
      ...(action.type === 'users_select' ? { selectedUser: action.selected_user } : {}),
      user: body.user.id,
      channel: body.channel?.id ?? (body.container.channel_id as string),
      messageTs: body.message?.ts ?? (body.container.message_ts as string),
    });
  });
  app.command(options.command, async ({ ack, command, respond }) => {
    await ack();
    const text = await options.desk.command(command.user_id, command.text);
    await respond({ response_type: 'ephemeral', text });
  });
  app.error((error) => {
    options.logger.error({ err: error }, 'Slack event, action or command failed');
    return Promise.resolve();
  });
  return receiver.router;
}

import { App, ExpressReceiver, type BlockAction } from '@slack/bolt';
import express, { type Router } from 'express';
import type { Logger } from 'pino';
import type { Outbox } from '../../core/outbox';
import { isThreadReply, type ThreadMessage } from './agent-replies';
import { slackLogger } from './client';
import type { DeskAction } from './desk';
import { commandJob, SLACK_QUEUE, type SlackCommandJob, type SlackJobName } from './jobs';

export interface SlackEventsOptions {
  signingSecret: string;
  botToken: string;
  outbox: Outbox;
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
 * processBeforeResponse is true, and a listener only reduces what Slack sent and queues it: one outbox
 * row (queue `slack`), a database insert well inside Slack's 3 s. Slack sees its 200 only once the row is
 * committed, so nothing acknowledged is lost when the process stops; if the insert fails, the answer is a
 * 500 and Slack redelivers. The work itself (users.info, the reply, the desk change, chat.postEphemeral,
 * the command's answer at its response_url) runs in the workers (see jobs.ts), where Slack's rate limits
 * and outages are retried. Redeliveries are queued again and taken once (replies are idempotent by ts).
 *
 * No Web API call happens here at all: authorize only hands Bolt the token, and instead of Bolt's
 * ignoreSelf (which needs auth.test) the worker ignores every bot's messages.
 */
export function slackEvents(options: SlackEventsOptions): Router {
  const logger = slackLogger(options.logger, 'slack-bolt');
  const receiver = new ExpressReceiver({ signingSecret: options.signingSecret, router: express.Router(), processBeforeResponse: true, logger });
  const app = new App({ receiver, authorize: () => Promise.resolve({ botToken: options.botToken }), ignoreSelf: false, logger });
  const enqueue = (name: SlackJobName, payload: unknown) => options.outbox.enqueue(SLACK_QUEUE, name, payload);

  app.event('message', async ({ event, context }) => {
    if (context.retryNum !== undefined) options.logger.debug({ retryNum: context.retryNum, retryReason: context.retryReason }, 'Slack redelivered an event');
    const message = threadMessage(event as unknown as Record<string, unknown>);
    // Bots (the hub's own posts included), edits, joins and messages outside threads are not queued.
    if (isThreadReply(message)) await enqueue('message', message);
  });
  // The header's controls: the change shows in the header, a refusal in an ephemeral message.
  app.action<BlockAction>({ type: 'block_actions', action_id: /^sb_/ }, async ({ ack, body, action }) => {
    const job: DeskAction = {
      actionId: action.action_id,
      ...(action.type === 'button' && action.value !== undefined ? { value: action.value } : {}),
      ...(action.type === 'users_select' ? { selectedUser: action.selected_user } : {}),
      user: body.user.id,
      channel: body.channel?.id ?? (body.container.channel_id as string),
      messageTs: body.message?.ts ?? (body.container.message_ts as string),
    };
    await enqueue('action', job);
    await ack();
  });
  // The answer follows at the command's response_url.
  app.command(options.command, async ({ ack, command }) => {
    const job = commandJob.safeParse({ user: command.user_id, text: command.text, responseUrl: command.response_url } satisfies SlackCommandJob);
    if (!job.success) {
      // The response_url itself is not logged: whoever holds it can post to that person.
      options.logger.warn({ slackUser: command.user_id }, 'a Slack command without a usable response_url');
      await ack({ response_type: 'ephemeral', text: ':warning: Switchboard could not take this command.' });
      return;
    }
    await enqueue('command', job.data);
    await ack();
  });
  // Not acknowledged (a 500): Slack sends it again.
  app.error((error) => {
    options.logger.error({ err: error }, 'could not queue a Slack event, action or command; Slack will send it again');
    return Promise.reject(error);
  });
  return receiver.router;
}

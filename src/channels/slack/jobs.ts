import { z } from 'zod';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../core/errors';
import type { ChannelJobs } from '../../core/ports/channel-jobs';
import { httpFailure } from '../retry-after';
import { threadMessageSchema, type SlackAgentReplies } from './agent-replies';
import { deskActionSchema, type SlackDesk } from './desk';

/** Slack's events, clicks and slash commands, acknowledged once queued here and handled in the workers. */
export const SLACK_QUEUE = 'slack';

const RESPOND_TIMEOUT_MS = 10_000;

/** A response_url as Slack sends it (https://hooks.slack.com/…); any http(s) URL, so tests can stand in. */
const responseUrl = z.url({ protocol: /^https?$/ });

/** `answer` is kept once worked out, so a retry after a failed POST repeats the answer, not the command. */
export const commandJob = z.object({ user: z.string(), text: z.string(), responseUrl, answer: z.string().optional() });

export type SlackJobName = 'message' | 'action' | 'command';
export type SlackCommandJob = z.infer<typeof commandJob>;

/** POSTs a slash command's answer to its response_url, as Bolt's respond() did. */
async function respond(url: string, text: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', text }),
      signal: AbortSignal.timeout(RESPOND_TIMEOUT_MS),
    });
  } catch (error) {
    throw new RetryableDeliveryError(`Slack's response_url could not be reached: ${error instanceof Error ? error.message : String(error)}`);
  }
  await response.body?.cancel();
  // Another 4xx means expired (after 30 minutes or 5 uses) or unknown: no retry can answer there any more.
  if (!response.ok) throw httpFailure(response.status, response.headers.get('retry-after'), `Slack's response_url answered ${String(response.status)}`);
}

/**
 * The worker side of POST /slack/events: what the listeners queued runs here, through the same
 * handlers as before, so no Slack call happens inside the acknowledgement and nothing acknowledged is
 * lost when the process stops. A payload that does not parse is dropped (permanent), never retried.
 */
export function slackJobs(options: { replies: SlackAgentReplies; desk: SlackDesk }): ChannelJobs {
  return {
    queue: SLACK_QUEUE,
    async process(name, data, { lastAttempt, keep }) {
      switch (name as SlackJobName) {
        case 'message':
          return options.replies.handle(parse(threadMessageSchema, data, name), lastAttempt);
        case 'action':
          return options.desk.action(parse(deskActionSchema, data, name), lastAttempt);
        case 'command': {
          const command = parse(commandJob, data, name);
          let answer = command.answer;
          if (answer === undefined) {
            answer = await options.desk.command(command.user, command.text, lastAttempt);
            await keep({ ...command, answer } satisfies SlackCommandJob);
          }
          await respond(command.responseUrl, answer);
          return;
        }
        default:
          throw new PermanentDeliveryError(`unknown Slack job ${name}`);
      }
    },
  };
}

function parse<T>(schema: z.ZodType<T>, data: unknown, name: string): T {
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new PermanentDeliveryError(`malformed Slack ${name} job: ${parsed.error.message}`);
  return parsed.data;
}

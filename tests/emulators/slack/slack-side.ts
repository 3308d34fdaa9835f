import { createHmac, randomUUID } from 'node:crypto';
import { isRecord } from '../http';
import { newId, newTriggerId, type TsClock } from './ids';
import type { ActionParams, CommandParams, PostedMessage, SignOptions, SlackResponse, SlackUser, UserMessageParams } from './types';
import { APP_ID, channelName, TEAM_DOMAIN } from './web-api';

/** Slack gives up on a request after 3 s and retries; the emulator waits longer so slow CI is not flaky. */
const DELIVERY_TIMEOUT_MS = 15_000;
export const EVENTS_PATH = '/slack/events';

/** What posting as Slack needs from the emulator. */
export interface SlackSide {
  readonly signingSecret: string;
  readonly teamId: string;
  readonly botUserId: string;
  readonly users: ReadonlyMap<string, SlackUser>;
  readonly messages: readonly PostedMessage[];
  readonly userMessages: PostedMessage[];
  readonly clock: TsClock;
  issueResponseUrl(): string;
}

/** Slack's v0 signature: `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` with the signing secret. */
export function slackSignature(signingSecret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * POSTs `body` to the hub's events endpoint as Slack does. The content type is exact, without a
 * charset, because Bolt's receivers compare it with === 'application/x-www-form-urlencoded'.
 */
export async function postSigned(
  side: SlackSide,
  hubUrl: string,
  body: string,
  contentType: 'application/json' | 'application/x-www-form-urlencoded',
  options: SignOptions = {},
): Promise<SlackResponse> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': contentType,
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    accept: '*/*',
    'x-slack-request-timestamp': String(timestamp),
  };
  const signature = options.signature === undefined ? slackSignature(side.signingSecret, timestamp, body) : options.signature;
  if (signature !== null) headers['x-slack-signature'] = signature;
  if (options.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(options.retryNum);
    headers['x-slack-retry-reason'] = options.retryReason ?? 'http_timeout';
  } else if (options.retryReason !== undefined) {
    headers['x-slack-retry-reason'] = options.retryReason;
  }
  const response = await fetch(withoutTrailingSlash(hubUrl) + EVENTS_PATH, {
    method: 'POST',
    headers,
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
  });
  return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
}

/** The Events API envelope around `event`. */
export function eventEnvelope(side: SlackSide, event: Record<string, unknown>, eventId = newId('Ev')): Record<string, unknown> {
  return {
    token: 'deprecated',
    team_id: side.teamId,
    context_team_id: side.teamId,
    api_app_id: APP_ID,
    event,
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ enterprise_id: null, team_id: side.teamId, user_id: side.botUserId, is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
    event_context: `4-${Buffer.from(randomUUID()).toString('base64url')}`,
  };
}

/**
 * The `message` event of a person replying in a thread. The message is stored first, as Slack has
 * it before it tells anyone, so the hub can react to it while handling the event. A replay (same
 * channel and ts) is not stored twice.
 */
export function userMessageEvent(side: SlackSide, params: UserMessageParams): Record<string, unknown> {
  const ts = params.ts ?? side.clock.next();
  if (!side.userMessages.some((m) => m.channel === params.channel && m.ts === ts)) {
    side.userMessages.push({ channel: params.channel, ts, threadTs: params.threadTs, text: params.text, user: params.user, updates: [], reactions: [] });
  }
  return {
    type: 'message',
    channel: params.channel,
    user: params.user,
    text: params.text,
    ts,
    thread_ts: params.threadTs,
    team: side.teamId,
    client_msg_id: randomUUID(),
    channel_type: params.channel.startsWith('D') ? 'im' : 'channel',
    event_ts: ts,
  };
}

function userName(side: SlackSide, id: string): string {
  return side.users.get(id)?.name ?? id.toLowerCase();
}

/** The button (or select) with this action_id in the message's blocks, so its value and block_id can be sent as Slack would. */
function findElement(blocks: unknown[] | undefined, actionId: string): { blockId: string; element: Record<string, unknown> } | undefined {
  for (const [index, block] of (blocks ?? []).entries()) {
    if (!isRecord(block)) continue;
    const elements: unknown[] = [...(Array.isArray(block.elements) ? (block.elements as unknown[]) : []), block.accessory];
    const element = elements.find((candidate) => isRecord(candidate) && candidate.action_id === actionId);
    if (isRecord(element)) return { blockId: typeof block.block_id === 'string' ? block.block_id : `emu${index}`, element };
  }
  return undefined;
}

/**
 * A block_actions payload. When the emulator knows the message, its text and blocks are sent, and
 * the element's block_id and value come from the blocks unless given, as on Slack.
 */
export function actionPayload(side: SlackSide, params: ActionParams): Record<string, unknown> {
  const message =
    side.messages.find((m) => m.channel === params.channel && m.ts === params.messageTs) ??
    side.userMessages.find((m) => m.channel === params.channel && m.ts === params.messageTs);
  const threadTs = params.threadTs ?? message?.threadTs;
  const found = findElement(message?.blocks, params.actionId);
  const blockId = params.blockId ?? found?.blockId ?? newId('', 5);
  const foundValue = typeof found?.element.value === 'string' ? found.element.value : undefined;
  const value = params.value ?? foundValue;
  const action: Record<string, unknown> =
    params.selectedUser === undefined
      ? {
          action_id: params.actionId,
          block_id: blockId,
          text: found?.element.text ?? { type: 'plain_text', text: params.actionId, emoji: true },
          ...(value === undefined ? {} : { value }),
          type: 'button',
          action_ts: side.clock.next(),
        }
      : { type: 'users_select', action_id: params.actionId, block_id: blockId, selected_user: params.selectedUser, action_ts: side.clock.next() };
  return {
    type: 'block_actions',
    user: { id: params.user, username: userName(side, params.user), name: userName(side, params.user), team_id: side.teamId },
    api_app_id: APP_ID,
    token: 'deprecated',
    container: {
      type: 'message',
      message_ts: params.messageTs,
      channel_id: params.channel,
      is_ephemeral: false,
      ...(threadTs === undefined ? {} : { thread_ts: threadTs }),
    },
    trigger_id: params.triggerId ?? newTriggerId(),
    team: { id: side.teamId, domain: TEAM_DOMAIN },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: params.channel, name: channelName(params.channel) },
    message: {
      type: 'message',
      ts: params.messageTs,
      ...(threadTs === undefined ? {} : { thread_ts: threadTs }),
      text: message?.text ?? '',
      ...(message?.blocks === undefined ? {} : { blocks: message.blocks }),
      ...(message === undefined ? {} : { user: message.user }),
    },
    state: { values: {} },
    response_url: side.issueResponseUrl(),
    actions: [action],
  };
}

/** A slash command's form. Slack sends no thread_ts for commands, even typed in a thread, so neither does this. */
export function commandForm(side: SlackSide, params: CommandParams): Record<string, string> {
  return {
    token: 'deprecated',
    team_id: side.teamId,
    team_domain: TEAM_DOMAIN,
    channel_id: params.channel,
    channel_name: channelName(params.channel),
    user_id: params.user,
    user_name: userName(side, params.user),
    command: params.command,
    text: params.text,
    api_app_id: APP_ID,
    is_enterprise_install: 'false',
    response_url: side.issueResponseUrl(),
    trigger_id: newTriggerId(),
  };
}

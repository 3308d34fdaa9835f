import type { IncomingMessage } from 'node:http';
import { isRecord, json, mediaType, readBody, type Answer } from '../http';
import { TS_PATTERN, type TsClock } from './ids';
import type { FileUploads } from './files';
import type { ApiCall, Ephemeral, PostedMessage, SlackFailure, SlackUser } from './types';

/** What the Web API side reads and changes; the emulator owns it so tests can inspect and steer it. */
export interface ApiState {
  readonly botToken: string;
  readonly teamId: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly messages: PostedMessage[];
  readonly userMessages: PostedMessage[];
  readonly ephemerals: Ephemeral[];
  readonly calls: ApiCall[];
  readonly users: ReadonlyMap<string, SlackUser>;
  readonly clock: TsClock;
  readonly uploads: FileUploads;
  takeFailure(method: string): SlackFailure | undefined;
}

/** The app id in every payload; Bolt and hubs read it but nothing checks it against a real app. */
export const APP_ID = 'A0EMU';
export const TEAM_DOMAIN = 'switchboard-emulator';
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;
const USER_ID = /^[UW][A-Z0-9]{2,}$/;
/** Slack refuses longer `text` with msg_too_long, and more than 50 blocks with invalid_blocks. */
const MAX_TEXT_CHARS = 40_000;
const MAX_BLOCKS = 50;

/** Thrown by method handlers to answer `{ ok: false, error }`, which is how Slack reports nearly everything. */
class SlackApiError extends Error {
  constructor(readonly error: string) {
    super(error);
  }
}

function fail(error: string): never {
  throw new SlackApiError(error);
}

/**
 * The arguments of one call, wherever they came from: WebClient sends a urlencoded form whose nested
 * values (blocks, attachments) are JSON strings; a JSON body carries them as values.
 */
class Args {
  constructor(
    private readonly values: Record<string, unknown>,
    /** Slack only takes a `token` argument from forms and query strings; JSON bodies need the header. */
    readonly formToken: string | undefined,
  ) {}

  has(name: string): boolean {
    return this.values[name] !== undefined;
  }

  string(name: string): string | undefined {
    const value = this.values[name];
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return undefined;
  }

  /** A nested value: parsed when it arrived as a JSON string, `fail(invalid)` when it does not parse. */
  structured(name: string, invalid: string): unknown {
    const value = this.values[name];
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return fail(invalid);
    }
  }
}

async function readArgs(req: IncomingMessage, query: URLSearchParams): Promise<Args> {
  const values: Record<string, unknown> = Object.fromEntries(query);
  const body = await readBody(req);
  if (mediaType(req) === 'application/json') {
    let parsed: unknown;
    try {
      parsed = body ? JSON.parse(body) : {};
    } catch {
      return fail('invalid_json');
    }
    if (!isRecord(parsed)) return fail('invalid_json');
    return new Args({ ...values, ...parsed }, query.get('token') ?? undefined);
  }
  if (mediaType(req) === 'multipart/form-data') return fail('invalid_form_data');
  const form = Object.fromEntries(new URLSearchParams(body));
  return new Args({ ...values, ...form }, form.token ?? query.get('token') ?? undefined);
}

function checkToken(state: ApiState, req: IncomingMessage, args: Args): void {
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const token = bearer ?? args.formToken;
  if (!token) fail('not_authed');
  if (token !== state.botToken) fail('invalid_auth');
}

/** A channel id; a user id means the app's DM with that person, as chat.postMessage allows. */
function channelArg(args: Args, allowUser = true): string {
  const channel = args.string('channel') ?? '';
  if (CHANNEL_ID.test(channel)) return channel;
  if (allowUser && USER_ID.test(channel)) return `D${channel.slice(1)}`;
  return fail('channel_not_found');
}

function tsArg(args: Args, name: string, invalid: string): string | undefined {
  const ts = args.string(name);
  if (ts === undefined) return undefined;
  return TS_PATTERN.test(ts) ? ts : fail(invalid);
}

function blocksArg(args: Args): unknown[] | undefined {
  if (!args.has('blocks')) return undefined;
  const blocks = args.structured('blocks', 'invalid_blocks_format');
  if (!Array.isArray(blocks)) return fail('invalid_blocks_format');
  if (blocks.length > MAX_BLOCKS || !blocks.every(isRecord)) return fail('invalid_blocks');
  return blocks;
}

/** Slack needs something to show (text, blocks or attachments): an empty message is 'no_text'. */
function contentArgs(args: Args): { text: string | undefined; blocks: unknown[] | undefined } {
  const text = args.string('text');
  const blocks = blocksArg(args);
  if (!text && !blocks?.length && !args.has('attachments')) fail('no_text');
  if (text !== undefined && text.length > MAX_TEXT_CHARS) fail('msg_too_long');
  return { text, blocks };
}

function findMessage(list: readonly PostedMessage[], channel: string, ts: string | undefined): PostedMessage | undefined {
  return list.find((m) => m.channel === channel && m.ts === ts);
}

/** The message object Slack returns, so hubs that read `result.message` see the real field names. */
export function messageObject(state: ApiState, message: PostedMessage): Record<string, unknown> {
  const parent = message.threadTs === undefined ? undefined : findAnyMessage(state, message.channel, message.threadTs);
  const fromBot = message.user === state.botUserId;
  return {
    type: 'message',
    ...(fromBot && message.username !== undefined ? { subtype: 'bot_message', username: message.username } : {}),
    ...(message.iconEmoji === undefined ? {} : { icons: { emoji: message.iconEmoji } }),
    text: message.text,
    user: message.user,
    ts: message.ts,
    team: state.teamId,
    ...(fromBot ? { bot_id: state.botId, app_id: APP_ID } : {}),
    ...(message.blocks === undefined ? {} : { blocks: message.blocks }),
    ...(message.threadTs === undefined ? {} : { thread_ts: message.threadTs }),
    ...(parent ? { parent_user_id: parent.user } : {}),
  };
}

export function findAnyMessage(state: ApiState, channel: string, ts: string | undefined): PostedMessage | undefined {
  return findMessage(state.messages, channel, ts) ?? findMessage(state.userMessages, channel, ts);
}

/** The name Slack shows for a channel; DMs are all called 'directmessage' in slash commands. */
export function channelName(channel: string): string {
  return channel.startsWith('D') ? 'directmessage' : `emu-${channel.toLowerCase()}`;
}

type Handler = (state: ApiState, args: Args) => Record<string, unknown>;

const methods: Record<string, Handler> = {
  'auth.test': (state) => ({
    url: `https://${TEAM_DOMAIN}.slack.com/`,
    team: 'Switchboard Emulator',
    user: 'switchboard',
    team_id: state.teamId,
    user_id: state.botUserId,
    bot_id: state.botId,
    is_enterprise_install: false,
  }),

  'chat.postMessage': (state, args) => {
    const channel = channelArg(args);
    const threadTs = tsArg(args, 'thread_ts', 'invalid_thread_ts');
    const { text, blocks } = contentArgs(args);
    const username = args.string('username');
    const iconEmoji = args.string('icon_emoji');
    const message: PostedMessage = {
      channel,
      ts: state.clock.next(),
      ...(threadTs === undefined ? {} : { threadTs }),
      text: text ?? '',
      ...(blocks === undefined ? {} : { blocks }),
      ...(username === undefined ? {} : { username }),
      ...(iconEmoji === undefined ? {} : { iconEmoji }),
      user: state.botUserId,
      updates: [],
      reactions: [],
    };
    state.messages.push(message);
    return { channel, ts: message.ts, message: messageObject(state, message) };
  },

  /** Omitted text or blocks keep their old value and `blocks: []` removes them, as on Slack. */
  'chat.update': (state, args) => {
    const channel = channelArg(args, false);
    const ts = args.string('ts');
    const message = findMessage(state.messages, channel, ts);
    if (!message) return fail(findMessage(state.userMessages, channel, ts) ? 'cant_update_message' : 'message_not_found');
    const { text, blocks } = contentArgs(args);
    if (text !== undefined) message.text = text;
    if (blocks !== undefined && blocks.length === 0) delete message.blocks;
    else if (blocks !== undefined) message.blocks = blocks;
    message.updates.push({ text: message.text, ...(message.blocks === undefined ? {} : { blocks: message.blocks }) });
    return { channel, ts: message.ts, text: message.text, message: messageObject(state, message) };
  },

  'chat.postEphemeral': (state, args) => {
    const channel = channelArg(args);
    const user = args.string('user') ?? '';
    if (!USER_ID.test(user) || state.users.get(user)?.deleted) return fail('user_not_found');
    const threadTs = tsArg(args, 'thread_ts', 'invalid_thread_ts');
    const { text, blocks } = contentArgs(args);
    state.ephemerals.push({
      channel,
      user,
      text: text ?? '',
      ...(blocks === undefined ? {} : { blocks }),
      ...(threadTs === undefined ? {} : { threadTs }),
    });
    return { message_ts: state.clock.next() };
  },

  'users.info': (state, args) => {
    const user = state.users.get(args.string('user') ?? '');
    if (!user) return fail('user_not_found');
    return {
      user: {
        id: user.id,
        team_id: state.teamId,
        name: user.name,
        deleted: user.deleted ?? false,
        real_name: user.realName,
        tz: 'Europe/London',
        is_admin: false,
        is_bot: user.isBot ?? false,
        is_app_user: false,
        profile: {
          real_name: user.realName,
          real_name_normalized: user.realName,
          display_name: user.name,
          display_name_normalized: user.name,
          ...(user.email === undefined ? {} : { email: user.email }),
          team: state.teamId,
        },
      },
    };
  },

  /** Names go without colons ('eyes', 'thumbsup::skin-tone-2'); ':eyes:' is refused as invalid_name. */
  'reactions.add': (state, args) => {
    const { message, name } = reactionTarget(state, args);
    if (message.reactions.includes(name)) return fail('already_reacted');
    message.reactions.push(name);
    return {};
  },

  'reactions.remove': (state, args) => {
    const { message, name } = reactionTarget(state, args);
    const index = message.reactions.indexOf(name);
    if (index === -1) return fail('no_reaction');
    message.reactions.splice(index, 1);
    return {};
  },

  'files.getUploadURLExternal': (state, args) => {
    const opened = state.uploads.open(args.string('filename'), args.string('length'));
    return typeof opened === 'string' ? fail(opened) : opened;
  },

  /** Shares uploaded files; with `thread_ts` they appear in that thread. */
  'files.completeUploadExternal': (state, args) => {
    const channel = args.has('channel_id') ? channelArg(new Args({ channel: args.string('channel_id') }, undefined), false) : undefined;
    const completed = state.uploads.complete(args.structured('files', 'invalid_arguments'), channel, tsArg(args, 'thread_ts', 'invalid_thread_ts'));
    return typeof completed === 'string' ? fail(completed) : completed;
  },

  'conversations.info': (state, args) => {
    const id = channelArg(args, false);
    return {
      channel: {
        id,
        name: channelName(id),
        is_channel: id.startsWith('C'),
        is_group: id.startsWith('G'),
        is_im: id.startsWith('D'),
        is_private: !id.startsWith('C'),
        is_archived: false,
        is_member: true,
        context_team_id: state.teamId,
      },
    };
  },
};

function reactionTarget(state: ApiState, args: Args): { message: PostedMessage; name: string } {
  const channel = channelArg(args, false);
  const timestamp = args.string('timestamp');
  if (timestamp === undefined) return fail('no_item_specified');
  const name = args.string('name') ?? '';
  if (!/^[^\s:]\S*$/.test(name) || name.endsWith(':')) return fail('invalid_name');
  const message = findAnyMessage(state, channel, timestamp);
  return message ? { message, name } : fail('message_not_found');
}

function failureAnswer(failure: SlackFailure): Answer {
  if (failure.error === 'ratelimited') {
    return json(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(failure.retryAfterSeconds) });
  }
  return json(200, { ok: false, error: failure.error });
}

async function answerCall(state: ApiState, req: IncomingMessage, method: string, query: URLSearchParams): Promise<Answer> {
  try {
    const args = await readArgs(req, query);
    const failure = state.takeFailure(method);
    if (failure) return failureAnswer(failure);
    checkToken(state, req, args);
    const handler = methods[method];
    if (!handler) return json(200, { ok: false, error: 'unknown_method', req_method: method });
    return json(200, { ok: true, ...handler(state, args) });
  } catch (error) {
    if (error instanceof SlackApiError) return json(200, { ok: false, error: error.error });
    throw error;
  }
}

/** Answers one Web API call (`/api/<method>`) and records it in `state.calls`. */
export async function handleApi(state: ApiState, req: IncomingMessage, method: string, query: URLSearchParams): Promise<Answer> {
  let answer: Answer;
  try {
    answer = await answerCall(state, req, method, query);
  } catch (error) {
    // An emulator bug, not a Slack answer: the detail field (which Slack never sends) says what broke.
    answer = json(200, { ok: false, error: 'internal_error', emulator_detail: error instanceof Error ? error.message : String(error) });
  }
  const result = JSON.parse(answer.body.toString()) as { ok: boolean; error?: string };
  state.calls.push({ method, ok: result.ok, ...(result.error === undefined ? {} : { error: result.error }) });
  return answer;
}

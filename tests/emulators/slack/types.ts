/** A workspace member, as `users.info` reports it and as actions and commands name their sender. */
export interface SlackUser {
  /** 'U…' (or 'W…' on Enterprise Grid). */
  id: string;
  /** The handle: `user.name` in users.info, `user_name` in slash commands, `user.username` in actions. */
  name: string;
  realName: string;
  /** Only returned when set, as Slack only returns it to apps with the users:read.email scope. */
  email?: string;
  isBot?: boolean;
  /** Deactivated accounts are still returned by users.info, with `deleted: true`. */
  deleted?: boolean;
}

/**
 * A message in a channel. In `messages` (what the hub posted with chat.postMessage) `user` is the bot
 * user id; in `userMessages` (what `sendUserMessage` made people say) it is the person.
 */
export interface PostedMessage {
  channel: string;
  /** Unique and increasing across the whole emulator, like '1732540000.000100'. */
  ts: string;
  threadTs?: string;
  /** The current text: chat.update replaces it, and `updates` keeps the history. */
  text: string;
  /** Parsed from the JSON string WebClient sends, so tests compare objects rather than serializations. */
  blocks?: unknown[];
  /** chat:write.customize overrides, which the hub may use to show the customer's name. */
  username?: string;
  iconEmoji?: string;
  user: string;
  /** The message as each chat.update left it, oldest first; the fields above are the latest. */
  updates: { text: string; blocks?: unknown[] }[];
  /** Names (without colons) the bot added with reactions.add and has not removed. */
  reactions: string[];
}

/** A chat.postEphemeral: seen by one person only, and never stored in the channel by Slack. */
export interface Ephemeral {
  channel: string;
  user: string;
  text: string;
  blocks?: unknown[];
  threadTs?: string;
}

/**
 * What the next calls of a method answer instead of doing anything. 'ratelimited' is an HTTP 429
 * (the only non-200 status the Web API uses); the others are Slack's usual HTTP 200 `ok: false`.
 */
export type SlackFailure =
  | { error: 'ratelimited'; retryAfterSeconds: number }
  | { error: 'channel_not_found' | 'invalid_auth' | 'is_archived' | 'token_revoked' | 'internal_error' };

/** One Web API call the emulator answered, failures included, so tests can count retries. */
export interface ApiCall {
  method: string;
  ok: boolean;
  error?: string;
}

/**
 * How to sign what the emulator posts to the hub. By default it signs like Slack, now. `signature`:
 * a string replaces the header (a forgery), null leaves it out. `timestamp` (Unix seconds) is signed
 * over too, so an old one tests staleness alone. `retryNum`/`retryReason` mark Slack's redeliveries.
 */
export interface SignOptions {
  signature?: string | null;
  timestamp?: number;
  retryNum?: number;
  retryReason?: string;
}

/** The hub's answer to something the emulator posted. */
export interface SlackResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A person's reply in a thread. Pass the same `ts` and `eventId` again to replay a redelivery. */
export interface UserMessageParams {
  channel: string;
  threadTs: string;
  user: string;
  text: string;
  eventId?: string;
  ts?: string;
}

/** A click on a button (or a pick in a users_select when `selectedUser` is set) in a message. */
export interface ActionParams {
  user: string;
  channel: string;
  messageTs: string;
  threadTs?: string;
  actionId: string;
  value?: string;
  selectedUser?: string;
  blockId?: string;
  triggerId?: string;
}

export interface CommandParams {
  command: string;
  text: string;
  user: string;
  channel: string;
  /** Accepted so tests can say where the agent typed it, but never sent: Slack omits thread_ts. */
  threadTs?: string;
}

/** What the hub POSTed to a response_url the emulator handed out. */
export interface RecordedResponse {
  url: string;
  body: unknown;
}

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { json, send, type Answer } from '../http';
import { TsClock } from './ids';
import { FileUploads, type SharedFile } from './files';
import { ResponseUrls } from './response-url';
import { actionPayload, commandForm, eventEnvelope, postSigned, userMessageEvent, type SlackSide } from './slack-side';
import type {
  ActionParams,
  ApiCall,
  CommandParams,
  Ephemeral,
  PostedMessage,
  RecordedResponse,
  SignOptions,
  SlackFailure,
  SlackResponse,
  SlackUser,
  UserMessageParams,
} from './types';
import { handleApi, type ApiState } from './web-api';

export { slackSignature } from './slack-side';
export type * from './types';
import { listenLocally } from '../../support/local-server';

const POLL_MS = 20;

export interface SlackEmulatorOptions {
  botToken: string;
  signingSecret: string;
  teamId?: string;
  botUserId?: string;
  botId?: string;
  users?: SlackUser[];
}

/**
 * A local stand-in for Slack, since tests run without internet: it answers the Web API calls of the
 * real `@slack/web-api` WebClient (pointed here with `slackApiUrl: emulator.apiUrl`) and plays Slack's
 * side by posting signed events, actions and slash commands to the hub's `POST /slack/events`.
 */
export class SlackEmulator {
  /** What the hub posted with chat.postMessage, in order, with chat.update and reactions applied. */
  readonly messages: PostedMessage[] = [];
  /** What people said through `sendUserMessage`: kept so the hub can react to them, as on Slack. */
  readonly userMessages: PostedMessage[] = [];
  readonly ephemerals: Ephemeral[] = [];
  readonly calls: ApiCall[] = [];
  /** What the hub POSTed to the response_urls of actions and commands, in order. */
  readonly responses: RecordedResponse[];
  /** Files the hub uploaded (files.getUploadURLExternal, the upload, files.completeUploadExternal). */
  readonly files: SharedFile[];
  /**
   * The base for WebClient's `slackApiUrl`. WebClient only appends the method name (after adding a
   * missing trailing slash), so the base must include `/api`; the bare host gets 404s.
   */
  readonly apiUrl: string;
  private readonly users = new Map<string, SlackUser>();
  private readonly failures = new Map<string, SlackFailure[]>();
  private readonly clock = new TsClock();
  private readonly responseUrls: ResponseUrls;
  private readonly uploads: FileUploads;
  private readonly side: SlackSide;

  private constructor(
    private readonly server: Server,
    /** http://127.0.0.1:PORT */
    readonly url: string,
    private readonly botToken: string,
    private readonly signingSecret: string,
    readonly teamId: string,
    readonly botUserId: string,
    readonly botId: string,
  ) {
    this.apiUrl = `${url}/api/`;
    this.responseUrls = new ResponseUrls(url);
    this.responses = this.responseUrls.responses;
    this.uploads = new FileUploads(url);
    this.files = this.uploads.shared;
    const api: ApiState = {
      botToken,
      teamId,
      botUserId,
      botId,
      messages: this.messages,
      userMessages: this.userMessages,
      ephemerals: this.ephemerals,
      calls: this.calls,
      users: this.users,
      clock: this.clock,
      uploads: this.uploads,
      takeFailure: (method) => this.failures.get(method)?.shift(),
    };
    this.side = {
      signingSecret,
      teamId,
      botUserId,
      users: this.users,
      messages: this.messages,
      userMessages: this.userMessages,
      clock: this.clock,
      issueResponseUrl: () => this.responseUrls.issue(),
    };
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      void this.route(api, req).then((answer) => send(res, answer));
    });
  }

  /** The settings that point a hub at this emulator, with the Slack channel its threads go to. */
  hubEnv(channel: string): Record<string, string> {
    return { SLACK_BOT_TOKEN: this.botToken, SLACK_SIGNING_SECRET: this.signingSecret, SLACK_DEFAULT_CHANNEL: channel, SLACK_API_URL: this.apiUrl };
  }

  static async start(options: SlackEmulatorOptions): Promise<SlackEmulator> {
    const server = createServer();
    const { url } = await listenLocally(server);
    const emulator = new SlackEmulator(
      server,
      url,
      options.botToken,
      options.signingSecret,
      options.teamId ?? 'T0EMULATOR',
      options.botUserId ?? 'U0SWITCHBOARD',
      options.botId ?? 'B0SWITCHBOARD',
    );
    // users.info on the bot itself answers, as it does on Slack.
    emulator.addUser({ id: emulator.botUserId, name: 'switchboard', realName: 'Switchboard', isBot: true });
    for (const user of options.users ?? []) emulator.addUser(user);
    return emulator;
  }

  /** Adds or replaces a workspace member, so users.info, actions and commands know their name. */
  addUser(user: SlackUser): void {
    this.users.set(user.id, { ...user });
  }

  /**
   * Rate limits, revoked tokens, archived channels and outages on demand, for the next `count` calls
   * of one method (e.g. 'chat.postMessage'), so the hub's retry and give-up paths can be tested.
   */
  failNext(method: string, count: number, failure: SlackFailure): void {
    if (!Number.isInteger(count) || count < 0) throw new Error(`failNext: count must be a non-negative integer, got ${count}`);
    const queue = this.failures.get(method) ?? [];
    for (let i = 0; i < count; i += 1) queue.push(failure);
    this.failures.set(method, queue);
  }

  /** The hub's replies in a thread (its own messages, not people's), in order; the parent itself is left out. */
  /** The header message the hub posted for a conversation (its blocks name the conversation's id), once it is there. */
  headerOf(conversationId: string, timeoutMs = 10_000): Promise<PostedMessage> {
    return this.waitFor(`the header of ${conversationId}`, () => this.messages.find((m) => m.threadTs === undefined && JSON.stringify(m.blocks ?? []).includes(conversationId)), timeoutMs);
  }

  /** The next answers POSTed to response_urls fail with these HTTP statuses, in order. */
  failNextResponses(...statuses: number[]): void {
    this.responseUrls.failNext(...statuses);
  }

  thread(channel: string, threadTs: string): PostedMessage[] {
    return this.messages.filter((m) => m.channel === channel && m.threadTs === threadTs && m.ts !== threadTs);
  }

  /**
   * The hub answers Slack from background work, so tests wait for an outcome rather than a response:
   * resolves with the first result of `check` that is neither undefined nor false. An async check is
   * awaited, so one that asks the hub over HTTP polls too instead of resolving on its first promise.
   */
  async waitFor<T>(what: string, check: () => T | undefined | false | PromiseLike<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const result = await check();
      if (result !== undefined && result !== false) return result;
      if (Date.now() >= deadline) {
        const posted = this.messages.map((m) => `${m.channel}/${m.threadTs ?? '-'}: ${JSON.stringify(m.text)}`).join('; ') || 'none';
        const recent = this.calls.slice(-10).map((c) => (c.ok ? c.method : `${c.method} (${c.error ?? 'error'})`)).join(', ') || 'none';
        throw new Error(`SlackEmulator: timed out after ${timeoutMs} ms waiting for ${what}. Messages: ${posted}. Last calls: ${recent}`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** Posts an Events API `event_callback` wrapping `event`; a fixed `eventId` with `retryNum` replays a redelivery. */
  sendEvent(hubUrl: string, event: Record<string, unknown>, options: SignOptions & { eventId?: string } = {}): Promise<SlackResponse> {
    const { eventId, ...signOptions } = options;
    return postSigned(this.side, hubUrl, JSON.stringify(eventEnvelope(this.side, event, eventId)), 'application/json', signOptions);
  }

  /** A person's reply in a thread, as a `message` event; the message lands in `userMessages`. */
  sendUserMessage(hubUrl: string, params: UserMessageParams, options: SignOptions = {}): Promise<SlackResponse> {
    const event = userMessageEvent(this.side, params);
    return this.sendEvent(hubUrl, event, { ...options, ...(params.eventId === undefined ? {} : { eventId: params.eventId }) });
  }

  /** A button click (or users_select pick) in a message, as a block_actions interactivity payload. */
  sendAction(hubUrl: string, params: ActionParams, options: SignOptions = {}): Promise<SlackResponse> {
    const form = new URLSearchParams({ payload: JSON.stringify(actionPayload(this.side, params)) });
    return postSigned(this.side, hubUrl, form.toString(), 'application/x-www-form-urlencoded', options);
  }

  /** A slash command; `params.threadTs` is not sent, because Slack never tells apps which thread a command came from. */
  sendCommand(hubUrl: string, params: CommandParams, options: SignOptions = {}): Promise<SlackResponse> {
    const form = new URLSearchParams(commandForm(this.side, params));
    return postSigned(this.side, hubUrl, form.toString(), 'application/x-www-form-urlencoded', options);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }

  private async route(api: ApiState, req: IncomingMessage): Promise<Answer> {
    const { pathname, searchParams } = new URL(req.url ?? '/', 'http://emulator.invalid');
    try {
      const method = /^\/api\/([\w.]+)$/.exec(pathname)?.[1];
      if (method !== undefined) return await handleApi(api, req, method, searchParams);
      const responseId = /^\/response\/([0-9a-f]+)$/.exec(pathname)?.[1];
      if (responseId !== undefined) return await this.responseUrls.handle(req, responseId);
      const uploadId = /^\/upload\/(F[0-9A-F]+)$/.exec(pathname)?.[1];
      if (uploadId !== undefined) return await this.uploads.receive(req, uploadId);
      return json(404, { ok: false, error: 'not_found' });
    } catch (error) {
      return json(500, { ok: false, error: 'internal_error', emulator_detail: error instanceof Error ? error.message : String(error) });
    }
  }
}

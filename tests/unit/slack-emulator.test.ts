import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { verifySlackRequest } from '@slack/bolt';
import { ErrorCode, LogLevel, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError, WebClient, WebClientEvent } from '@slack/web-api';
import { SlackEmulator, slackSignature } from '../emulators/slack';
import { listenLocally } from '../support/local-server';

const BOT_TOKEN = 'xoxb-emulator-token';
const SIGNING_SECRET = 'emulator-signing-secret';
const CHANNEL = 'C0SUPPORT1';
const AGENT = { id: 'U0AGENT01', name: 'ada', realName: 'Ada Lovelace', email: 'ada@agents.test' };

interface Received {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Why Bolt's verifier refused the request, or null when it passed. */
  refusal: string | null;
}

/** A stand-in for the hub: checks every request with Bolt's own verifier and records it. */
async function startHub(): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let refusal: string | null = null;
      try {
        const signature = req.headers['x-slack-signature'];
        verifySlackRequest({
          signingSecret: SIGNING_SECRET,
          body,
          headers: { 'x-slack-signature': typeof signature === 'string' ? signature : '', 'x-slack-request-timestamp': Number(req.headers['x-slack-request-timestamp']) },
        });
      } catch (error) {
        refusal = error instanceof Error ? error.message : String(error);
      }
      received.push({ url: req.url ?? '', headers: req.headers, body, refusal });
      res.writeHead(refusal === null ? 200 : 401, { 'content-type': 'text/plain' }).end(refusal ?? 'verified');
    });
  });
  const local = await listenLocally(server);
  return { url: local.url, received, close: () => local.close() };
}

function last(hub: { received: Received[] }): Received {
  const request = hub.received.at(-1);
  if (!request) throw new Error('the hub received nothing');
  return request;
}

function payloadOf(request: Received): Record<string, unknown> {
  return JSON.parse(new URLSearchParams(request.body).get('payload') ?? '') as Record<string, unknown>;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );
}

describe('SlackEmulator', () => {
  let emulator: SlackEmulator;
  let hub: Awaited<ReturnType<typeof startHub>>;
  let client: WebClient;

  /** The real client as the hub configures it; retries off so failures surface at once. */
  function webClient(options: { token?: string; rejectRateLimitedCalls?: boolean; retries?: number } = {}): WebClient {
    return new WebClient(options.token ?? BOT_TOKEN, {
      slackApiUrl: emulator.apiUrl,
      retryConfig: { retries: options.retries ?? 0, minTimeout: 0, maxTimeout: 0 },
      rejectRateLimitedCalls: options.rejectRateLimitedCalls ?? false,
      logLevel: LogLevel.ERROR,
    });
  }

  beforeAll(async () => {
    emulator = await SlackEmulator.start({ botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, users: [AGENT] });
    hub = await startHub();
    client = webClient();
  });

  afterAll(async () => {
    await emulator.close();
    await hub.close();
  });

  it('answers auth.test and users.info like Slack', async () => {
    expect(emulator.apiUrl).toBe(`${emulator.url}/api/`);
    expect(await client.auth.test()).toMatchObject({ ok: true, team_id: emulator.teamId, user_id: emulator.botUserId, bot_id: emulator.botId });

    const { user } = await client.users.info({ user: AGENT.id });
    expect(user).toMatchObject({
      id: AGENT.id,
      name: 'ada',
      real_name: 'Ada Lovelace',
      deleted: false,
      is_bot: false,
      profile: { email: 'ada@agents.test', real_name: 'Ada Lovelace', display_name: 'ada' },
    });
    emulator.addUser({ id: 'U0GONE001', name: 'gone', realName: 'Gone Person', deleted: true });
    const gone = (await client.users.info({ user: 'U0GONE001' })).user;
    expect(gone).toMatchObject({ deleted: true, real_name: 'Gone Person' });
    expect(gone?.profile).not.toHaveProperty('email');
    expect((await client.users.info({ user: emulator.botUserId })).user).toMatchObject({ is_bot: true });
    await expect(client.users.info({ user: 'U0NOBODY1' })).rejects.toMatchObject({ code: ErrorCode.PlatformError, data: { ok: false, error: 'user_not_found' } });
  });

  it('posts, threads, updates and reacts through the real WebClient', async () => {
    const blocks = [
      { type: 'section', text: { type: 'mrkdwn', text: '*Ada* needs help' } },
      { type: 'actions', block_id: 'conv', elements: [{ type: 'button', action_id: 'close', value: 'conv-1', text: { type: 'plain_text', text: 'Close' } }] },
    ];
    const root = await client.chat.postMessage({ channel: CHANNEL, text: 'Ada needs help', blocks, username: 'Ada (customer)', icon_emoji: ':bust_in_silhouette:' });
    expect(root).toMatchObject({ ok: true, channel: CHANNEL, message: { type: 'message', text: 'Ada needs help', user: emulator.botUserId, bot_id: emulator.botId, blocks } });
    expect(root.ts).toMatch(/^\d{10}\.\d{6}$/);
    const rootTs = root.ts ?? '';

    const first = await client.chat.postMessage({ channel: CHANNEL, thread_ts: rootTs, text: 'first' });
    const second = await client.chat.postMessage({ channel: CHANNEL, thread_ts: rootTs, text: 'second' });
    expect(Number(second.ts)).toBeGreaterThan(Number(first.ts));
    expect(first.message).toMatchObject({ thread_ts: rootTs, parent_user_id: emulator.botUserId });
    expect(emulator.thread(CHANNEL, rootTs).map((m) => m.text)).toEqual(['first', 'second']);
    expect(emulator.thread('C0ELSEWHERE', rootTs)).toEqual([]);
    const header = emulator.messages.find((m) => m.ts === rootTs);
    expect(header).toMatchObject({ channel: CHANNEL, text: 'Ada needs help', blocks, username: 'Ada (customer)', iconEmoji: ':bust_in_silhouette:', updates: [], reactions: [] });

    const resolved = [{ type: 'section', text: { type: 'mrkdwn', text: 'Resolved' } }];
    const updated = await client.chat.update({ channel: CHANNEL, ts: rootTs, text: 'Resolved', blocks: resolved });
    expect(updated).toMatchObject({ ok: true, ts: rootTs, text: 'Resolved' });
    await client.chat.update({ channel: CHANNEL, ts: rootTs, text: 'Resolved by Ada' });
    expect(header).toMatchObject({ text: 'Resolved by Ada', blocks: resolved });
    expect(header?.updates).toEqual([
      { text: 'Resolved', blocks: resolved },
      { text: 'Resolved by Ada', blocks: resolved },
    ]);
    await expect(client.chat.update({ channel: CHANNEL, ts: '1000000000.000001', text: 'x' })).rejects.toMatchObject({ data: { error: 'message_not_found' } });

    await client.reactions.add({ channel: CHANNEL, timestamp: first.ts ?? '', name: 'outbox_tray' });
    await expect(client.reactions.add({ channel: CHANNEL, timestamp: first.ts ?? '', name: 'outbox_tray' })).rejects.toMatchObject({ data: { error: 'already_reacted' } });
    await expect(client.reactions.add({ channel: CHANNEL, timestamp: first.ts ?? '', name: ':eyes:' })).rejects.toMatchObject({ data: { error: 'invalid_name' } });
    await client.reactions.remove({ channel: CHANNEL, timestamp: first.ts ?? '', name: 'outbox_tray' });
    await client.reactions.add({ channel: CHANNEL, timestamp: first.ts ?? '', name: 'white_check_mark' });
    expect(emulator.thread(CHANNEL, rootTs)[0]?.reactions).toEqual(['white_check_mark']);

    const ephemeral = await client.chat.postEphemeral({ channel: CHANNEL, user: AGENT.id, thread_ts: rootTs, text: 'Only you can see this' });
    expect(ephemeral.message_ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(emulator.ephemerals.at(-1)).toEqual({ channel: CHANNEL, user: AGENT.id, threadTs: rootTs, text: 'Only you can see this' });
    expect(await client.conversations.info({ channel: CHANNEL })).toMatchObject({ channel: { id: CHANNEL, is_archived: false } });
  });

  it('refuses what Slack refuses, and answers failNext failures, as WebAPIPlatformErrors with data.error', async () => {
    const refused = async (call: Promise<unknown>) => {
      const error = await rejection(call);
      expect(error).toBeInstanceOf(WebAPIPlatformError);
      return (error as WebAPIPlatformError).data.error;
    };
    expect(await refused(client.chat.postMessage({ channel: 'not a channel', text: 'x' }))).toBe('channel_not_found');
    expect(await refused(client.chat.postMessage({ channel: CHANNEL, text: '' }))).toBe('no_text');
    expect(await refused(client.chat.postMessage({ channel: CHANNEL, text: 'x', thread_ts: '' }))).toBe('invalid_thread_ts');
    expect(await refused(client.chat.postMessage({ channel: CHANNEL, text: 'x'.repeat(40_001) }))).toBe('msg_too_long');
    expect(await refused(client.apiCall('chat.postMessage', { channel: CHANNEL, blocks: '{not json' }))).toBe('invalid_blocks_format');
    expect(await refused(client.apiCall('admin.everything'))).toBe('unknown_method');
    expect(await refused(webClient({ token: 'xoxb-wrong' }).auth.test())).toBe('invalid_auth');
    expect(await refused(webClient({ token: '' }).auth.test())).toBe('not_authed');

    const before = emulator.messages.length;
    emulator.failNext('chat.postMessage', 1, { error: 'invalid_auth' });
    emulator.failNext('chat.postMessage', 2, { error: 'channel_not_found' });
    const error = await rejection(client.chat.postMessage({ channel: CHANNEL, text: 'x' }));
    expect(error).toBeInstanceOf(WebAPIPlatformError);
    expect(error).toMatchObject({ code: ErrorCode.PlatformError, message: 'An API error occurred: invalid_auth', data: { ok: false, error: 'invalid_auth' } });
    expect(await refused(client.chat.postMessage({ channel: CHANNEL, text: 'x' }))).toBe('channel_not_found');
    expect(await refused(client.chat.postMessage({ channel: CHANNEL, text: 'x' }))).toBe('channel_not_found');
    // Other methods are not affected, and the queue is used up.
    expect((await client.auth.test()).ok).toBe(true);
    expect((await client.chat.postMessage({ channel: CHANNEL, text: 'through' })).ok).toBe(true);
    expect(emulator.messages).toHaveLength(before + 1);
    expect(emulator.calls.slice(-5)).toEqual([
      { method: 'chat.postMessage', ok: false, error: 'invalid_auth' },
      { method: 'chat.postMessage', ok: false, error: 'channel_not_found' },
      { method: 'chat.postMessage', ok: false, error: 'channel_not_found' },
      { method: 'auth.test', ok: true },
      { method: 'chat.postMessage', ok: true },
    ]);
    expect(() => emulator.failNext('chat.postMessage', -1, { error: 'internal_error' })).toThrow(/non-negative integer/);
  });

  it('takes JSON bodies and form tokens too, as the Web API does', async () => {
    const viaJson = await fetch(`${emulator.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BOT_TOKEN}`, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ channel: CHANNEL, text: 'json', blocks: [{ type: 'divider' }] }),
    });
    expect(viaJson.status).toBe(200);
    expect(await viaJson.json()).toMatchObject({ ok: true, message: { text: 'json', blocks: [{ type: 'divider' }] } });
    expect(emulator.messages.at(-1)?.blocks).toEqual([{ type: 'divider' }]);

    const viaForm = await fetch(`${emulator.apiUrl}auth.test`, { method: 'POST', body: new URLSearchParams({ token: BOT_TOKEN }) });
    expect(await viaForm.json()).toMatchObject({ ok: true, user_id: emulator.botUserId });
  });

  it('rate limits with HTTP 429 and Retry-After, which WebClient hands back only with rejectRateLimitedCalls', async () => {
    emulator.failNext('chat.postMessage', 1, { error: 'ratelimited', retryAfterSeconds: 7 });
    const raw = await fetch(`${emulator.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BOT_TOKEN}` },
      body: new URLSearchParams({ channel: CHANNEL, text: 'x' }),
    });
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBe('7');
    expect(await raw.json()).toEqual({ ok: false, error: 'ratelimited' });

    // rejectRateLimitedCalls: an immediate WebAPIRateLimitedError carrying Retry-After in seconds.
    const rejecting = webClient({ rejectRateLimitedCalls: true });
    const announced: number[] = [];
    rejecting.on(WebClientEvent.RATE_LIMITED, (seconds: number) => announced.push(seconds));
    emulator.failNext('chat.postMessage', 1, { error: 'ratelimited', retryAfterSeconds: 7 });
    const limited = await rejection(rejecting.chat.postMessage({ channel: CHANNEL, text: 'x' }));
    expect(limited).toBeInstanceOf(WebAPIRateLimitedError);
    expect(limited).toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: 7 });
    expect(announced).toEqual([7]);

    // Without it WebClient sleeps Retry-After seconds itself (0 here), then retries if allowed...
    emulator.failNext('chat.postMessage', 1, { error: 'ratelimited', retryAfterSeconds: 0 });
    expect((await webClient({ retries: 1 }).chat.postMessage({ channel: CHANNEL, text: 'after the wait' })).ok).toBe(true);
    // ...or, with no retries left, fails with a WebAPIRequestError whose only trace of Retry-After is its message.
    emulator.failNext('chat.postMessage', 1, { error: 'ratelimited', retryAfterSeconds: 0 });
    const gaveUp = await rejection(client.chat.postMessage({ channel: CHANNEL, text: 'x' }));
    expect(gaveUp).toBeInstanceOf(WebAPIRequestError);
    expect(gaveUp).toMatchObject({ code: ErrorCode.RequestError, message: expect.stringContaining('retry-after: 0') as unknown });
    expect(emulator.calls.filter((c) => c.error === 'ratelimited')).toHaveLength(4);
  });

  it('signs events as Slack does, so Bolt’s verifier accepts them', async () => {
    const event = { type: 'app_mention', user: AGENT.id, text: `<@${emulator.botUserId}> hi`, channel: CHANNEL, ts: '1732540000.000100', event_ts: '1732540000.000100' };
    const response = await emulator.sendEvent(hub.url, event, { eventId: 'Ev0FIXED01' });
    expect(response).toMatchObject({ status: 200, body: 'verified' });
    expect(response.headers['content-type']).toBe('text/plain');
    const request = last(hub);
    expect(request.url).toBe('/slack/events');
    expect(request.refusal).toBeNull();
    expect(request.headers['content-type']).toBe('application/json');
    const timestamp = request.headers['x-slack-request-timestamp'];
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(5);
    expect(request.headers['x-slack-signature']).toBe(slackSignature(SIGNING_SECRET, Number(timestamp), request.body));
    expect(request.headers).not.toHaveProperty('x-slack-retry-num');
    expect(JSON.parse(request.body)).toEqual({
      token: 'deprecated',
      team_id: emulator.teamId,
      context_team_id: emulator.teamId,
      api_app_id: 'A0EMU',
      event,
      type: 'event_callback',
      event_id: 'Ev0FIXED01',
      event_time: expect.any(Number) as unknown,
      authorizations: [{ enterprise_id: null, team_id: emulator.teamId, user_id: emulator.botUserId, is_bot: true, is_enterprise_install: false }],
      is_ext_shared_channel: false,
      event_context: expect.any(String) as unknown,
    });

    const threadTs = '1732540000.000100';
    await emulator.sendUserMessage(hub.url, { channel: CHANNEL, threadTs, user: AGENT.id, text: 'Customer says thanks', eventId: 'Ev0REPLY01' });
    const reply = JSON.parse(last(hub).body) as { event_id: string; event: Record<string, unknown> };
    expect(last(hub).refusal).toBeNull();
    expect(reply.event_id).toBe('Ev0REPLY01');
    expect(reply.event).toMatchObject({ type: 'message', channel: CHANNEL, user: AGENT.id, text: 'Customer says thanks', thread_ts: threadTs, channel_type: 'channel' });
    const ts = String(reply.event.ts);
    expect(reply.event.event_ts).toBe(ts);
    expect(Number(ts)).toBeGreaterThan(Number(threadTs));
    // The person's message exists on "Slack", so the hub can react to it.
    expect(emulator.userMessages.at(-1)).toMatchObject({ channel: CHANNEL, ts, threadTs, user: AGENT.id, text: 'Customer says thanks' });
    await client.reactions.add({ channel: CHANNEL, timestamp: ts, name: 'eyes' });
    expect(emulator.userMessages.at(-1)?.reactions).toEqual(['eyes']);
    await expect(client.chat.update({ channel: CHANNEL, ts, text: 'edited' })).rejects.toMatchObject({ data: { error: 'cant_update_message' } });

    // A redelivery: same event id and ts, with Slack's retry headers; the message is not stored twice.
    const count = emulator.userMessages.length;
    await emulator.sendUserMessage(hub.url, { channel: CHANNEL, threadTs, user: AGENT.id, text: 'Customer says thanks', eventId: 'Ev0REPLY01', ts }, { retryNum: 1 });
    expect(last(hub).refusal).toBeNull();
    expect(last(hub).headers).toMatchObject({ 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' });
    expect(JSON.parse(last(hub).body)).toMatchObject({ event_id: 'Ev0REPLY01', event: { ts } });
    expect(emulator.userMessages).toHaveLength(count);
    await emulator.sendEvent(hub.url, event, { retryNum: 2, retryReason: 'http_error' });
    expect(last(hub).headers).toMatchObject({ 'x-slack-retry-num': '2', 'x-slack-retry-reason': 'http_error' });
  });

  it('posts block actions and slash commands as the forms Slack sends, and records response_url posts', async () => {
    const blocks = [{ type: 'actions', block_id: 'conv-blk', elements: [{ type: 'button', action_id: 'close', value: 'conv-42', text: { type: 'plain_text', text: 'Close' } }] }];
    const posted = await client.chat.postMessage({ channel: CHANNEL, thread_ts: '1732540000.000100', text: 'Close it?', blocks });
    const messageTs = posted.ts ?? '';

    expect((await emulator.sendAction(hub.url, { user: AGENT.id, channel: CHANNEL, messageTs, actionId: 'close' })).status).toBe(200);
    const clicked = last(hub);
    expect(clicked.refusal).toBeNull();
    expect(clicked.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const payload = payloadOf(clicked);
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: AGENT.id, username: 'ada', name: 'ada', team_id: emulator.teamId },
      team: { id: emulator.teamId },
      channel: { id: CHANNEL },
      api_app_id: 'A0EMU',
      container: { type: 'message', message_ts: messageTs, channel_id: CHANNEL, is_ephemeral: false, thread_ts: '1732540000.000100' },
      message: { ts: messageTs, thread_ts: '1732540000.000100', text: 'Close it?', blocks },
      actions: [{ action_id: 'close', block_id: 'conv-blk', type: 'button', value: 'conv-42', text: { type: 'plain_text', text: 'Close' } }],
    });
    expect(payload.trigger_id).toEqual(expect.stringMatching(/^\d+\.\d+\.[0-9a-f]+$/));
    const responseUrl = String(payload.response_url);
    expect(responseUrl).toMatch(new RegExp(`^${emulator.url}/response/[0-9a-f]+$`));

    const respond = await fetch(responseUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Closed', replace_original: false }) });
    expect(respond.status).toBe(200);
    expect(await respond.text()).toBe('ok');
    expect(emulator.responses.at(-1)).toEqual({ url: responseUrl, body: { text: 'Closed', replace_original: false } });
    expect((await fetch(`${emulator.url}/response/0123abcd`, { method: 'POST', body: '{}' })).status).toBe(404);

    await emulator.sendAction(hub.url, { user: AGENT.id, channel: CHANNEL, messageTs, actionId: 'assign', blockId: 'pick', selectedUser: 'U0AGENT02', triggerId: '1.2.abc' });
    expect(payloadOf(last(hub))).toMatchObject({ trigger_id: '1.2.abc', actions: [{ action_id: 'assign', block_id: 'pick', type: 'users_select', selected_user: 'U0AGENT02' }] });

    expect((await emulator.sendCommand(hub.url, { command: '/switchboard', text: 'close 42', user: AGENT.id, channel: CHANNEL, threadTs: '1732540000.000100' })).status).toBe(200);
    const command = last(hub);
    expect(command.refusal).toBeNull();
    expect(command.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = Object.fromEntries(new URLSearchParams(command.body));
    expect(form).toMatchObject({
      token: 'deprecated',
      team_id: emulator.teamId,
      channel_id: CHANNEL,
      user_id: AGENT.id,
      user_name: 'ada',
      command: '/switchboard',
      text: 'close 42',
      api_app_id: 'A0EMU',
    });
    expect(form.response_url).toMatch(/\/response\/[0-9a-f]+$/);
    expect(form).not.toHaveProperty('thread_ts');
  });

  it('forges, omits and ages signatures on demand, and Bolt’s verifier refuses them', async () => {
    const event = { type: 'app_mention', user: AGENT.id, text: 'hi', channel: CHANNEL, ts: '1732540000.000200' };
    const refusalOf = async (options: Parameters<SlackEmulator['sendEvent']>[2]) => {
      expect((await emulator.sendEvent(hub.url, event, options)).status).toBe(401);
      return last(hub).refusal;
    };
    expect(await refusalOf({ signature: 'v0=0000' })).toMatch(/signature mismatch/);
    expect(await refusalOf({ signature: null })).toMatch(/unknown signature version/);
    expect(last(hub).headers).not.toHaveProperty('x-slack-signature');
    expect(await refusalOf({ timestamp: Math.floor(Date.now() / 1000) - 6 * 60 })).toMatch(/stale/);
    // The stale one was signed correctly over its old timestamp: only its age is wrong.
    const stale = last(hub);
    expect(stale.headers['x-slack-signature']).toBe(slackSignature(SIGNING_SECRET, Number(stale.headers['x-slack-request-timestamp']), stale.body));

    expect((await emulator.sendAction(hub.url, { user: AGENT.id, channel: CHANNEL, messageTs: '1732540000.000300', actionId: 'x' }, { signature: 'v0=bad' })).status).toBe(401);
    expect((await emulator.sendCommand(hub.url, { command: '/x', text: '', user: AGENT.id, channel: CHANNEL }, { timestamp: 1 })).status).toBe(401);
  });

  it('waits for outcomes, sync or async, and says what it waited for on timeout', async () => {
    setTimeout(() => void client.chat.postMessage({ channel: CHANNEL, text: 'later' }), 30);
    const later = await emulator.waitFor('the later message', () => emulator.messages.find((m) => m.text === 'later'), 2000);
    expect(later.text).toBe('later');
    expect(await emulator.waitFor('an async answer', () => Promise.resolve(42))).toBe(42);
    await expect(emulator.waitFor('a message that never comes', () => false, 50)).rejects.toThrow(
      /timed out after 50 ms waiting for a message that never comes\. Messages: .*"later".*Last calls: .*chat\.postMessage/,
    );
  });
});

import pino from 'pino';
import { createApiKey } from '../../src/core/api-keys';
import { repo } from '../../src/core/model/schemas';
import type { Website } from '../../src/core/model/types';
import type { ServerFrame, WidgetMessage } from '../../src/channels/widget/protocol';
import * as history from '../../src/channels/widget/history';
import { startHub, type Hub } from '../../src/hub';
import { eventually, expectStatus, type MessageItem } from '../support/agent-api';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { SseClient } from '../support/sse-client';
import { createWebsite, GENEROUS_LIMITS, newVisitor, visitorSays, WidgetSocket } from '../support/widget';

/**
 * The widget's socket: live replies within a second, a resume that neither loses nor repeats a message
 * (also when messages arrive while it resumes), on whichever hub process the socket lands, receipts
 * that move agents' messages forward, and typing both ways.
 */
describe.each(ENGINES)('widget socket on %s', (engine) => {
  let t: TestHub;
  let website: Website;
  const sockets: WidgetSocket[] = [];

  beforeAll(async () => {
    t = await startTestHub(engine, { env: GENEROUS_LIMITS });
    website = await createWebsite(t);
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.close();
  });
  afterAll(async () => {
    await t.stop();
  });

  async function ready(token: string, after?: string, baseUrl = t.url): Promise<WidgetSocket> {
    const socket = await WidgetSocket.ready(baseUrl, website, token, after);
    sockets.push(socket);
    return socket;
  }

  async function reply(conversationId: string, body: string, options: { key?: string; isPrivate?: boolean } = {}): Promise<MessageItem> {
    return expectStatus<MessageItem>(201, t, 'POST', `/api/v1/conversations/${conversationId}/messages`, { body, private: options.isPrivate ?? false }, { key: options.key });
  }

  /** Each (message, status) pair is shown at most once, and a message's statuses only move forward. */
  function expectNoRepeats(messages: readonly WidgetMessage[]): void {
    const seen = messages.map((m) => `${m.id}:${m.status}`);
    expect(seen).toHaveLength(new Set(seen).size);
  }

  it('brings an agent’s reply to the socket within a second, and never a private note', async () => {
    const visitor = await newVisitor(t, website);
    const first = await visitorSays(t, website, visitor.token, 'Is my order shipped?');
    const socket = await ready(visitor.token);
    expect(socket.messages.map((m) => m.body)).toEqual(['Is my order shipped?']);
    const readyFrame = socket.frames.find((f) => f.type === 'ready');
    expect(readyFrame).toEqual({ type: 'ready', online: false, conversations: [{ id: first.conversationId, status: 'open', agentLastSeenAt: null, rating: null, emailTranscript: false, createdAt: expect.any(String) as unknown }] });

    await reply(first.conversationId, 'a note for colleagues', { isPrivate: true });
    const started = Date.now();
    const sent = await reply(first.conversationId, 'Yes, it left this morning.');
    const arrived = await socket.until<Extract<ServerFrame, { type: 'message' }>>('the reply', (f) => f.type === 'message' && f.message.id === sent.id, 1000);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(arrived.message).toMatchObject({ from: 'agent', body: 'Yes, it left this morning.', conversationId: first.conversationId, clientId: null });
    await socket.until('the reply as sent', (f) => f.type === 'message' && f.message.id === sent.id && f.message.status === 'sent');
    expect(JSON.stringify(socket.frames)).not.toContain('a note for colleagues');
    expectNoRepeats(socket.messages);

    // The visitor's own message comes back on the socket too, with its clientId.
    const own = await visitorSays(t, website, visitor.token, 'Thanks!', 'client-thanks');
    const echo = await socket.until<Extract<ServerFrame, { type: 'message' }>>('the visitor’s own message', (f) => f.type === 'message' && f.message.id === own.id);
    expect(echo.message).toMatchObject({ from: 'visitor', clientId: 'client-thanks', status: 'received' });
  });

  it('tells the socket about a new conversation and changes to it, an agent reading it included', async () => {
    const visitor = await newVisitor(t, website);
    const socket = await ready(visitor.token);
    expect(socket.frames.find((f) => f.type === 'ready')).toEqual({ type: 'ready', online: false, conversations: [] });
    const first = await visitorSays(t, website, visitor.token, 'Hello?');
    await socket.until('the new conversation', (f) => f.type === 'conversation' && f.conversation.id === first.conversationId && f.conversation.status === 'open');
    await socket.until('the first message', (f) => f.type === 'message' && f.message.id === first.id);
    // An agent reading the conversation is what the widget shows as "Seen".
    await expectStatus(200, t, 'POST', `/api/v1/conversations/${first.conversationId}/read`);
    await socket.until('the agent’s read', (f) => f.type === 'conversation' && f.conversation.status === 'open' && f.conversation.agentLastSeenAt !== null);
    await expectStatus(200, t, 'PATCH', `/api/v1/conversations/${first.conversationId}`, { status: 'resolved' });
    await socket.until('the resolution', (f) => f.type === 'conversation' && f.conversation.status === 'resolved');
  });

  async function allSent(conversationId: string): Promise<void> {
    await eventually('the replies sent', async () => {
      const stored = await repo(t.hub.db.manager, 'Message').findBy({ conversationId, direction: 'outbound' });
      return stored.every((m) => m.deliveryStatus === 'sent') ? true : undefined;
    });
  }

  /** What a resume must give: every message after the widget's last one once (per status), none before it. */
  function expectResumed(socket: WidgetSocket, before: string[], bodies: string[]): void {
    const received = socket.messages;
    expect(received.filter((m) => before.includes(m.id))).toEqual([]);
    expectNoRepeats(received);
    // What came from the database (before `ready`) came oldest first; the widget orders the rest by time.
    const readyAt = socket.frames.findIndex((f) => f.type === 'ready');
    const fromDatabase = socket.frames.slice(0, readyAt).flatMap((f) => (f.type === 'message' ? [f.message] : []));
    expect(fromDatabase.map((m) => m.createdAt)).toEqual([...fromDatabase.map((m) => m.createdAt)].sort());
    const byTime = [...new Map(received.map((m) => [m.id, m])).values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    expect(byTime.map((m) => m.body)).toEqual(bodies);
  }

  const bodies = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `m${from + i}`);

  it('resumes after the last message it has: each missed message once, in order, also with replies coming meanwhile', async () => {
    const visitor = await newVisitor(t, website);
    const first = await visitorSays(t, website, visitor.token, 'm0');
    const { conversationId } = first;
    const before = [first.id];
    for (const body of ['m1', 'm2']) before.push((await reply(conversationId, body)).id);
    for (const body of ['m3', 'm4']) await reply(conversationId, body);
    await allSent(conversationId);

    const socket = await WidgetSocket.open(t.url, website);
    sockets.push(socket);
    const during = (async () => {
      for (let i = 5; i < 15; i++) await reply(conversationId, `m${i}`);
    })();
    socket.send({ type: 'hello', token: visitor.token, after: before[before.length - 1] });
    await during;
    await eventually('every missed message on the socket', () => (socket.messages.filter((m) => m.status === 'sent').length === 12 ? true : undefined));
    await socket.until('ready', (f) => f.type === 'ready');
    expectResumed(socket, before, bodies(3, 14));
  });

  it('sorts out the events that arrive while it reads the database: nothing twice, nothing lost', async () => {
    const visitor = await newVisitor(t, website);
    const first = await visitorSays(t, website, visitor.token, 'm0');
    const { conversationId } = first;
    const before = [first.id, (await reply(conversationId, 'm1')).id];
    await allSent(conversationId);

    // The socket's read of the database waits until ten replies were stored, sent, and their events
    // reached this process: they are both in what it reads and among the live events it holds meanwhile.
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const read = jest.spyOn(history, 'visitorHistory');
    read.mockImplementationOnce(async (...args) => {
      await gate;
      read.mockRestore();
      return history.visitorHistory(...args);
    });
    const stream = await SseClient.connect(`${t.url}/api/v1/events?conversationId=${conversationId}&types=message.updated`, { key: t.apiKey });
    try {
      const socket = await WidgetSocket.open(t.url, website);
      sockets.push(socket);
      socket.send({ type: 'hello', token: visitor.token, after: before[1] });
      await eventually('the resume to start', () => (read.mock.calls.length === 1 ? true : undefined));
      const ids: string[] = [];
      for (let i = 2; i < 12; i++) ids.push((await reply(conversationId, `m${i}`)).id);
      await stream.until('the replies’ updates', (c) => ids.every((id) => c.events.some((e) => e.data.includes(id))));
      expect(socket.frames).toEqual([]);
      release();
      await socket.until('ready', (f) => f.type === 'ready');
      // And a reply after the resume still arrives.
      const after = await reply(conversationId, 'm12');
      await socket.until('the reply after ready', (f) => f.type === 'message' && f.message.id === after.id && f.message.status === 'sent');
      expectResumed(socket, before, bodies(2, 12));
    } finally {
      read.mockRestore();
      await stream.close();
    }
  });

  it('receives on a socket held by a second, API-only hub process what the first one produces', async () => {
    let other: Hub | undefined;
    try {
      other = await startHub(t.environment.config, 'api', pino({ level: 'silent' }), process.env.PATH ?? '');
      if (!other.url) throw new Error('the second hub has no HTTP address');
      const visitor = await newVisitor(t, website);
      const first = await visitorSays(t, website, visitor.token, 'hello from the first hub');
      const onB = await ready(visitor.token, first.id, other.url);
      const sent = await reply(first.conversationId, 'reply posted on hub A');
      await onB.until('the reply on hub B', (f) => f.type === 'message' && f.message.id === sent.id);
      await onB.until('the reply as sent, on hub B', (f) => f.type === 'message' && f.message.id === sent.id && f.message.status === 'sent');
      expectNoRepeats(onB.messages);
      onB.close();
    } finally {
      await other?.stop();
    }
  });

  it('moves an agent’s message to delivered and read on the widget’s receipts, never backwards', async () => {
    const visitor = await newVisitor(t, website);
    const first = await visitorSays(t, website, visitor.token, 'ping me');
    const socket = await ready(visitor.token);
    const sent = await reply(first.conversationId, 'pong');
    await socket.until('the reply as sent', (f) => f.type === 'message' && f.message.id === sent.id && f.message.status === 'sent');
    const status = async () => (await expectStatus<{ items: MessageItem[] }>(200, t, 'GET', `/api/v1/conversations/${first.conversationId}/messages`)).items.find((m) => m.id === sent.id)?.deliveryStatus;

    socket.send({ type: 'received', messageId: sent.id });
    await eventually('delivered', async () => ((await status()) === 'delivered' ? true : undefined));
    socket.send({ type: 'read', messageId: sent.id });
    await eventually('read', async () => ((await status()) === 'read' ? true : undefined));
    await socket.until('the reply as read', (f) => f.type === 'message' && f.message.id === sent.id && f.message.status === 'read');
    socket.send({ type: 'received', messageId: sent.id });
    // Receipts of the visitor's own messages change nothing either.
    socket.send({ type: 'read', messageId: first.id });
    socket.send({ type: 'ping' });
    await socket.until('pong', (f) => f.type === 'pong');
    expect(await status()).toBe('read');
    expect((await repo(t.hub.db.manager, 'Message').findOneByOrFail({ id: first.id })).deliveryStatus).toBe('received');

    // Another visitor's message is not found, and nothing moves.
    const stranger = await newVisitor(t, website);
    const theirs = await visitorSays(t, website, stranger.token, 'mine');
    const theirReply = await reply(theirs.conversationId, 'for the stranger');
    socket.send({ type: 'read', messageId: theirReply.id });
    const error = await socket.until<Extract<ServerFrame, { type: 'error' }>>('an error', (f) => f.type === 'error');
    expect(error.error.code).toBe('not_found');
    expect((await repo(t.hub.db.manager, 'Message').findOneByOrFail({ id: theirReply.id })).deliveryStatus).not.toBe('read');
    expectNoRepeats(socket.messages);
  });

  it('relays typing both ways: the visitor’s to the event stream, an agent’s to the socket', async () => {
    const visitor = await newVisitor(t, website);
    const first = await visitorSays(t, website, visitor.token, 'typing test');
    const socket = await ready(visitor.token);
    const stream = await SseClient.connect(`${t.url}/api/v1/events?conversationId=${first.conversationId}`, { key: t.apiKey });
    try {
      socket.send({ type: 'typing', typing: true });
      const typing = await stream.until('conversation.typing', (c) => c.events.find((e) => e.event === 'conversation.typing'));
      expect(typing.id).toBeUndefined();
      expect(JSON.parse(typing.data)).toEqual({ type: 'conversation.typing', conversationId: first.conversationId, occurredAt: expect.any(String) as unknown, data: { typing: true, from: 'visitor' } });
      socket.send({ type: 'typing', typing: false });
      await stream.until('typing stopped', (c) => c.events.some((e) => e.event === 'conversation.typing' && e.data.includes('"typing":false')));
    } finally {
      await stream.close();
    }

    const agent = await expectStatus<{ id: string }>(201, t, 'POST', '/api/v1/agents', { name: 'Grace Hopper', email: `grace-${engine}@example.com` });
    const { key } = await createApiKey(t.hub.db, { name: 'grace', scopes: ['read', 'write'], agentId: agent.id });
    await expectStatus(204, t, 'POST', `/api/v1/conversations/${first.conversationId}/typing`, { typing: true }, { key });
    const frame = await socket.until<Extract<ServerFrame, { type: 'typing' }>>('typing', (f) => f.type === 'typing');
    expect(frame).toEqual({ type: 'typing', conversationId: first.conversationId, typing: true, name: 'Grace Hopper' });
    // A read-only key may not, and an unknown conversation is not found.
    const { key: reader } = await createApiKey(t.hub.db, { name: 'reader', scopes: ['read'] });
    await expectStatus(403, t, 'POST', `/api/v1/conversations/${first.conversationId}/typing`, { typing: true }, { key: reader });
    await expectStatus(404, t, 'POST', `/api/v1/conversations/${agent.id}/typing`, { typing: true });
    await expectStatus(400, t, 'POST', `/api/v1/conversations/${first.conversationId}/typing`, { typing: 'yes' });
  });

  it('closes with 4401 a socket that says no hello within 10 seconds', async () => {
    const socket = await WidgetSocket.open(t.url, website);
    sockets.push(socket);
    const opened = Date.now();
    expect((await socket.whenClosed(15_000)).code).toBe(4401);
    expect(Date.now() - opened).toBeGreaterThanOrEqual(9_500);
  }, 20_000);

  it('answers a frame it does not understand, and a second hello, with an error frame', async () => {
    const visitor = await newVisitor(t, website);
    const socket = await ready(visitor.token);
    socket.ws.send('not json');
    await socket.until('an error', (f) => f.type === 'error' && f.error.code === 'validation_failed');
    socket.send({ type: 'hello', token: visitor.token });
    await socket.until('an error', (f) => f.type === 'error' && f.error.code === 'already_identified');
  });
});

import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { newId } from '../../src/core/ids';
import { insertRows } from '../../src/core/model/schemas';
import type { Website } from '../../src/core/model/types';
import type { ServerFrame, VisitorSession, WidgetMessage } from '../../src/channels/widget/protocol';
import { waitFor } from './processes';
import type { TestHub } from './hub';

/** Where the test websites' pages live. */
export const SHOP_ORIGIN = 'https://shop.example.com';
export const ELSEWHERE = 'https://evil.example.net';

/**
 * Rate limits high enough that a test file's many visitors (all from 127.0.0.1) never meet them; the
 * rate-limit tests set their own.
 */
export const GENEROUS_LIMITS: Record<string, string> = {
  WIDGET_MESSAGES_PER_MINUTE_PER_VISITOR: '10000',
  WIDGET_MESSAGES_PER_MINUTE_PER_IP: '100000',
  WIDGET_CONVERSATIONS_PER_HOUR_PER_VISITOR: '10000',
  WIDGET_CONVERSATIONS_PER_HOUR_PER_IP: '100000',
  WIDGET_UPLOADS_PER_HOUR_PER_VISITOR: '10000',
  WIDGET_UPLOADS_PER_HOUR_PER_IP: '100000',
  WIDGET_VISITORS_PER_HOUR_PER_IP: '100000',
  WIDGET_PAGE_VIEWS_PER_HOUR_PER_VISITOR: '10000',
};

/** A website row as the admin API would create it (with its inbox), straight into the database. */
export async function createWebsite(t: TestHub, overrides: Partial<Website> = {}): Promise<Website> {
  const now = new Date();
  const website: Website = {
    id: newId(),
    key: `wk_${randomBytes(8).toString('hex')}`,
    name: 'Test shop',
    allowedOrigins: [SHOP_ORIGIN],
    color: '#0055ff',
    greeting: null,
    awayMessage: null,
    position: 'right',
    locale: null,
    teamId: null,
    identitySecret: randomBytes(32).toString('hex'),
    requireVerifiedIdentity: false,
    preChatForm: false,
    recordPageViews: true,
    keepQueryStrings: false,
    followUpDelayHours: null,
    transcriptOnResolve: null,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
  await insertRows(t.hub.db.manager, 'Website', website);
  await insertRows(t.hub.db.manager, 'Inbox', { id: newId(), channel: 'widget', address: website.id, name: null, teamId: website.teamId, createdAt: now, updatedAt: now });
  return website;
}

/** What the site's backend computes for `identify`. */
export function userHash(website: Website, userId: string): string {
  return createHmac('sha256', website.identitySecret).update(userId).digest('hex');
}

export interface WidgetReply<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export interface WidgetRequest {
  method?: string;
  json?: unknown;
  body?: RequestInit['body'];
  token?: string;
  /** The page origin (Origin header); null sends none. Default: the shop's. */
  origin?: string | null;
  /** The website key, as the header; null sends none. */
  website?: string | null;
  headers?: Record<string, string>;
  /** Another hub's base URL. */
  baseUrl?: string;
}

/** A request to /widget/v1 as the widget sends it from a page on the shop. */
export async function widget<T = unknown>(t: TestHub, website: Pick<Website, 'key'>, path: string, options: WidgetRequest = {}): Promise<WidgetReply<T>> {
  const headers = new Headers(options.headers);
  const origin = options.origin === undefined ? SHOP_ORIGIN : options.origin;
  if (origin !== null) headers.set('origin', origin);
  const key = options.website === undefined ? website.key : options.website;
  if (key !== null) headers.set('x-switchboard-website', key);
  if (options.token) headers.set('authorization', `Bearer ${options.token}`);
  if (options.json !== undefined) headers.set('content-type', 'application/json');
  const response = await fetch(`${options.baseUrl ?? t.url}/widget/v1${path}`, {
    method: options.method ?? (options.json !== undefined || options.body !== undefined ? 'POST' : 'GET'),
    headers,
    body: options.json !== undefined ? JSON.stringify(options.json) : options.body,
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the text
  }
  return { status: response.status, body: body as T, headers: response.headers };
}

/** Like `widget`, failing with the answer unless it has the expected status. */
export async function widgetOk<T = unknown>(status: number, t: TestHub, website: Pick<Website, 'key'>, path: string, options: WidgetRequest = {}): Promise<T> {
  const reply = await widget<T>(t, website, path, options);
  if (reply.status !== status) throw new Error(`${options.method ?? 'GET/POST'} /widget/v1${path} answered ${reply.status}, expected ${status}: ${JSON.stringify(reply.body)}`);
  return reply.body;
}

export async function newVisitor(t: TestHub, website: Pick<Website, 'key'>): Promise<VisitorSession> {
  return widgetOk<VisitorSession>(201, t, website, '/visitors', { method: 'POST' });
}

/** A visitor's message; a fresh clientId unless one is given. */
export async function visitorSays(t: TestHub, website: Pick<Website, 'key'>, token: string, body: string, clientId: string = randomUUID()): Promise<WidgetMessage> {
  const sent = await widgetOk<{ message: WidgetMessage }>(201, t, website, '/messages', { token, json: { clientId, body } });
  return sent.message;
}

/** A widget socket, recording every frame it receives. */
export class WidgetSocket {
  readonly frames: ServerFrame[] = [];
  closed?: { code: number; reason: string };

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => this.frames.push(JSON.parse(data.toString('utf8')) as ServerFrame));
    ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }

  /** Opens a socket from the shop's page; rejects with the refusal (status and JSON body) when the upgrade is refused. */
  static open(baseUrl: string, website: Pick<Website, 'key'>, origin: string = SHOP_ORIGIN): Promise<WidgetSocket> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/widget/v1/socket?website=${encodeURIComponent(website.key)}`, { origin });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new WidgetSocket(ws)));
      ws.once('unexpected-response', (_req, res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => reject(new SocketRefused(res.statusCode ?? 0, text)));
      });
      ws.once('error', reject);
    });
  }

  /** Opens a socket, says hello and waits for `ready`. */
  static async ready(baseUrl: string, website: Pick<Website, 'key'>, token: string, after?: string): Promise<WidgetSocket> {
    const socket = await WidgetSocket.open(baseUrl, website);
    socket.send({ type: 'hello', token, ...(after ? { after } : {}) });
    await socket.until('ready', (f) => f.type === 'ready');
    return socket;
  }

  send(frame: unknown): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Every `message` frame's message, in the order received. */
  get messages(): WidgetMessage[] {
    return this.frames.flatMap((frame) => (frame.type === 'message' ? [frame.message] : []));
  }

  async until<T extends ServerFrame>(what: string, match: (frame: ServerFrame) => boolean, timeoutMs = 10_000): Promise<T> {
    return waitFor(`a ${what} frame (got ${this.frames.map((f) => f.type).join(', ') || 'none'}${this.closed ? `; closed ${this.closed.code}` : ''})`, () => this.frames.find(match) as T | undefined, timeoutMs, 10);
  }

  async whenClosed(timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
    return waitFor('the socket to close', () => this.closed, timeoutMs, 10);
  }

  close(): void {
    this.ws.close();
  }
}

export class SocketRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`the socket upgrade was refused with ${status}: ${body}`);
  }
}

import { randomUUID } from 'node:crypto';
import type { TestHub } from './hub';

/** Response shapes of the Agent API, as the tests read them. */

export interface ErrorBody {
  error: { code: string; message: string; details?: { path: string; message: string; code: string; allowed?: string[] }[] };
}

/** The error code of a response body, or undefined when it is not the JSON error shape. */
export function errorCode(body: unknown): string | undefined {
  const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'string' ? code : undefined;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface ContactItem {
  id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  attributes: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export interface ConversationItem {
  id: string;
  contactId: string;
  channel: string;
  status: 'open' | 'pending' | 'snoozed' | 'resolved';
  assigneeId: string | null;
  teamId: string | null;
  priority: string;
  tags: string[];
  snoozedUntil: string | null;
  firstResponseAt: string | null;
  resolvedAt: string | null;
  agentLastSeenAt: string | null;
  lastMessageAt: string;
  lastMessagePreview: string | null;
  createdAt: string;
  updatedAt: string;
  contact: { id: string; name: string | null; email: string | null; phone: string | null };
  assignee: { id: string; name: string; email: string } | null;
  unreadCount: number;
  firstResponseSeconds: number | null;
  resolutionSeconds: number | null;
}

export interface MessageItem {
  id: string;
  conversationId: string;
  channel: string;
  direction: 'inbound' | 'outbound';
  senderKind: string;
  senderId: string | null;
  body: string;
  attachments: { url: string; contentType?: string; name?: string; size?: number }[];
  externalId: string | null;
  deliveryStatus: string;
  failureReason: string | null;
  private: boolean;
  metadata: Record<string, unknown>;
  createdAt: string;
}

export interface AgentItem {
  id: string;
  name: string;
  email: string;
  slackUserId: string | null;
  status: 'online' | 'away' | 'offline';
  capacity: number;
}

export interface TeamItem {
  id: string;
  name: string;
}

export interface AuditItem {
  id: string;
  actorType: string;
  actorId: string | null;
  action: string;
  entityType: string;
  entityId: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  createdAt: string;
}

export interface InboundIds {
  contactId: string;
  conversationId: string;
  messageId: string;
  duplicate: boolean;
}

export interface Reply<T> {
  status: number;
  body: T;
  headers: Headers;
}

/** A request whose response body is read as `T` (the tests check the status before trusting it). */
export async function api<T = unknown>(t: TestHub, method: string, path: string, json?: unknown, options: { key?: string | null; headers?: Record<string, string> } = {}): Promise<Reply<T>> {
  const res = await t.request(path, { method, json, key: options.key, headers: options.headers });
  return { status: res.status, body: res.body as T, headers: res.headers };
}

/** Like `api`, but fails with the response in the message unless the status is the expected one. */
export async function expectStatus<T = unknown>(
  status: number,
  t: TestHub,
  method: string,
  path: string,
  json?: unknown,
  options: { key?: string | null; headers?: Record<string, string> } = {},
): Promise<T> {
  const res = await api<T>(t, method, path, json, options);
  if (res.status !== status) throw new Error(`${method} ${path} answered ${res.status}, expected ${status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

export interface InboundContact {
  externalId?: string;
  name?: string;
  email?: string;
  phone?: string;
}

/** A customer message through `POST /api/v1/inbound`; a fresh external id unless the contact names one. */
export async function inbound(t: TestHub, contact: InboundContact = {}, body = 'Hello, I need help', sourceId = `src-${randomUUID()}`): Promise<InboundIds> {
  const identified = contact.externalId !== undefined || contact.email !== undefined || contact.phone !== undefined;
  const who = identified ? contact : { ...contact, externalId: `cust-${randomUUID()}` };
  return expectStatus<InboundIds>(202, t, 'POST', '/api/v1/inbound', { sourceId, contact: who, body });
}

/** Every item of a paged list, following nextCursor; fails on a page that is not 200. */
export async function allPages<T>(t: TestHub, path: string, limit = 100): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const separator = path.includes('?') ? '&' : '?';
    const url: string = `${path}${separator}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const body: Page<T> = await expectStatus<Page<T>>(200, t, 'GET', url);
    items.push(...body.items);
    cursor = body.nextCursor;
    if (!cursor) return items;
  }
  throw new Error(`${path}: more than 1000 pages`);
}

/** Polls `check` until it returns something other than undefined, or fails naming `what`. */
export async function eventually<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const result = await check();
      if (result !== undefined) return result;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? ` (last error: ${last.message})` : ''}`);
    await sleep(intervalMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function ids(items: readonly { id: string }[]): string[] {
  return items.map((item) => item.id);
}

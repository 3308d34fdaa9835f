import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createApiKey } from '../../src/core/api-keys';
import { repo } from '../../src/core/model/schemas';
import { TIMERS_QUEUE, type WakeJob } from '../../src/core/outbox';
import {
  allPages,
  api,
  errorCode,
  eventually,
  expectStatus,
  ids,
  inbound,
  sleep,
  type AgentItem,
  type ConversationItem,
  type ErrorBody,
  type MessageItem,
  type Page,
  type TeamItem,
} from '../support/agent-api';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';

/**
 * The conversation side of the Agent API on a real hub: listing with every filter and stable cursor
 * pagination, one conversation and its messages, and PATCH with the status rules, assignment, team,
 * priority, tags, first-response and resolution times.
 */

const HOUR = 3600_000;

function sorted(values: Iterable<string>): string[] {
  return [...values].sort();
}

describe.each(ENGINES)('Agent API conversations on %s', (engine) => {
  let t: TestHub;
  let alice: AgentItem;
  let bob: AgentItem;
  let team: TeamItem;
  /** A read/write key that acts as Alice. */
  let aliceKey: string;

  beforeAll(async () => {
    t = await startTestHub(engine);
    alice = await expectStatus<AgentItem>(201, t, 'POST', '/api/v1/agents', { name: 'Alice Agent', email: 'alice@agents.test' });
    bob = await expectStatus<AgentItem>(201, t, 'POST', '/api/v1/agents', { name: 'Bob Agent', email: 'bob@agents.test' });
    team = await expectStatus<TeamItem>(201, t, 'POST', '/api/v1/teams', { name: 'Billing' });
    aliceKey = (await createApiKey(t.hub.db, { name: 'alice console', scopes: ['read', 'write'], agentId: alice.id })).key;
  });
  afterAll(async () => {
    await t.stop();
  });

  function patch(id: string, body: unknown, key?: string) {
    return api<ConversationItem & ErrorBody>(t, 'PATCH', `/api/v1/conversations/${id}`, body, { key });
  }

  async function patchOk(id: string, body: unknown, key?: string): Promise<ConversationItem> {
    return expectStatus<ConversationItem>(200, t, 'PATCH', `/api/v1/conversations/${id}`, body, { key });
  }

  function getConversation(id: string): Promise<ConversationItem> {
    return expectStatus<ConversationItem>(200, t, 'GET', `/api/v1/conversations/${id}`);
  }

  describe('GET /conversations filters', () => {
    let a: string;
    let b: string;
    let c: string;
    let d: string;
    let fixture: Set<string>;
    let since: string;

    beforeAll(async () => {
      a = (await inbound(t, { externalId: 'filter-a', name: 'Zora Filterton', email: 'zora.filterton@filters.test', phone: '+14155550101' }, 'Where is my parcel?')).conversationId;
      b = (await inbound(t, { externalId: 'filter-b', name: 'Yuri Example', email: 'yuri@filters.test' })).conversationId;
      c = (await inbound(t, { externalId: 'filter-c', name: 'Xavier 100% Real', phone: '+442079460958' })).conversationId;
      d = (await t.hub.ingestor.ingest({ channel: 'sms', externalId: `SM${randomUUID()}`, sender: { address: '+14155550104', phone: '+14155550104', name: 'Wanda Texter' }, body: 'by sms' }))
        .conversationId;
      fixture = new Set([a, b, c, d]);

      await patchOk(a, { status: 'pending', assigneeId: alice.id, teamId: team.id, tags: ['vip', 'plan_a'] });
      await patchOk(b, { assigneeId: bob.id, tags: ['planxa', 'größe'] });
      await patchOk(c, { status: 'resolved' });

      // Timestamps have millisecond precision: keep the changes before and after `since` apart.
      await sleep(20);
      since = new Date().toISOString();
      await sleep(20);
      await patchOk(b, { priority: 'high' });
    });

    /** The fixture conversations a filtered listing returns, after checking every returned item matches. */
    async function listed(query: string, check: (item: ConversationItem) => boolean = () => true, key?: string): Promise<string[]> {
      const items: ConversationItem[] = [];
      let cursor: string | null = null;
      do {
        const path: string = `/api/v1/conversations?${query}&limit=100${cursor ? `&cursor=${cursor}` : ''}`;
        const page: Page<ConversationItem> = await expectStatus<Page<ConversationItem>>(200, t, 'GET', path, undefined, { key });
        items.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      const wrong = items.filter((item) => !check(item));
      if (wrong.length > 0) throw new Error(`${query} returned items that do not match it: ${JSON.stringify(wrong.map((w) => ({ id: w.id, status: w.status, assigneeId: w.assigneeId, tags: w.tags })))}`);
      return sorted(ids(items).filter((id) => fixture.has(id)));
    }

    it('filters by status', async () => {
      expect(await listed('status=pending', (i) => i.status === 'pending')).toEqual(sorted([a]));
      expect(await listed('status=resolved', (i) => i.status === 'resolved')).toEqual(sorted([c]));
      expect(await listed('status=open', (i) => i.status === 'open')).toEqual(sorted([b, d]));
      expect(await listed('status=snoozed', (i) => i.status === 'snoozed')).toEqual([]);
    });

    it('filters by channel', async () => {
      expect(await listed('channel=sms', (i) => i.channel === 'sms')).toEqual(sorted([d]));
      expect(await listed('channel=api', (i) => i.channel === 'api')).toEqual(sorted([a, b, c]));
    });

    it('filters by assignee: an agent id, me (the key’s agent) and none', async () => {
      expect(await listed(`assignee=${alice.id}`, (i) => i.assigneeId === alice.id)).toEqual(sorted([a]));
      expect(await listed(`assignee=${bob.id}`, (i) => i.assigneeId === bob.id)).toEqual(sorted([b]));
      expect(await listed('assignee=me', (i) => i.assigneeId === alice.id, aliceKey)).toEqual(sorted([a]));
      expect(await listed('assignee=none', (i) => i.assigneeId === null)).toEqual(sorted([c, d]));

      const noAgent = await api<ErrorBody>(t, 'GET', '/api/v1/conversations?assignee=me');
      expect(noAgent.status).toBe(400);
      expect(noAgent.body.error.code).toBe('validation_failed');
      expect(noAgent.body.error.details).toEqual([expect.objectContaining({ path: 'assignee', code: 'no_agent' })]);
      expect((await api(t, 'GET', '/api/v1/conversations?assignee=somebody')).status).toBe(400);
    });

    it('filters by team', async () => {
      expect(await listed(`team=${team.id}`, (i) => i.teamId === team.id)).toEqual(sorted([a]));
      expect(await listed(`team=${randomUUID()}`)).toEqual([]);
    });

    it('filters by tag, matching whole tags exactly', async () => {
      expect(await listed('tag=vip', (i) => i.tags.includes('vip'))).toEqual(sorted([a]));
      expect(await listed('tag=planxa', (i) => i.tags.includes('planxa'))).toEqual(sorted([b]));
      expect(await listed(`tag=${encodeURIComponent('größe')}`, (i) => i.tags.includes('größe'))).toEqual(sorted([b]));
      // `_` and `%` are not wildcards and a tag is not a prefix or a part of another tag.
      expect(await listed('tag=plan_a', (i) => i.tags.includes('plan_a'))).toEqual(sorted([a]));
      expect(await listed('tag=vi', (i) => i.tags.includes('vi'))).toEqual([]);
      expect(await listed('tag=plan', (i) => i.tags.includes('plan'))).toEqual([]);
      // Tags are stored as given and matched as given, on every engine.
      expect(await listed('tag=VIP', (i) => i.tags.includes('VIP'))).toEqual([]);
    });

    it('filters by contact', async () => {
      const conversation = await getConversation(a);
      expect(await listed(`contact=${conversation.contactId}`, (i) => i.contactId === conversation.contactId)).toEqual(sorted([a]));
    });

    it('filters by updatedSince', async () => {
      expect(await listed(`updatedSince=${encodeURIComponent(since)}`, (i) => i.updatedAt >= since)).toEqual(sorted([b]));
      expect(await listed('updatedSince=2000-01-01T00:00:00Z')).toEqual(sorted([a, b, c, d]));
      expect((await api(t, 'GET', '/api/v1/conversations?updatedSince=yesterday')).status).toBe(400);
    });

    it('searches q over the contact’s name, email and phone', async () => {
      expect(await listed('q=filterton')).toEqual(sorted([a]));
      expect(await listed('q=ZORA.FILTERTON%40')).toEqual(sorted([a]));
      expect(await listed('q=yuri%40filters')).toEqual(sorted([b]));
      expect(await listed(`q=${encodeURIComponent('+14155550101')}`)).toEqual(sorted([a]));
      expect(await listed(`q=${encodeURIComponent('+1415555010')}`)).toEqual(sorted([a, d]));
      expect(await listed('q=2079460958')).toEqual(sorted([c]));
      expect(await listed('q=wanda')).toEqual(sorted([d]));
      // LIKE wildcards in q are plain text.
      expect(await listed(`q=${encodeURIComponent('%')}`)).toEqual(sorted([c]));
      expect(await listed(`q=${encodeURIComponent('z_ra')}`)).toEqual([]);
      expect(await listed('q=nobody-has-this-name')).toEqual([]);
    });

    it('searches q case-insensitively beyond ASCII, the same on every engine', async () => {
      const { conversationId } = await inbound(t, { externalId: 'filter-e', name: 'Örjan Ölund-Çelik' });
      for (const q of ['örjan', 'ÖRJAN', 'ölund-çelik', 'ÇELIK']) {
        const page = await expectStatus<Page<ConversationItem>>(200, t, 'GET', `/api/v1/conversations?q=${encodeURIComponent(q)}`);
        expect({ q, found: ids(page.items) }).toEqual({ q, found: [conversationId] });
      }
    });

    it('combines filters', async () => {
      expect(await listed('status=open&assignee=none', (i) => i.status === 'open' && i.assigneeId === null)).toEqual(sorted([d]));
      expect(await listed('status=open&channel=api&q=yuri')).toEqual(sorted([b]));
    });

    it('gives each item its contact, last message preview, unread count, assignee and status', async () => {
      const page = await expectStatus<Page<ConversationItem>>(200, t, 'GET', `/api/v1/conversations?q=filterton`);
      expect(page.items).toHaveLength(1);
      const { contactId } = await getConversation(a);
      expect(page.items[0]).toMatchObject({
        id: a,
        status: 'pending',
        assigneeId: alice.id,
        assignee: { id: alice.id, name: 'Alice Agent', email: 'alice@agents.test' },
        teamId: team.id,
        tags: ['vip', 'plan_a'],
        contact: { id: contactId, name: 'Zora Filterton', email: 'zora.filterton@filters.test', phone: '+14155550101' },
        lastMessagePreview: 'Where is my parcel?',
        unreadCount: 1,
      });
      const unassigned = (await expectStatus<Page<ConversationItem>>(200, t, 'GET', `/api/v1/conversations?q=wanda`)).items[0];
      expect(unassigned).toMatchObject({ id: d, assignee: null, assigneeId: null, status: 'open', channel: 'sms', lastMessagePreview: 'by sms', unreadCount: 1 });
    });

    it('refuses bad filters with 400', async () => {
      for (const query of ['status=closed', 'team=not-a-uuid', 'contact=42', 'tag=has%20space', 'unknown=1', 'q=']) {
        const res = await api<ErrorBody>(t, 'GET', `/api/v1/conversations?${query}`);
        expect({ query, status: res.status, code: errorCode(res.body) }).toEqual({ query, status: 400, code: 'validation_failed' });
      }
    });
  });

  describe('unread counts and previews', () => {
    it('counts customer messages since an agent last read the conversation; POST /read resets it', async () => {
      const contact = { externalId: `unread-${randomUUID()}`, name: 'Una Read' };
      const first = await inbound(t, contact, 'one');
      await inbound(t, contact, 'two');
      await inbound(t, contact, 'three');
      const id = first.conversationId;
      expect(await getConversation(id)).toMatchObject({ unreadCount: 3, agentLastSeenAt: null, lastMessagePreview: 'three' });

      const read = await expectStatus<ConversationItem>(200, t, 'POST', `/api/v1/conversations/${id}/read`);
      expect(read.unreadCount).toBe(0);
      expect(read.agentLastSeenAt).not.toBeNull();
      const listedItem = (await expectStatus<Page<ConversationItem>>(200, t, 'GET', `/api/v1/conversations?contact=${first.contactId}`)).items[0];
      expect(listedItem?.unreadCount).toBe(0);

      // An agent's own reply is not unread; the customer's next message is.
      await expectStatus(201, t, 'POST', `/api/v1/conversations/${id}/messages`, { body: 'Looking into it' });
      expect((await getConversation(id)).unreadCount).toBe(0);
      await sleep(5);
      await inbound(t, contact, 'four');
      expect(await getConversation(id)).toMatchObject({ unreadCount: 1, lastMessagePreview: 'four' });

      expect((await api<ErrorBody>(t, 'POST', `/api/v1/conversations/${randomUUID()}/read`)).status).toBe(404);
    });

    it('previews the last message on one line, cut to 200 characters', async () => {
      const long = `Line one\n\n  line two ${'x'.repeat(300)}`;
      const { conversationId } = await inbound(t, {}, long);
      const preview = (await getConversation(conversationId)).lastMessagePreview ?? '';
      expect(preview).toHaveLength(200);
      expect(preview.startsWith('Line one line two xxx')).toBe(true);
      expect(preview.endsWith('…')).toBe(true);
    });
  });

  describe('GET /conversations pagination', () => {
    it('pages newest activity first without skipping or repeating a conversation while new ones arrive', async () => {
      // Some conversations share a millisecond: the order breaks ties by id.
      for (let batch = 0; batch < 5; batch++) {
        await Promise.all(Array.from({ length: 6 }, (_, i) => inbound(t, { externalId: `page-${batch}-${i}` }, `page ${batch}/${i}`)));
      }
      const existing = await repo(t.hub.db.manager, 'Conversation').find({ select: { id: true } });
      expect(existing.length).toBeGreaterThanOrEqual(30);

      const seen: string[] = [];
      const pages: ConversationItem[][] = [];
      let cursor: string | null = null;
      let inserted = 0;
      for (let page = 0; page < 100; page++) {
        const path: string = `/api/v1/conversations?limit=7${cursor ? `&cursor=${cursor}` : ''}`;
        // New conversations arrive while this page is read and before the next one is asked for.
        const [body] = await Promise.all([
          expectStatus<Page<ConversationItem>>(200, t, 'GET', path),
          ...Array.from({ length: 3 }, () => inbound(t, { externalId: `during-paging-${++inserted}` }, 'arrived while paging')),
        ]);
        pages.push(body.items);
        seen.push(...ids(body.items));
        cursor = body.nextCursor;
        if (!cursor) break;
        expect(body.items).toHaveLength(7);
      }
      expect(cursor).toBeNull();

      const repeated = seen.filter((id, i) => seen.indexOf(id) !== i);
      expect(repeated).toEqual([]);
      const seenSet = new Set(seen);
      const skipped = existing.map((c) => c.id).filter((id) => !seenSet.has(id));
      expect(skipped).toEqual([]);

      // Newest activity first across page boundaries.
      const order = pages.flat().map((c) => [c.lastMessageAt, c.id] as const);
      for (let i = 1; i < order.length; i++) {
        const [prevAt, prevId] = order[i - 1] ?? ['', ''];
        const [at, id] = order[i] ?? ['', ''];
        expect(prevAt > at || (prevAt === at && prevId > id)).toBe(true);
      }
    });

    it('pages a filtered list the same way', async () => {
      const filtered = await allPages<ConversationItem>(t, '/api/v1/conversations?status=open', 3);
      const all = await allPages<ConversationItem>(t, '/api/v1/conversations?status=open', 100);
      expect(ids(filtered)).toEqual(ids(all));
      expect(filtered.every((c) => c.status === 'open')).toBe(true);
    });

    it('refuses limit over 100, limit 0 and bad cursors with 400', async () => {
      for (const query of ['limit=101', 'limit=0', 'limit=abc', 'cursor=not-a-cursor', `cursor=${Buffer.from('["x","y"]').toString('base64url')}`, `cursor=${Buffer.from('{}').toString('base64url')}`]) {
        const res = await api<ErrorBody>(t, 'GET', `/api/v1/conversations?${query}`);
        expect({ query, status: res.status, code: errorCode(res.body) }).toEqual({ query, status: 400, code: 'validation_failed' });
      }
      const over = await api<ErrorBody>(t, 'GET', '/api/v1/conversations?limit=101');
      expect(over.body.error.details).toEqual([expect.objectContaining({ path: 'limit' })]);
      const badCursor = await api<ErrorBody>(t, 'GET', '/api/v1/conversations?cursor=not-a-cursor');
      expect(badCursor.body.error.details).toEqual([expect.objectContaining({ path: 'cursor', code: 'invalid_cursor' })]);
      expect((await api(t, 'GET', '/api/v1/conversations?limit=100')).status).toBe(200);
    });
  });

  describe('GET /conversations/:id and its messages', () => {
    it('answers 404 for an unknown id and 400 for one that is not a uuid', async () => {
      const unknown = await api<ErrorBody>(t, 'GET', `/api/v1/conversations/${randomUUID()}`);
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('not_found');
      const bad = await api<ErrorBody>(t, 'GET', '/api/v1/conversations/not-a-uuid');
      expect(bad.status).toBe(400);
      expect(bad.body.error.details).toEqual([expect.objectContaining({ path: 'id' })]);
      expect((await api(t, 'GET', `/api/v1/conversations/${randomUUID()}/messages`)).status).toBe(404);
      expect((await api(t, 'GET', '/api/v1/conversations/not-a-uuid/messages')).status).toBe(400);
    });

    it('lists messages oldest first, with after/before cursors and hasMore', async () => {
      const contact = { externalId: `history-${randomUUID()}` };
      const first = await inbound(t, contact, 'm1');
      const id = first.conversationId;
      for (const body of ['m2', 'm3', 'm4']) {
        // Distinct timestamps, so that "oldest first" is the order they were sent in.
        await sleep(3);
        await inbound(t, contact, body);
      }
      await sleep(3);
      await expectStatus(201, t, 'POST', `/api/v1/conversations/${id}/messages`, { body: 'm5' });
      await sleep(3);
      await inbound(t, contact, 'm6');

      const all = await expectStatus<{ items: MessageItem[]; hasMore: boolean }>(200, t, 'GET', `/api/v1/conversations/${id}/messages`);
      expect(all.items.map((m) => m.body)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
      expect(all.hasMore).toBe(false);
      expect(all.items[4]).toMatchObject({ direction: 'outbound', senderKind: 'agent', private: false });
      expect(all.items[0]).toMatchObject({ id: first.messageId, direction: 'inbound', senderKind: 'contact', deliveryStatus: 'received' });
      const m = all.items.map((item) => item.id);

      const bodies = async (query: string) => {
        const page = await expectStatus<{ items: MessageItem[]; hasMore: boolean }>(200, t, 'GET', `/api/v1/conversations/${id}/messages?${query}`);
        return { bodies: page.items.map((item) => item.body), hasMore: page.hasMore };
      };
      expect(await bodies('limit=2')).toEqual({ bodies: ['m1', 'm2'], hasMore: true });
      expect(await bodies(`limit=2&after=${m[1] ?? ''}`)).toEqual({ bodies: ['m3', 'm4'], hasMore: true });
      expect(await bodies(`limit=2&after=${m[3] ?? ''}`)).toEqual({ bodies: ['m5', 'm6'], hasMore: false });
      expect(await bodies(`after=${m[5] ?? ''}`)).toEqual({ bodies: [], hasMore: false });
      expect(await bodies(`limit=2&before=${m[4] ?? ''}`)).toEqual({ bodies: ['m3', 'm4'], hasMore: true });
      expect(await bodies(`limit=2&before=${m[2] ?? ''}`)).toEqual({ bodies: ['m1', 'm2'], hasMore: false });
      expect(await bodies(`before=${m[0] ?? ''}`)).toEqual({ bodies: [], hasMore: false });

      const other = await inbound(t, {}, 'elsewhere');
      for (const query of [`after=${m[0] ?? ''}&before=${m[5] ?? ''}`, `after=${randomUUID()}`, `before=${other.messageId}`, 'after=nope', 'limit=101']) {
        const res = await api<ErrorBody>(t, 'GET', `/api/v1/conversations/${id}/messages?${query}`);
        expect({ query, status: res.status, code: errorCode(res.body) }).toEqual({ query, status: 400, code: 'validation_failed' });
      }
    });
  });

  describe('PATCH /conversations/:id', () => {
    it('moves status open → pending → open → snoozed → resolved → open', async () => {
      const { conversationId: id } = await inbound(t);
      expect((await patchOk(id, { status: 'pending' })).status).toBe('pending');
      expect((await patchOk(id, { status: 'open' })).status).toBe('open');

      const until = new Date(Date.now() + HOUR).toISOString();
      const snoozed = await patchOk(id, { status: 'snoozed', snoozedUntil: until });
      expect(snoozed).toMatchObject({ status: 'snoozed', snoozedUntil: until });

      const resolved = await patchOk(id, { status: 'resolved' });
      expect(resolved).toMatchObject({ status: 'resolved', snoozedUntil: null });
      expect(resolved.resolvedAt).not.toBeNull();
      const resolvedAt = Date.parse(resolved.resolvedAt ?? '');
      expect(resolvedAt).toBeGreaterThanOrEqual(Date.parse(resolved.createdAt));
      expect(resolved.resolutionSeconds).toBe(Math.round((resolvedAt - Date.parse(resolved.createdAt)) / 1000));

      const reopened = await patchOk(id, { status: 'open' });
      expect(reopened).toMatchObject({ status: 'open', resolvedAt: null, resolutionSeconds: null });
      expect((await getConversation(id)).status).toBe('open');
    });

    it('refuses resolved → pending and resolved → snoozed with 409 invalid_transition, changing nothing', async () => {
      const { conversationId: id } = await inbound(t);
      const resolved = await patchOk(id, { status: 'resolved' });
      for (const body of [{ status: 'pending' }, { status: 'snoozed', snoozedUntil: new Date(Date.now() + HOUR).toISOString() }]) {
        const res = await patch(id, { ...body, priority: 'urgent' });
        expect(res.status).toBe(409);
        expect(res.body.error.code).toBe('invalid_transition');
        expect(res.body.error.details).toEqual([{ path: 'status', message: expect.any(String) as unknown, code: 'invalid_transition', allowed: ['open'] }]);
      }
      const after = await getConversation(id);
      expect(after).toMatchObject({ status: 'resolved', priority: 'normal', resolvedAt: resolved.resolvedAt });
    });

    it('needs a future snoozedUntil to snooze, and snoozedUntil only with snoozed', async () => {
      const { conversationId: id } = await inbound(t);
      const cases: [unknown, string][] = [
        [{ status: 'snoozed' }, 'snoozedUntil'],
        [{ status: 'snoozed', snoozedUntil: new Date(Date.now() - 60_000).toISOString() }, 'snoozedUntil'],
        [{ status: 'snoozed', snoozedUntil: 'tomorrow' }, 'snoozedUntil'],
        [{ snoozedUntil: new Date(Date.now() + HOUR).toISOString() }, 'snoozedUntil'],
      ];
      for (const [body, path] of cases) {
        const res = await patch(id, body);
        expect({ body, status: res.status, code: errorCode(res.body) }).toEqual({ body, status: 400, code: 'validation_failed' });
        expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
      }
      expect(await getConversation(id)).toMatchObject({ status: 'open', snoozedUntil: null });
    });

    it('reopens a snoozed conversation at once when the customer writes', async () => {
      const contact = { externalId: `snoozer-${randomUUID()}` };
      const { conversationId: id } = await inbound(t, contact, 'first');
      await patchOk(id, { status: 'snoozed', snoozedUntil: new Date(Date.now() + HOUR).toISOString() });
      const again = await inbound(t, contact, 'are you there?');
      expect(again.conversationId).toBe(id);
      expect(await getConversation(id)).toMatchObject({ status: 'open', snoozedUntil: null, lastMessagePreview: 'are you there?' });
    });

    it('reopens a snoozed conversation by itself when snoozedUntil comes', async () => {
      const { conversationId: id } = await inbound(t);
      const until = new Date(Date.now() + 1500).toISOString();
      await patchOk(id, { status: 'snoozed', snoozedUntil: until });
      const woken = await eventually(
        'the snoozed conversation to reopen',
        async () => {
          const c = await getConversation(id);
          return c.status === 'open' ? c : undefined;
        },
        15_000,
        100,
      );
      expect(woken.snoozedUntil).toBeNull();
      expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(until));
      const audit = await expectStatus<Page<{ action: string; actorType: string; before: unknown; after: unknown }>>(200, t, 'GET', `/api/v1/audit?entityType=conversation&entityId=${id}`);
      expect(audit.items).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'conversation.woken', actorType: 'system', before: { status: 'snoozed', snoozedUntil: until }, after: { status: 'open' } })]));
    });

    it('keeps a conversation snoozed again until the new time: the earlier snooze’s job changes nothing', async () => {
      const redis = new Redis(t.hub.redisUrl, { maxRetriesPerRequest: null });
      const timers = new Queue<WakeJob>(TIMERS_QUEUE, { connection: redis, prefix: t.environment.prefix });
      try {
        const { conversationId: id } = await inbound(t);
        const soon = new Date(Date.now() + 1000).toISOString();
        const later = new Date(Date.now() + HOUR).toISOString();
        await patchOk(id, { status: 'snoozed', snoozedUntil: soon });
        await patchOk(id, { status: 'snoozed', snoozedUntil: later });
        const job = await eventually(
          'the first snooze’s wake job to complete',
          async () => (await timers.getJobs(['completed'])).find((j) => j.data.conversationId === id && j.data.snoozedUntil === soon),
          15_000,
          100,
        );
        expect(job.returnvalue).toBe('unchanged');
        expect(await getConversation(id)).toMatchObject({ status: 'snoozed', snoozedUntil: later });
      } finally {
        await timers.close();
        await redis.quit();
      }
    });

    it('assigns to an agent, to "me" for a key that acts as an agent, and unassigns', async () => {
      const { conversationId: id } = await inbound(t);
      expect(await patchOk(id, { assigneeId: bob.id })).toMatchObject({ assigneeId: bob.id, assignee: { id: bob.id, name: 'Bob Agent', email: 'bob@agents.test' } });
      expect(await patchOk(id, { assigneeId: 'me' }, aliceKey)).toMatchObject({ assigneeId: alice.id, assignee: { id: alice.id } });

      const noAgent = await patch(id, { assigneeId: 'me' });
      expect(noAgent.status).toBe(400);
      expect(noAgent.body.error.details).toEqual([expect.objectContaining({ path: 'assigneeId', code: 'no_agent' })]);

      const unknown = await patch(id, { assigneeId: randomUUID() });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.details).toEqual([expect.objectContaining({ path: 'assigneeId' })]);
      expect((await getConversation(id)).assigneeId).toBe(alice.id);

      expect(await patchOk(id, { assigneeId: null })).toMatchObject({ assigneeId: null, assignee: null });
    });

    it('sets team, priority and tags, and refuses unknown teams and bad values with 400', async () => {
      const { conversationId: id } = await inbound(t);
      expect(await patchOk(id, { teamId: team.id, priority: 'urgent', tags: ['refund', 'vip', 'refund'] })).toMatchObject({
        teamId: team.id,
        priority: 'urgent',
        tags: ['refund', 'vip'],
      });
      expect(await patchOk(id, { tags: [] })).toMatchObject({ tags: [], teamId: team.id, priority: 'urgent' });
      expect(await patchOk(id, { teamId: null })).toMatchObject({ teamId: null });

      const bad: [unknown, string][] = [
        [{ teamId: randomUUID() }, 'teamId'],
        [{ priority: 'critical' }, 'priority'],
        [{ tags: ['has space'] }, 'tags.0'],
        [{ status: 'closed' }, 'status'],
        [{ assigneeId: 'someone' }, 'assigneeId'],
        [{ color: 'red' }, 'color'],
        [{}, '(root)'],
      ];
      for (const [body, path] of bad) {
        const res = await patch(id, body);
        expect({ body, status: res.status, code: errorCode(res.body) }).toEqual({ body, status: 400, code: 'validation_failed' });
        expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
      }
      expect(await getConversation(id)).toMatchObject({ teamId: null, priority: 'urgent', tags: [], status: 'open' });

      expect((await patch(randomUUID(), { priority: 'low' })).status).toBe(404);
      expect((await patch('not-a-uuid', { priority: 'low' })).status).toBe(400);
    });

    it('records the first response time at the first reply that is not a private note, once', async () => {
      const { conversationId: id } = await inbound(t);
      await expectStatus(201, t, 'POST', `/api/v1/conversations/${id}/messages`, { body: 'internal: check the order first', private: true });
      expect(await getConversation(id)).toMatchObject({ firstResponseAt: null, firstResponseSeconds: null });

      const reply = await expectStatus<MessageItem>(201, t, 'POST', `/api/v1/conversations/${id}/messages`, { body: 'Hi, on it!' });
      const first = await getConversation(id);
      expect(first.firstResponseAt).toBe(reply.createdAt);
      expect(first.firstResponseSeconds).toBe(Math.round((Date.parse(reply.createdAt) - Date.parse(first.createdAt)) / 1000));

      await sleep(5);
      await expectStatus(201, t, 'POST', `/api/v1/conversations/${id}/messages`, { body: 'Done.' });
      await expectStatus(201, t, 'POST', `/api/v1/conversations/${id}/messages`, { body: 'another note', private: true });
      expect((await getConversation(id)).firstResponseAt).toBe(reply.createdAt);
    });
  });
});

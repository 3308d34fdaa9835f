import { randomUUID } from 'node:crypto';
import { createApiKey, revokeApiKey } from '../../src/core/api-keys';
import { repo } from '../../src/core/model/schemas';
import {
  allPages,
  api,
  errorCode,
  expectStatus,
  ids,
  inbound,
  sleep,
  type AgentItem,
  type AuditItem,
  type ContactItem,
  type ConversationItem,
  type ErrorBody,
  type Page,
  type TeamItem,
} from '../support/agent-api';
import { ENGINES } from '../support/env';
import { pngBytes } from '../support/files';
import { startTestHub, type TestHub } from '../support/hub';
import { TWILIO_TEST_ENV } from '../support/twilio';

/**
 * Contacts, agents and teams over the Agent API, the scopes every route requires, and the audit log
 * that every change made through the API writes.
 */

const ATTRIBUTES_MAX_BYTES = 512;

interface Operation {
  method: string;
  path: string;
  scope: 'read' | 'write' | 'admin';
  operationId: string;
}

describe.each(ENGINES)('Agent API directory on %s', (engine) => {
  let t: TestHub;
  /** Keys with one scope each; `admin` is also the actor the audit tests look for. */
  const keys = { read: '', write: '', admin: '' };
  let adminKeyId: string;

  beforeAll(async () => {
    // The SMS channel is on so that its routes get the same scope checks.
    t = await startTestHub(engine, { env: { CONTACT_ATTRIBUTES_MAX_BYTES: String(ATTRIBUTES_MAX_BYTES), ...TWILIO_TEST_ENV } });
    keys.read = (await createApiKey(t.hub.db, { name: 'reader', scopes: ['read'] })).key;
    keys.write = (await createApiKey(t.hub.db, { name: 'writer', scopes: ['write'] })).key;
    const admin = await createApiKey(t.hub.db, { name: 'admin', scopes: ['admin'] });
    keys.admin = admin.key;
    adminKeyId = admin.apiKey.id;
  });
  afterAll(async () => {
    await t.stop();
  });

  function as(key: keyof typeof keys) {
    return { key: keys[key] };
  }

  async function auditOf(entityType: string, entityId: string): Promise<AuditItem[]> {
    return (await expectStatus<Page<AuditItem>>(200, t, 'GET', `/api/v1/audit?entityType=${entityType}&entityId=${entityId}&limit=100`, undefined, as('admin'))).items;
  }

  describe('contacts', () => {
    let dora: string;
    let doraConversation: string;

    beforeAll(async () => {
      // Contacts list newest first; a few milliseconds apart, so that "newest" is the order of creation.
      const ids = await inbound(t, { externalId: 'dir-dora', name: 'Dora Directory', email: 'dora@directory.test', phone: '+14155550142' }, 'hi');
      dora = ids.contactId;
      doraConversation = ids.conversationId;
      await sleep(3);
      await inbound(t, { externalId: 'dir-dan', name: 'Dan Directory', email: 'dan@directory.test' });
      await sleep(3);
      await inbound(t, { externalId: 'dir-dee', name: 'Dee Elsewhere', email: 'dee@directory.test', phone: '+442079460999' });
      await sleep(3);
      await inbound(t, { externalId: 'dir-elodie', name: 'Élodie Éclair' });
      for (let i = 0; i < 5; i++) {
        await sleep(3);
        await inbound(t, { externalId: `dir-filler-${i}`, name: `Filler ${i}` });
      }
    });

    it('lists contacts newest first and searches q over name, email and phone', async () => {
      const names = async (q: string) => (await expectStatus<Page<ContactItem>>(200, t, 'GET', `/api/v1/contacts?q=${encodeURIComponent(q)}`)).items.map((c) => c.name);
      expect(await names('directory')).toEqual(['Dee Elsewhere', 'Dan Directory', 'Dora Directory']);
      expect(await names('DORA')).toEqual(['Dora Directory']);
      expect(await names('dee@')).toEqual(['Dee Elsewhere']);
      expect(await names('+4420794')).toEqual(['Dee Elsewhere']);
      expect(await names('5550142')).toEqual(['Dora Directory']);
      expect(await names('%')).toEqual([]);
      expect(await names('ÉLODIE')).toEqual(['Élodie Éclair']);
      expect(await names('élodie éclair')).toEqual(['Élodie Éclair']);
      expect(await names('nobody')).toEqual([]);
    });

    it('pages contacts with a cursor, each once', async () => {
      const paged = await allPages<ContactItem>(t, '/api/v1/contacts', 3);
      const whole = await allPages<ContactItem>(t, '/api/v1/contacts', 100);
      expect(ids(paged)).toEqual(ids(whole));
      expect(new Set(ids(paged)).size).toBe(paged.length);
      expect(paged.length).toBe(await repo(t.hub.db.manager, 'Contact').count());
      const searched = await allPages<ContactItem>(t, '/api/v1/contacts?q=filler', 2);
      expect(searched.map((c) => c.name)).toEqual(['Filler 4', 'Filler 3', 'Filler 2', 'Filler 1', 'Filler 0']);
      for (const query of ['limit=101', 'cursor=garbage', 'q=', 'sort=name']) {
        expect({ query, status: (await api(t, 'GET', `/api/v1/contacts?${query}`)).status }).toEqual({ query, status: 400 });
      }
    });

    it('gets one contact; 404 for an unknown id, 400 for a malformed one', async () => {
      expect(await expectStatus<ContactItem>(200, t, 'GET', `/api/v1/contacts/${dora}`)).toMatchObject({
        id: dora,
        name: 'Dora Directory',
        email: 'dora@directory.test',
        phone: '+14155550142',
        attributes: {},
      });
      const unknown = await api<ErrorBody>(t, 'GET', `/api/v1/contacts/${randomUUID()}`);
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('not_found');
      expect((await api(t, 'GET', '/api/v1/contacts/123')).status).toBe(400);
    });

    it('patches name, email and phone, normalizing email case and phone to E.164', async () => {
      const { contactId } = await inbound(t, { name: 'Pat Patch' });
      const patched = await expectStatus<ContactItem>(200, t, 'PATCH', `/api/v1/contacts/${contactId}`, { name: 'Patricia Patch', email: 'Patricia.Patch@Example.COM', phone: '+1 (415) 555-0177' });
      expect(patched).toMatchObject({ id: contactId, name: 'Patricia Patch', email: 'patricia.patch@example.com', phone: '+14155550177' });
      expect(await expectStatus<ContactItem>(200, t, 'GET', `/api/v1/contacts/${contactId}`)).toMatchObject({ email: 'patricia.patch@example.com', phone: '+14155550177' });
      expect(await expectStatus<ContactItem>(200, t, 'PATCH', `/api/v1/contacts/${contactId}`, { email: null, phone: null })).toMatchObject({ name: 'Patricia Patch', email: null, phone: null });
    });

    it('merges custom attributes; null removes a key; the size limit is enforced', async () => {
      const { contactId } = await inbound(t, { name: 'Attr Ibute' });
      const path = `/api/v1/contacts/${contactId}`;
      expect((await expectStatus<ContactItem>(200, t, 'PATCH', path, { attributes: { plan: 'pro', seats: 12, tags: ['a'] } })).attributes).toEqual({ plan: 'pro', seats: 12, tags: ['a'] });
      expect((await expectStatus<ContactItem>(200, t, 'PATCH', path, { attributes: { seats: 13, region: 'eu' } })).attributes).toEqual({ plan: 'pro', seats: 13, tags: ['a'], region: 'eu' });
      expect((await expectStatus<ContactItem>(200, t, 'PATCH', path, { attributes: { plan: null, missing: null } })).attributes).toEqual({ seats: 13, tags: ['a'], region: 'eu' });

      const tooBig = await api<ErrorBody>(t, 'PATCH', path, { name: 'Changed', attributes: { notes: 'x'.repeat(ATTRIBUTES_MAX_BYTES) } });
      expect(tooBig.status).toBe(400);
      expect(tooBig.body.error.details).toEqual([expect.objectContaining({ path: 'attributes' })]);
      // Many small keys add up too.
      const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`key${i}`, i]));
      expect((await api(t, 'PATCH', path, { attributes: many })).status).toBe(400);
      expect(await expectStatus<ContactItem>(200, t, 'GET', path)).toMatchObject({ name: 'Attr Ibute', attributes: { seats: 13, tags: ['a'], region: 'eu' } });
    });

    it('refuses invalid contact changes with 400 and changes nothing', async () => {
      const before = await expectStatus<ContactItem>(200, t, 'GET', `/api/v1/contacts/${dora}`);
      const cases: [unknown, string][] = [
        [{ email: 'not-an-email' }, 'email'],
        [{ email: '' }, 'email'],
        [{ phone: 'call me maybe' }, 'phone'],
        [{ phone: '415 555 0142' }, 'phone'],
        [{ phone: '' }, 'phone'],
        [{ name: '   ' }, 'name'],
        [{ attributes: 'plan=pro' }, 'attributes'],
        [{ nickname: 'D' }, 'nickname'],
        [{}, '(root)'],
      ];
      for (const [body, path] of cases) {
        const res = await api<ErrorBody>(t, 'PATCH', `/api/v1/contacts/${dora}`, body);
        expect({ body, status: res.status, code: errorCode(res.body) }).toEqual({ body, status: 400, code: 'validation_failed' });
        expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
      }
      expect(await expectStatus<ContactItem>(200, t, 'GET', `/api/v1/contacts/${dora}`)).toEqual(before);
      expect((await api(t, 'PATCH', `/api/v1/contacts/${randomUUID()}`, { name: 'X' })).status).toBe(404);
    });

    it("lists a contact's conversations, newest activity first", async () => {
      // The same person writing by SMS (same phone) is the same contact, in a second conversation.
      const sms = await t.hub.ingestor.ingest({ channel: 'sms', externalId: `SM${randomUUID()}`, sender: { address: '+14155550142', phone: '+14155550142' }, body: 'texting too' });
      expect(sms.contactId).toBe(dora);
      const page = await expectStatus<Page<ConversationItem>>(200, t, 'GET', `/api/v1/contacts/${dora}/conversations`);
      expect(ids(page.items)).toEqual([sms.conversationId, doraConversation]);
      expect(page.items.every((c) => c.contact.id === dora)).toBe(true);
      const first = await expectStatus<Page<ConversationItem>>(200, t, 'GET', `/api/v1/contacts/${dora}/conversations?limit=1`);
      expect(ids(first.items)).toEqual([sms.conversationId]);
      const second = await expectStatus<Page<ConversationItem>>(200, t, 'GET', `/api/v1/contacts/${dora}/conversations?limit=1&cursor=${first.nextCursor ?? ''}`);
      expect(ids(second.items)).toEqual([doraConversation]);
      expect(second.nextCursor).toBeNull();
      expect((await api(t, 'GET', `/api/v1/contacts/${randomUUID()}/conversations`)).status).toBe(404);
    });
  });

  describe('agents and teams', () => {
    it('adds agents with an admin key only; a duplicate email is 409 agent_exists', async () => {
      const input = { name: 'Grace Hopper', email: 'Grace@Agents.Test', slackUserId: 'U012AB3CD' };
      expect(await api<ErrorBody>(t, 'POST', '/api/v1/agents', input, as('write'))).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
      expect((await api(t, 'POST', '/api/v1/agents', input, as('read'))).status).toBe(403);
      const grace = await expectStatus<AgentItem>(201, t, 'POST', '/api/v1/agents', input, as('admin'));
      expect(grace).toMatchObject({ name: 'Grace Hopper', email: 'grace@agents.test', slackUserId: 'U012AB3CD', status: 'offline', capacity: 10 });

      const sameEmail = await api<ErrorBody>(t, 'POST', '/api/v1/agents', { name: 'Other Grace', email: 'GRACE@agents.test' }, as('admin'));
      expect(sameEmail.status).toBe(409);
      expect(sameEmail.body.error.code).toBe('agent_exists');
      const sameSlack = await api<ErrorBody>(t, 'POST', '/api/v1/agents', { name: 'Other', email: 'other@agents.test', slackUserId: 'U012AB3CD' }, as('admin'));
      expect(sameSlack).toMatchObject({ status: 409, body: { error: { code: 'agent_exists' } } });

      for (const body of [{ name: 'No Email' }, { name: 'X', email: 'bad' }, { name: 'X', email: 'x@agents.test', status: 'busy' }, { name: 'X', email: 'x@agents.test', capacity: -1 }, { name: 'X', email: 'x@agents.test', slackUserId: 'nope' }, { name: 'X', email: 'x@agents.test', role: 'boss' }]) {
        expect({ body, status: (await api(t, 'POST', '/api/v1/agents', body, as('admin'))).status }).toEqual({ body, status: 400 });
      }
      expect((await allPagesOfAgents()).filter((a) => a.email === 'grace@agents.test')).toHaveLength(1);
    });

    async function allPagesOfAgents(): Promise<AgentItem[]> {
      return (await expectStatus<{ items: AgentItem[] }>(200, t, 'GET', '/api/v1/agents', undefined, as('read'))).items;
    }

    it('lists and gets agents, and patches status and capacity with a write key', async () => {
      const ada = await expectStatus<AgentItem>(201, t, 'POST', '/api/v1/agents', { name: 'Ada Agent', email: 'ada@agents.test', status: 'online', capacity: 3 }, as('admin'));
      const other = await expectStatus<AgentItem>(201, t, 'POST', '/api/v1/agents', { name: 'Zed Agent', email: 'zed@agents.test' }, as('admin'));
      const listed = await allPagesOfAgents();
      expect(listed.map((a) => a.id)).toEqual(expect.arrayContaining([ada.id, other.id]));
      expect(await expectStatus<AgentItem>(200, t, 'GET', `/api/v1/agents/${ada.id}`, undefined, as('read'))).toMatchObject({ id: ada.id, status: 'online', capacity: 3 });
      expect((await api(t, 'GET', `/api/v1/agents/${randomUUID()}`)).status).toBe(404);
      expect((await api(t, 'GET', '/api/v1/agents/ada')).status).toBe(400);

      expect(await expectStatus<AgentItem>(200, t, 'PATCH', `/api/v1/agents/${ada.id}`, { status: 'away', capacity: 5 }, as('write'))).toMatchObject({ status: 'away', capacity: 5, name: 'Ada Agent' });
      expect(await expectStatus<AgentItem>(200, t, 'GET', `/api/v1/agents/${ada.id}`)).toMatchObject({ status: 'away', capacity: 5 });
      expect((await api(t, 'PATCH', `/api/v1/agents/${ada.id}`, { status: 'away' }, as('read'))).status).toBe(403);
      for (const body of [{ status: 'busy' }, { capacity: -1 }, { capacity: 1.5 }, {}, { id: randomUUID() }]) {
        expect({ body, status: (await api(t, 'PATCH', `/api/v1/agents/${ada.id}`, body)).status }).toEqual({ body, status: 400 });
      }
      expect(await api<ErrorBody>(t, 'PATCH', `/api/v1/agents/${ada.id}`, { email: 'ZED@agents.test' })).toMatchObject({ status: 409, body: { error: { code: 'agent_exists' } } });
      expect((await api(t, 'PATCH', `/api/v1/agents/${randomUUID()}`, { status: 'online' })).status).toBe(404);
      expect(await expectStatus<AgentItem>(200, t, 'GET', `/api/v1/agents/${ada.id}`)).toMatchObject({ email: 'ada@agents.test', status: 'away', capacity: 5 });
    });

    it('adds, lists, gets and renames teams with an admin key; a duplicate name is 409 team_exists', async () => {
      expect((await api(t, 'POST', '/api/v1/teams', { name: 'Support' }, as('write'))).status).toBe(403);
      const support = await expectStatus<TeamItem>(201, t, 'POST', '/api/v1/teams', { name: 'Support' }, as('admin'));
      const sales = await expectStatus<TeamItem>(201, t, 'POST', '/api/v1/teams', { name: 'Sales' }, as('admin'));
      expect(await api<ErrorBody>(t, 'POST', '/api/v1/teams', { name: 'Support' }, as('admin'))).toMatchObject({ status: 409, body: { error: { code: 'team_exists' } } });
      for (const body of [{}, { name: '' }, { name: 'A', lead: 'x' }]) {
        expect({ body, status: (await api(t, 'POST', '/api/v1/teams', body, as('admin'))).status }).toEqual({ body, status: 400 });
      }

      const teams = (await expectStatus<{ items: TeamItem[] }>(200, t, 'GET', '/api/v1/teams', undefined, as('read'))).items;
      expect(teams.map((team) => team.name)).toEqual(expect.arrayContaining(['Support', 'Sales']));
      expect(await expectStatus<TeamItem>(200, t, 'GET', `/api/v1/teams/${support.id}`, undefined, as('read'))).toMatchObject({ name: 'Support' });
      expect((await api(t, 'GET', `/api/v1/teams/${randomUUID()}`)).status).toBe(404);

      expect((await api(t, 'PATCH', `/api/v1/teams/${support.id}`, { name: 'Customer Support' }, as('write'))).status).toBe(403);
      expect(await expectStatus<TeamItem>(200, t, 'PATCH', `/api/v1/teams/${support.id}`, { name: 'Customer Support' }, as('admin'))).toMatchObject({ id: support.id, name: 'Customer Support' });
      expect(await api<ErrorBody>(t, 'PATCH', `/api/v1/teams/${support.id}`, { name: 'Sales' }, as('admin'))).toMatchObject({ status: 409, body: { error: { code: 'team_exists' } } });
      expect((await api(t, 'PATCH', `/api/v1/teams/${randomUUID()}`, { name: 'Nobody' }, as('admin'))).status).toBe(404);
      expect(await expectStatus<TeamItem>(200, t, 'GET', `/api/v1/teams/${sales.id}`)).toMatchObject({ name: 'Sales' });
    });
  });

  describe('scopes', () => {
    /** Every documented operation, with real ids in its path. */
    async function operations(): Promise<(Operation & { url: string })[]> {
      const doc = await expectStatus<{ paths: Record<string, Record<string, { operationId: string; 'x-scope'?: Operation['scope'] }>> }>(200, t, 'GET', '/api/v1/openapi.json', undefined, { key: null });
      const { contactId, conversationId } = await inbound(t, { name: 'Scope Subject' });
      // A reply on the API channel, the only kind of message whose status an integration may report.
      const reply = await expectStatus<{ id: string }>(201, t, 'POST', `/api/v1/conversations/${conversationId}/messages`, { body: 'Scope reply' }, as('admin'));
      const agent = await expectStatus<AgentItem>(201, t, 'POST', '/api/v1/agents', { name: 'Scope Agent', email: `scope-${randomUUID()}@agents.test` }, as('admin'));
      const team = await expectStatus<TeamItem>(201, t, 'POST', '/api/v1/teams', { name: `Scope ${randomUUID()}` }, as('admin'));
      const smsNumber = await expectStatus<{ id: string }>(201, t, 'POST', '/api/v1/sms-numbers', { address: `+1415555${String(Math.floor(Math.random() * 9000) + 1000)}` }, as('admin'));
      const website = await expectStatus<{ id: string }>(201, t, 'POST', '/api/v1/websites', { name: 'Scope site', allowedOrigins: ['https://scope.example.com'] }, as('admin'));
      const file = await fetch(`${t.url}/api/v1/files?name=scope.png`, { method: 'POST', headers: { authorization: `Bearer ${keys.admin}`, 'content-type': 'image/png' }, body: pngBytes() });
      const { fileKey } = (await file.json()) as { fileKey: string };
      const idFor: Record<string, string> = { conversations: conversationId, contacts: contactId, agents: agent.id, teams: team.id, 'sms-numbers': smsNumber.id, websites: website.id, messages: reply.id };
      const result: (Operation & { url: string })[] = [];
      for (const [path, methods] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(methods)) {
          if (!op['x-scope']) continue; // the OpenAPI document itself needs no key
          const url = path
            .replace(/\/([\w-]+)\/\{id\}/, (_, resource: string) => `/${resource}/${idFor[resource] ?? 'unknown-resource'}`)
            .replace('/files/{key}', `/files/${fileKey}`)
            // The routes under an id that need a second one (a webhook's delivery) are checked for scope before either is looked up.
            .replace('{deliveryId}', randomUUID());
          expect(url).not.toContain('{');
          result.push({ method: method.toUpperCase(), path, url, scope: op['x-scope'], operationId: op.operationId });
        }
      }
      return result;
    }

    /** The status of a request; an event stream is closed as soon as it answers. */
    async function statusOf(method: string, url: string, key: string | null): Promise<{ status: number; code?: string }> {
      const controller = new AbortController();
      const headers: Record<string, string> = key === null ? {} : { authorization: `Bearer ${key}` };
      const hasBody = method !== 'GET';
      if (hasBody) headers['content-type'] = 'application/json';
      const res = await fetch(t.url + url, { method, headers, body: hasBody ? '{}' : undefined, signal: controller.signal });
      // An event stream never ends and a file is not JSON: their status is all that counts.
      if (!res.headers.get('content-type')?.startsWith('application/json')) {
        controller.abort();
        return { status: res.status };
      }
      const text = await res.text();
      const body = (text ? JSON.parse(text) : {}) as Partial<ErrorBody>;
      return { status: res.status, code: body.error?.code };
    }

    it('documents the scope of every route and covers reads, writes and admin routes', async () => {
      const ops = await operations();
      const byScope = (scope: Operation['scope']) => ops.filter((op) => op.scope === scope).map((op) => op.operationId);
      expect(byScope('read')).toEqual(expect.arrayContaining(['listConversations', 'getConversation', 'listMessages', 'listContacts', 'getContact', 'listContactConversations', 'listContactPageViews', 'listAgents', 'getAgent', 'listTeams', 'getTeam', 'listWebsites', 'getWebsite', 'streamEvents']));
      expect(byScope('write')).toEqual(expect.arrayContaining(['postInbound', 'updateConversation', 'markConversationRead', 'postMessage', 'updateContact', 'updateAgent']));
      expect(byScope('admin')).toEqual(expect.arrayContaining(['createAgent', 'createTeam', 'updateTeam', 'listAudit', 'createWebsite', 'updateWebsite', 'deleteWebsite', 'rotateWebsiteSecret']));
    });

    it('gives a read-only key 200 on every read route and 403 on every write and admin route, changing nothing', async () => {
      const ops = await operations();
      const counts = async () => Promise.all((['Message', 'AuditEntry', 'Agent', 'Team', 'Contact', 'Conversation', 'Website', 'TeamMember'] as const).map((entity) => repo(t.hub.db.manager, entity).count()));
      const before = await counts();
      const results = [];
      for (const op of ops) results.push({ operation: `${op.method} ${op.path}`, ...(await statusOf(op.method, op.url, keys.read)) });
      const expected = ops.map((op) => (op.scope === 'read' ? { operation: `${op.method} ${op.path}`, status: 200 } : { operation: `${op.method} ${op.path}`, status: 403, code: 'forbidden' }));
      expect(results.map(({ operation, status, code }) => (status === 200 ? { operation, status } : { operation, status, code }))).toEqual(expected);
      expect(await counts()).toEqual(before);
    });

    it('gives a write key 403 on admin routes only', async () => {
      const ops = (await operations()).filter((op) => op.method === 'GET' || op.scope === 'admin');
      for (const op of ops) {
        const { status } = await statusOf(op.method, op.url, keys.write);
        expect({ operation: op.operationId, status }).toEqual({ operation: op.operationId, status: op.scope === 'admin' ? 403 : 200 });
      }
    });

    it('answers 401 on every route to an unknown key, a revoked key, a malformed header and no key at all', async () => {
      const ops = await operations();
      const revoked = await createApiKey(t.hub.db, { name: 'revoked', scopes: ['admin'] });
      await revokeApiKey(t.hub.db, revoked.apiKey.id);
      for (const op of ops) {
        for (const key of ['sb_unknownkey0000000000000000000000000', revoked.key, 'not-even-a-key', null]) {
          const result = await statusOf(op.method, op.url, key);
          expect({ operation: `${op.method} ${op.path}`, key, ...result }).toEqual({ operation: `${op.method} ${op.path}`, key, status: 401, code: 'unauthorized' });
        }
      }
    });
  });

  describe('audit', () => {
    it('is for admin keys only', async () => {
      expect((await api(t, 'GET', '/api/v1/audit', undefined, as('read'))).status).toBe(403);
      expect((await api(t, 'GET', '/api/v1/audit', undefined, as('write'))).status).toBe(403);
      expect((await api(t, 'GET', '/api/v1/audit', undefined, as('admin'))).status).toBe(200);
      expect((await api(t, 'GET', '/api/v1/audit?entityType=planet', undefined, as('admin'))).status).toBe(400);
    });

    it('records who changed a contact, an agent and a team, with before and after', async () => {
      const { contactId } = await inbound(t, { name: 'Audrey Audit', email: 'audrey@audit.test' });
      await expectStatus(200, t, 'PATCH', `/api/v1/contacts/${contactId}`, { name: 'Audrey Audited', attributes: { vip: true } }, as('admin'));
      expect(await auditOf('contact', contactId)).toEqual([
        expect.objectContaining({
          actorType: 'api_key',
          actorId: adminKeyId,
          action: 'contact.updated',
          entityType: 'contact',
          entityId: contactId,
          before: { name: 'Audrey Audit', attributes: {} },
          after: { name: 'Audrey Audited', attributes: { vip: true } },
        }),
      ]);

      const agent = await expectStatus<AgentItem>(201, t, 'POST', '/api/v1/agents', { name: 'Audit Agent', email: 'audit.agent@agents.test' }, as('admin'));
      await expectStatus(200, t, 'PATCH', `/api/v1/agents/${agent.id}`, { status: 'online', capacity: 4 }, as('admin'));
      const agentEntries = await auditOf('agent', agent.id);
      expect(agentEntries.map((e) => e.action).sort()).toEqual(['agent.created', 'agent.updated']);
      expect(agentEntries.find((e) => e.action === 'agent.created')).toMatchObject({ actorType: 'api_key', actorId: adminKeyId, after: { email: 'audit.agent@agents.test' } });
      expect(agentEntries.find((e) => e.action === 'agent.updated')).toMatchObject({ before: { status: 'offline', capacity: 10 }, after: { status: 'online', capacity: 4 } });

      const team = await expectStatus<TeamItem>(201, t, 'POST', '/api/v1/teams', { name: 'Audit Team' }, as('admin'));
      await expectStatus(200, t, 'PATCH', `/api/v1/teams/${team.id}`, { name: 'Audited Team' }, as('admin'));
      const teamEntries = await auditOf('team', team.id);
      expect(teamEntries.map((e) => e.action).sort()).toEqual(['team.created', 'team.updated']);
      expect(teamEntries.find((e) => e.action === 'team.updated')).toMatchObject({ actorType: 'api_key', actorId: adminKeyId, before: { name: 'Audit Team' }, after: { name: 'Audited Team' } });
    });

    it('records status and assignee changes of a conversation with before and after, by key or by agent', async () => {
      const agent = await expectStatus<AgentItem>(201, t, 'POST', '/api/v1/agents', { name: 'Acting Agent', email: 'acting@agents.test' }, as('admin'));
      const { key: agentKey } = await createApiKey(t.hub.db, { name: 'acting agent', scopes: ['write'], agentId: agent.id });
      const { conversationId } = await inbound(t);

      await expectStatus(200, t, 'PATCH', `/api/v1/conversations/${conversationId}`, { status: 'pending' }, as('admin'));
      await expectStatus(200, t, 'PATCH', `/api/v1/conversations/${conversationId}`, { assigneeId: 'me' }, { key: agentKey });
      await expectStatus(200, t, 'PATCH', `/api/v1/conversations/${conversationId}`, { status: 'resolved' }, { key: agentKey });
      // A change to the same values changes nothing and records nothing.
      await expectStatus(200, t, 'PATCH', `/api/v1/conversations/${conversationId}`, { assigneeId: agent.id }, as('admin'));
      // A refused change records nothing either.
      expect((await api(t, 'PATCH', `/api/v1/conversations/${conversationId}`, { status: 'pending' }, as('admin'))).status).toBe(409);

      const entries = await auditOf('conversation', conversationId);
      expect(entries).toHaveLength(3);
      expect(entries.every((e) => e.action === 'conversation.updated' && e.entityType === 'conversation' && e.entityId === conversationId)).toBe(true);
      expect(entries).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ actorType: 'api_key', actorId: adminKeyId, before: { status: 'open' }, after: { status: 'pending' } }),
          expect.objectContaining({ actorType: 'agent', actorId: agent.id, before: { assigneeId: null }, after: { assigneeId: agent.id } }),
          expect.objectContaining({ actorType: 'agent', actorId: agent.id, before: { status: 'pending' }, after: { status: 'resolved' } }),
        ]),
      );
      for (const entry of entries) expect(Number.isNaN(Date.parse(entry.createdAt))).toBe(false);

      // Filters: by entity type, by actor; and the cursor pages through them.
      const agentEntries = (await expectStatus<Page<AuditItem>>(200, t, 'GET', `/api/v1/audit?actorId=${agent.id}&limit=100`, undefined, as('admin'))).items;
      expect(agentEntries.filter((e) => e.entityId === conversationId)).toHaveLength(2);
      expect(agentEntries.every((e) => e.actorId === agent.id)).toBe(true);
      const conversationEntries = (await expectStatus<Page<AuditItem>>(200, t, 'GET', '/api/v1/audit?entityType=conversation&limit=100', undefined, as('admin'))).items;
      expect(conversationEntries.every((e) => e.entityType === 'conversation')).toBe(true);
      expect(conversationEntries.filter((e) => e.entityId === conversationId)).toHaveLength(3);

      const paged: AuditItem[] = [];
      let cursor: string | null = null;
      do {
        const url: string = `/api/v1/audit?entityType=conversation&entityId=${conversationId}&limit=1${cursor ? `&cursor=${cursor}` : ''}`;
        const page: Page<AuditItem> = await expectStatus<Page<AuditItem>>(200, t, 'GET', url, undefined, as('admin'));
        paged.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      expect(ids(paged)).toEqual(ids(entries));
    });

    it('records replies, private notes and read marks with who made them', async () => {
      const agent = await expectStatus<AgentItem>(201, t, 'POST', '/api/v1/agents', { name: 'Replying Agent', email: 'replying@agents.test' }, as('admin'));
      const { key: agentKey } = await createApiKey(t.hub.db, { name: 'replying agent', scopes: ['write'], agentId: agent.id });
      const { conversationId } = await inbound(t);

      const reply = await expectStatus<{ id: string }>(201, t, 'POST', `/api/v1/conversations/${conversationId}/messages`, { body: 'On it' }, { key: agentKey });
      const note = await expectStatus<{ id: string }>(201, t, 'POST', `/api/v1/conversations/${conversationId}/messages`, { body: 'VIP', private: true }, as('admin'));
      await expectStatus(200, t, 'POST', `/api/v1/conversations/${conversationId}/read`, undefined, { key: agentKey });

      expect(await auditOf('message', reply.id)).toEqual([
        expect.objectContaining({ actorType: 'agent', actorId: agent.id, action: 'reply.created', after: expect.objectContaining({ conversationId, private: false }) as unknown }),
      ]);
      expect(await auditOf('message', note.id)).toEqual([
        expect.objectContaining({ actorType: 'api_key', actorId: adminKeyId, action: 'note.created', after: expect.objectContaining({ conversationId, private: true }) as unknown }),
      ]);
      expect(await auditOf('conversation', conversationId)).toEqual([expect.objectContaining({ actorType: 'agent', actorId: agent.id, action: 'conversation.read' })]);
    });
  });
});

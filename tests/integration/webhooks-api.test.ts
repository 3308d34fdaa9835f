import { createServer, type Server } from 'node:net';
import { createApiKey } from '../../src/core/api-keys';
import { repo, updateRow } from '../../src/core/model/schemas';
import { api, errorCode, expectStatus, type AuditItem, type ErrorBody, type Page } from '../support/agent-api';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { createWebhook, insertDelivery, SECRET_PATTERN, type WebhookItem, type WebhookWithSecret } from '../support/webhooks';

/**
 * Webhook endpoints over the REST API: creation with its secret shown once, the list, changes, turning
 * an endpoint back on, deletion with its log, secret rotation with its overlap, the admin scope, and
 * the SSRF guard at creation (with and without WEBHOOK_ALLOW_PRIVATE_URLS). The hubs run the api role:
 * no workers, so nothing is ever sent.
 */

const OVERLAP_HOURS = 6;
const PUBLIC_URL = 'https://93.184.215.14/hooks';

describe.each(ENGINES)('Webhook endpoints API on %s', (engine) => {
  let t: TestHub;
  let allowing: TestHub;
  let listener: Server;
  let connections = 0;
  let port = 0;
  const keys = { read: '', write: '', admin: '' };

  beforeAll(async () => {
    // Counts connections, to show that creating an endpoint never calls it.
    listener = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as { port: number }).port;
    t = await startTestHub(engine, { role: 'api', env: { WEBHOOK_SECRET_OVERLAP_HOURS: String(OVERLAP_HOURS) } });
    allowing = await startTestHub(engine, { role: 'api', env: { WEBHOOK_ALLOW_PRIVATE_URLS: 'true' } });
    keys.read = (await createApiKey(t.hub.db, { name: 'reader', scopes: ['read'] })).key;
    keys.write = (await createApiKey(t.hub.db, { name: 'writer', scopes: ['read', 'write'] })).key;
    keys.admin = (await createApiKey(t.hub.db, { name: 'admin', scopes: ['admin'] })).key;
  });
  afterAll(async () => {
    await Promise.all([t.stop(), allowing.stop()]);
    await new Promise((resolve) => listener.close(resolve));
  });

  async function stored(id: string) {
    return repo(t.hub.db.manager, 'WebhookEndpoint').findOneByOrFail({ id });
  }

  async function auditOf(id: string): Promise<AuditItem[]> {
    return (await expectStatus<Page<AuditItem>>(200, t, 'GET', `/api/v1/audit?entityType=webhook&entityId=${id}&limit=100`)).items;
  }

  /** What a refused request must leave alone. */
  async function counts(hub: TestHub = t): Promise<number[]> {
    return Promise.all((['WebhookEndpoint', 'WebhookDelivery', 'AuditEntry'] as const).map((entity) => repo(hub.hub.db.manager, entity).count()));
  }

  it('creates an endpoint and answers its secret that once: never in a read, a list, a change or the audit log', async () => {
    const created = await expectStatus<WebhookWithSecret>(201, t, 'POST', '/api/v1/webhooks', { url: PUBLIC_URL, events: ['conversation.created', 'message.created', 'message.created'], description: '  CRM sync  ' }, { key: keys.admin });
    expect(created).toEqual({
      id: expect.any(String) as unknown,
      url: PUBLIC_URL,
      description: 'CRM sync',
      events: ['conversation.created', 'message.created'],
      enabled: true,
      secret: expect.stringMatching(SECRET_PATTERN) as unknown,
      previousSecretExpiresAt: null,
      failingSince: null,
      disabledAt: null,
      disabledReason: null,
      createdAt: expect.any(String) as unknown,
      updatedAt: expect.any(String) as unknown,
    });
    expect((await stored(created.id)).secret).toBe(created.secret);
    expect((await createWebhook(t)).secret).not.toBe(created.secret);

    const { secret: _secret, ...withoutSecret } = created;
    const read = await expectStatus<WebhookItem>(200, t, 'GET', `/api/v1/webhooks/${created.id}`);
    expect(read).toEqual(withoutSecret);
    const patched = await expectStatus<WebhookItem>(200, t, 'PATCH', `/api/v1/webhooks/${created.id}`, { description: 'CRM' });
    const listed = await expectStatus<Page<WebhookItem>>(200, t, 'GET', '/api/v1/webhooks?limit=100');
    const audit = await auditOf(created.id);
    expect(audit.map((entry) => entry.action).sort()).toEqual(['webhook.created', 'webhook.updated']);
    for (const shown of [read, patched, ...listed.items, ...audit]) {
      expect(shown).not.toHaveProperty('secret');
      expect(shown).not.toHaveProperty('previousSecret');
      expect(JSON.stringify(shown)).not.toContain('whsec_');
    }
  });

  it('takes ["*"] alone, and refuses bad URLs, unknown event types and unknown fields, naming the field and storing nothing', async () => {
    expect((await createWebhook(t, { events: ['*'] })).events).toEqual(['*']);
    const cases: [Record<string, unknown>, string][] = [
      [{ events: ['*'] }, 'url'],
      [{ url: 'not a url', events: ['*'] }, 'url'],
      [{ url: 'ftp://files.example.com/', events: ['*'] }, 'url'],
      [{ url: `https://93.184.215.14/${'x'.repeat(2100)}`, events: ['*'] }, 'url'],
      [{ url: PUBLIC_URL }, 'events'],
      [{ url: PUBLIC_URL, events: [] }, 'events'],
      [{ url: PUBLIC_URL, events: ['message.deleted'] }, 'events.0'],
      [{ url: PUBLIC_URL, events: ['*', 'message.created'] }, 'events'],
      [{ url: PUBLIC_URL, events: 'message.created' }, 'events'],
      [{ url: PUBLIC_URL, events: ['*'], description: 'x'.repeat(501) }, 'description'],
      [{ url: PUBLIC_URL, events: ['*'], secret: 'whsec_bWluZW1pbmVtaW5lbWluZQ==' }, 'secret'],
    ];
    const before = await counts();
    for (const [body, field] of cases) {
      const res = await api<ErrorBody>(t, 'POST', '/api/v1/webhooks', body);
      expect([JSON.stringify(body).slice(0, 80), res.status, errorCode(res.body)]).toEqual([JSON.stringify(body).slice(0, 80), 400, 'validation_failed']);
      expect(res.body.error.details?.map((issue) => issue.path)).toContain(field);
    }
    expect(await counts()).toEqual(before);
  });

  it('lists the endpoints newest first, a page at a time', async () => {
    const made = [await createWebhook(t), await createWebhook(t), await createWebhook(t)];
    // Apart by a second each, so that their order does not hang on ids within one millisecond.
    for (const [i, endpoint] of made.entries()) await updateRow(t.hub.db.manager, 'WebhookEndpoint', endpoint.id, { createdAt: new Date(Date.now() - (3 - i) * 1000) });
    const items: WebhookItem[] = [];
    let cursor: string | null = null;
    do {
      const page: Page<WebhookItem> = await expectStatus<Page<WebhookItem>>(200, t, 'GET', `/api/v1/webhooks?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(2);
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    const total = await repo(t.hub.db.manager, 'WebhookEndpoint').count();
    expect(items).toHaveLength(total);
    expect(new Set(items.map((item) => item.id)).size).toBe(total);
    const positions = made.map((endpoint) => items.findIndex((item) => item.id === endpoint.id));
    expect(positions).toEqual([...positions].sort((a, b) => b - a));
    expect((await api<ErrorBody>(t, 'GET', '/api/v1/webhooks?cursor=nope')).status).toBe(400);
  });

  it('changes the URL, events and description, and an admin turning it off or on; refused changes change nothing', async () => {
    const endpoint = await createWebhook(t, { events: ['message.created'] });
    const changed = await expectStatus<WebhookItem>(200, t, 'PATCH', `/api/v1/webhooks/${endpoint.id}`, { url: 'https://93.184.215.15/v2', events: ['contact.created', 'contact.merged'], description: null });
    expect(changed).toMatchObject({ url: 'https://93.184.215.15/v2', events: ['contact.created', 'contact.merged'], description: null, enabled: true });
    expect(await stored(endpoint.id)).toMatchObject({ url: 'https://93.184.215.15/v2', events: ['contact.created', 'contact.merged'], secret: endpoint.secret });

    const off = await expectStatus<WebhookItem>(200, t, 'PATCH', `/api/v1/webhooks/${endpoint.id}`, { enabled: false });
    expect(off).toMatchObject({ enabled: false, disabledAt: expect.any(String) as unknown, disabledReason: null });

    const before = await counts();
    for (const body of [{}, { url: 'http://127.0.0.1/' }, { events: ['nope'] }, { enabled: 'yes' }, { secret: 'x' }]) {
      expect((await api(t, 'PATCH', `/api/v1/webhooks/${endpoint.id}`, body)).status).toBe(400);
    }
    expect(await counts()).toEqual(before);
    expect((await stored(endpoint.id)).url).toBe('https://93.184.215.15/v2');
    expect((await api(t, 'PATCH', '/api/v1/webhooks/00000000-0000-4000-8000-000000000000', { enabled: true })).status).toBe(404);
  });

  it('turning on an endpoint the hub turned off clears when and why it was turned off and since when it failed; turning on an enabled one changes nothing', async () => {
    const endpoint = await createWebhook(t);
    const unchanged = await expectStatus<WebhookItem>(200, t, 'PATCH', `/api/v1/webhooks/${endpoint.id}`, { enabled: true });
    expect(unchanged.updatedAt).toBe(endpoint.updatedAt);
    expect((await auditOf(endpoint.id)).map((entry) => entry.action)).toEqual(['webhook.created']);

    const failingSince = new Date(Date.now() - 6 * 86_400_000);
    await updateRow(t.hub.db.manager, 'WebhookEndpoint', endpoint.id, { enabled: false, disabledAt: new Date(), disabledReason: 'failing for 5 days', failingSince });
    const shown = await expectStatus<WebhookItem>(200, t, 'GET', `/api/v1/webhooks/${endpoint.id}`);
    expect(shown).toMatchObject({ enabled: false, disabledReason: 'failing for 5 days', failingSince: failingSince.toISOString() });

    const on = await expectStatus<WebhookItem>(200, t, 'PATCH', `/api/v1/webhooks/${endpoint.id}`, { enabled: true });
    expect(on).toMatchObject({ enabled: true, disabledAt: null, disabledReason: null, failingSince: null });
    expect(await stored(endpoint.id)).toMatchObject({ enabled: true, disabledAt: null, disabledReason: null, failingSince: null });
  });

  it('deletes an endpoint with its delivery log', async () => {
    const endpoint = await createWebhook(t);
    const kept = await createWebhook(t);
    await insertDelivery(t, endpoint.id, { createdAt: new Date() });
    const other = await insertDelivery(t, kept.id, { createdAt: new Date() });
    expect((await api(t, 'DELETE', `/api/v1/webhooks/${endpoint.id}`)).status).toBe(204);
    expect((await api(t, 'GET', `/api/v1/webhooks/${endpoint.id}`)).status).toBe(404);
    expect(await repo(t.hub.db.manager, 'WebhookDelivery').countBy({ endpointId: endpoint.id })).toBe(0);
    expect(await repo(t.hub.db.manager, 'WebhookDelivery').existsBy({ id: other.id })).toBe(true);
    expect((await auditOf(endpoint.id)).map((entry) => entry.action)).toContain('webhook.deleted');
    expect((await api(t, 'DELETE', `/api/v1/webhooks/${endpoint.id}`)).status).toBe(404);
  });

  it('rotates the secret: the new one answered once, the old one signing beside it for the overlap; a second rotation keeps only the one it replaced', async () => {
    const endpoint = await createWebhook(t);
    const before = Date.now();
    const first = await expectStatus<WebhookWithSecret>(200, t, 'POST', `/api/v1/webhooks/${endpoint.id}/rotate-secret`);
    expect(first.secret).toMatch(SECRET_PATTERN);
    expect(first.secret).not.toBe(endpoint.secret);
    const expiresAt = Date.parse(first.previousSecretExpiresAt ?? '');
    expect(expiresAt).toBeGreaterThanOrEqual(before + OVERLAP_HOURS * 3600_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + OVERLAP_HOURS * 3600_000);
    expect(await stored(endpoint.id)).toMatchObject({ secret: first.secret, previousSecret: endpoint.secret });

    const read = await expectStatus<WebhookItem>(200, t, 'GET', `/api/v1/webhooks/${endpoint.id}`);
    expect(read).not.toHaveProperty('secret');
    expect(read.previousSecretExpiresAt).toBe(first.previousSecretExpiresAt);

    const second = await expectStatus<WebhookWithSecret>(200, t, 'POST', `/api/v1/webhooks/${endpoint.id}/rotate-secret`);
    expect(new Set([endpoint.secret, first.secret, second.secret]).size).toBe(3);
    expect(await stored(endpoint.id)).toMatchObject({ secret: second.secret, previousSecret: first.secret });
    expect((await auditOf(endpoint.id)).filter((entry) => entry.action === 'webhook.secret_rotated')).toHaveLength(2);
    expect(JSON.stringify(await auditOf(endpoint.id))).not.toContain('whsec_');
    expect((await api(t, 'POST', '/api/v1/webhooks/00000000-0000-4000-8000-000000000000/rotate-secret')).status).toBe(404);
  });

  it('is for admin keys only: read and write keys are refused on every route and change nothing', async () => {
    const endpoint = await createWebhook(t);
    const delivery = await insertDelivery(t, endpoint.id, { createdAt: new Date() });
    const routes: [string, string, unknown?][] = [
      ['GET', '/api/v1/webhooks'],
      ['POST', '/api/v1/webhooks', { url: PUBLIC_URL, events: ['*'] }],
      ['GET', `/api/v1/webhooks/${endpoint.id}`],
      ['PATCH', `/api/v1/webhooks/${endpoint.id}`, { enabled: false }],
      ['DELETE', `/api/v1/webhooks/${endpoint.id}`],
      ['POST', `/api/v1/webhooks/${endpoint.id}/rotate-secret`],
      ['GET', `/api/v1/webhooks/${endpoint.id}/deliveries`],
      ['POST', `/api/v1/webhooks/${endpoint.id}/deliveries/${delivery.id}/redeliver`],
      ['POST', `/api/v1/webhooks/${endpoint.id}/redeliver-failed?since=2020-01-01T00:00:00Z`],
      ['POST', `/api/v1/webhooks/${endpoint.id}/test`],
    ];
    const before = await counts();
    for (const key of [keys.read, keys.write]) {
      for (const [method, path, body] of routes) {
        const res = await api<ErrorBody>(t, method, path, body, { key });
        expect([method, path, res.status, errorCode(res.body)]).toEqual([method, path, 403, 'forbidden']);
      }
    }
    expect(await counts()).toEqual(before);
    expect((await stored(endpoint.id)).secret).toBe(endpoint.secret);
    expect((await api(t, 'GET', `/api/v1/webhooks/${endpoint.id}`, undefined, { key: keys.admin })).status).toBe(200);
  });

  const PRIVATE_URLS = () => [`http://127.0.0.1:${port}/`, `http://[::1]:${port}/`, 'http://169.254.169.254/latest/meta-data/', 'http://10.0.0.1/', `http://localhost:${port}/hook`];

  it('refuses endpoints on loopback, private, link-local and metadata addresses (also behind a name) and other schemes, without calling them', async () => {
    const before = await counts();
    for (const url of [...PRIVATE_URLS(), 'ftp://files.example.com/drop']) {
      const res = await api<ErrorBody>(t, 'POST', '/api/v1/webhooks', { url, events: ['*'] });
      expect([url, res.status, errorCode(res.body), res.body.error.details?.map((issue) => issue.path)]).toEqual([url, 400, 'validation_failed', ['url']]);
    }
    expect(await counts()).toEqual(before);
    expect(connections).toBe(0);
  });

  it('takes private addresses with WEBHOOK_ALLOW_PRIVATE_URLS, still without calling them, but never another scheme', async () => {
    for (const url of PRIVATE_URLS()) {
      const created = await createWebhook(allowing, { url });
      expect(created.url).toBe(new URL(url).href);
    }
    const before = await counts(allowing);
    const ftp = await api<ErrorBody>(allowing, 'POST', '/api/v1/webhooks', { url: 'ftp://files.example.com/drop', events: ['*'] });
    expect([ftp.status, ftp.body.error.details?.map((issue) => issue.path)]).toEqual([400, ['url']]);
    expect(await counts(allowing)).toEqual(before);
    expect(connections).toBe(0);
  });
});

import { randomUUID } from 'node:crypto';
import { createApiKey } from '../../src/core/api-keys';
import { repo } from '../../src/core/model/schemas';
import { WIDGET_CHANNEL } from '../../src/channels/widget/name';
import { api, errorCode, expectStatus, type AuditItem, type ErrorBody, type Page, type TeamItem } from '../support/agent-api';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { createWebsite, insertPageView, widgetMessage, type WebsiteItem } from '../support/websites';

/**
 * Websites over the REST API: what is stored and answered (key, secret, defaults, normalized origins,
 * the script tag), the website's inbox that gives its conversations the website's team, who may see
 * and change what, the audit log, and bad input on every field.
 */

const PUBLIC_URL = 'https://hub.example.com';

describe.each(ENGINES)('Websites API on %s', (engine) => {
  let t: TestHub;
  const keys = { read: '', write: '', admin: '' };
  let adminKeyId = '';
  let support: TeamItem;
  let sales: TeamItem;

  beforeAll(async () => {
    t = await startTestHub(engine, { env: { PUBLIC_URL } });
    keys.read = (await createApiKey(t.hub.db, { name: 'reader', scopes: ['read'] })).key;
    keys.write = (await createApiKey(t.hub.db, { name: 'writer', scopes: ['read', 'write'] })).key;
    const admin = await createApiKey(t.hub.db, { name: 'admin', scopes: ['admin'] });
    keys.admin = admin.key;
    adminKeyId = admin.apiKey.id;
    support = await expectStatus<TeamItem>(201, t, 'POST', '/api/v1/teams', { name: 'Support' });
    sales = await expectStatus<TeamItem>(201, t, 'POST', '/api/v1/teams', { name: 'Sales' });
  });
  afterAll(async () => {
    await t.stop();
  });

  function as(key: keyof typeof keys) {
    return { key: keys[key] };
  }

  async function auditOf(entityId: string): Promise<AuditItem[]> {
    return (await expectStatus<Page<AuditItem>>(200, t, 'GET', `/api/v1/audit?entityType=website&entityId=${entityId}&limit=100`, undefined, as('admin'))).items;
  }

  /** What a refused request must leave alone. */
  async function counts(): Promise<number[]> {
    return Promise.all((['Website', 'Inbox', 'AuditEntry'] as const).map((entity) => repo(t.hub.db.manager, entity).count()));
  }

  it('creates a website with a random key, a hex identity secret, the defaults and its script tag', async () => {
    const created = await expectStatus<WebsiteItem>(201, t, 'POST', '/api/v1/websites', { name: '  Shop  ', allowedOrigins: ['HTTPS://Shop.Example.com/', 'https://*.Example.com', 'https://shop.example.com', 'http://localhost:3000'] }, as('admin'));
    expect(created).toEqual({
      id: expect.any(String) as unknown,
      key: expect.stringMatching(/^wk_[A-Za-z0-9_-]{24}$/) as unknown,
      name: 'Shop',
      allowedOrigins: ['https://shop.example.com', 'https://*.example.com', 'http://localhost:3000'],
      color: '#2563eb',
      greeting: null,
      awayMessage: null,
      position: 'right',
      locale: null,
      teamId: null,
      identitySecret: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
      requireVerifiedIdentity: false,
      preChatForm: false,
      recordPageViews: true,
      keepQueryStrings: false,
      followUpDelayHours: null,
      transcriptOnResolve: null,
      snippet: `<script src="${PUBLIC_URL}/widget.js" data-website="${created.key}" async></script>`,
      createdAt: expect.any(String) as unknown,
      updatedAt: expect.any(String) as unknown,
    });
    const other = await createWebsite(t);
    expect(other.key).not.toBe(created.key);
    expect(other.identitySecret).not.toBe(created.identitySecret);

    const stored = await repo(t.hub.db.manager, 'Website').findOneByOrFail({ id: created.id });
    expect(stored).toMatchObject({ key: created.key, identitySecret: created.identitySecret, allowedOrigins: created.allowedOrigins });
  });

  it('stores every setting given', async () => {
    const input = {
      name: 'Boutique',
      allowedOrigins: ['https://boutique.example.fr'],
      color: '#0F766E',
      greeting: 'Bonjour !',
      awayMessage: 'Nous revenons à 9 h.',
      position: 'left',
      locale: 'fr',
      teamId: support.id,
      requireVerifiedIdentity: true,
      preChatForm: true,
      recordPageViews: false,
      keepQueryStrings: true,
      followUpDelayHours: 0.5,
      transcriptOnResolve: true,
    };
    const created = await createWebsite(t, input);
    expect(created).toMatchObject({ ...input, color: '#0f766e' });
    expect(await expectStatus<WebsiteItem>(200, t, 'GET', `/api/v1/websites/${created.id}`)).toEqual(created);
  });

  it("keeps the website's inbox in step, so its conversations get the website's team", async () => {
    const website = await createWebsite(t, { teamId: support.id });
    const inboxOf = () => repo(t.hub.db.manager, 'Inbox').findOneBy({ channel: WIDGET_CHANNEL, address: website.id });
    expect(await inboxOf()).toMatchObject({ name: 'Test shop', teamId: support.id });
    const first = await widgetMessage(t, website.id);
    expect(await repo(t.hub.db.manager, 'Conversation').findOneByOrFail({ id: first.conversationId })).toMatchObject({ channel: WIDGET_CHANNEL, channelAddress: website.id, teamId: support.id });

    await expectStatus(200, t, 'PATCH', `/api/v1/websites/${website.id}`, { teamId: sales.id, name: 'Renamed shop' });
    expect(await inboxOf()).toMatchObject({ name: 'Renamed shop', teamId: sales.id });
    const second = await widgetMessage(t, website.id);
    expect(await repo(t.hub.db.manager, 'Conversation').findOneByOrFail({ id: second.conversationId })).toMatchObject({ teamId: sales.id });

    await expectStatus(200, t, 'PATCH', `/api/v1/websites/${website.id}`, { teamId: null });
    expect(await inboxOf()).toMatchObject({ teamId: null });
    expect(await repo(t.hub.db.manager, 'Inbox').countBy({ channel: WIDGET_CHANNEL, address: website.id })).toBe(1);
  });

  it('lists and gets websites; only admin keys see the identity secret', async () => {
    const website = await createWebsite(t, { name: 'Visible shop' });
    for (const scope of ['read', 'write'] as const) {
      const listed = await expectStatus<{ items: WebsiteItem[] }>(200, t, 'GET', '/api/v1/websites', undefined, as(scope));
      expect(listed.items.map((w) => w.id)).toContain(website.id);
      expect(listed.items.every((w) => !('identitySecret' in w))).toBe(true);
      const one = await expectStatus<WebsiteItem>(200, t, 'GET', `/api/v1/websites/${website.id}`, undefined, as(scope));
      expect(one).not.toHaveProperty('identitySecret');
      expect(one).toMatchObject({ key: website.key, snippet: website.snippet });
      expect(JSON.stringify(listed)).not.toContain(website.identitySecret);
    }
    const asAdmin = await expectStatus<{ items: WebsiteItem[] }>(200, t, 'GET', '/api/v1/websites', undefined, as('admin'));
    expect(asAdmin.items.find((w) => w.id === website.id)?.identitySecret).toBe(website.identitySecret);
    expect(asAdmin.items.map((w) => w.name)).toEqual([...asAdmin.items.map((w) => w.name)].sort());
    expect(await expectStatus<WebsiteItem>(200, t, 'GET', `/api/v1/websites/${website.id}`, undefined, as('admin'))).toMatchObject({ identitySecret: website.identitySecret });
    expect(await api<ErrorBody>(t, 'GET', `/api/v1/websites/${randomUUID()}`)).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    expect((await api(t, 'GET', '/api/v1/websites/wk_nope')).status).toBe(400);
  });

  it('lets only admin keys create, change, rotate and delete websites', async () => {
    const website = await createWebsite(t);
    const before = await counts();
    const writes: [string, string, unknown][] = [
      ['POST', '/api/v1/websites', { name: 'Nope', allowedOrigins: ['https://nope.example.com'] }],
      ['PATCH', `/api/v1/websites/${website.id}`, { name: 'Nope' }],
      ['POST', `/api/v1/websites/${website.id}/rotate-secret`, undefined],
      ['DELETE', `/api/v1/websites/${website.id}`, undefined],
    ];
    for (const scope of ['read', 'write'] as const) {
      for (const [method, path, body] of writes) {
        const res = await api(t, method, path, body, as(scope));
        expect({ scope, method, path, status: res.status, code: errorCode(res.body) }).toEqual({ scope, method, path, status: 403, code: 'forbidden' });
      }
    }
    expect(await counts()).toEqual(before);
    expect(await expectStatus<WebsiteItem>(200, t, 'GET', `/api/v1/websites/${website.id}`)).toEqual(website);
  });

  it('changes settings, audited with before and after and never the secret', async () => {
    const website = await createWebsite(t, { name: 'Audited shop', greeting: 'Hi' });
    const patched = await expectStatus<WebsiteItem>(200, t, 'PATCH', `/api/v1/websites/${website.id}`, { color: '#ABCDEF', position: 'left', locale: 'en', greeting: null, allowedOrigins: ['https://a.example.com', 'https://A.example.com'] }, as('admin'));
    expect(patched).toMatchObject({ id: website.id, key: website.key, name: 'Audited shop', color: '#abcdef', position: 'left', locale: 'en', greeting: null, allowedOrigins: ['https://a.example.com'], identitySecret: website.identitySecret });
    expect(await expectStatus<WebsiteItem>(200, t, 'GET', `/api/v1/websites/${website.id}`)).toEqual(patched);

    const entries = await auditOf(website.id);
    expect(entries.map((e) => e.action).sort()).toEqual(['website.created', 'website.updated']);
    expect(entries.find((e) => e.action === 'website.created')).toMatchObject({ actorType: 'api_key', after: { name: 'Audited shop', key: website.key, greeting: 'Hi' } });
    expect(entries.find((e) => e.action === 'website.updated')).toMatchObject({
      actorType: 'api_key',
      actorId: adminKeyId,
      before: { color: '#2563eb', position: 'right', locale: null, greeting: 'Hi', allowedOrigins: ['https://shop.example.com'] },
      after: { color: '#abcdef', position: 'left', locale: 'en', greeting: null, allowedOrigins: ['https://a.example.com'] },
    });
    expect(JSON.stringify(entries)).not.toContain(website.identitySecret);
  });

  it('rotates the identity secret', async () => {
    const website = await createWebsite(t);
    const rotated = await expectStatus<WebsiteItem>(200, t, 'POST', `/api/v1/websites/${website.id}/rotate-secret`, undefined, as('admin'));
    expect(rotated.identitySecret).toMatch(/^[0-9a-f]{64}$/);
    expect(rotated.identitySecret).not.toBe(website.identitySecret);
    expect(rotated.key).toBe(website.key);
    expect((await repo(t.hub.db.manager, 'Website').findOneByOrFail({ id: website.id })).identitySecret).toBe(rotated.identitySecret);
    const entries = await auditOf(website.id);
    expect(entries.map((e) => e.action)).toContain('website.secret_rotated');
    expect(JSON.stringify(entries)).not.toMatch(new RegExp(`${website.identitySecret ?? '-'}|${rotated.identitySecret ?? '-'}`));
    expect((await api(t, 'POST', `/api/v1/websites/${randomUUID()}/rotate-secret`)).status).toBe(404);
  });

  it('deletes a website with its inbox and page views; its conversations stay', async () => {
    const website = await createWebsite(t, { teamId: support.id });
    const { contactId, conversationId } = await widgetMessage(t, website.id);
    await insertPageView(t, { contactId, websiteId: website.id, url: 'https://shop.example.com/' });
    expect(await api(t, 'DELETE', `/api/v1/websites/${website.id}`, undefined, as('admin'))).toMatchObject({ status: 204 });
    expect((await api(t, 'GET', `/api/v1/websites/${website.id}`)).status).toBe(404);
    expect(await repo(t.hub.db.manager, 'Inbox').countBy({ channel: WIDGET_CHANNEL, address: website.id })).toBe(0);
    expect(await repo(t.hub.db.manager, 'PageView').countBy({ websiteId: website.id })).toBe(0);
    expect(await repo(t.hub.db.manager, 'Conversation').countBy({ id: conversationId })).toBe(1);
    expect((await auditOf(website.id)).find((e) => e.action === 'website.deleted')).toMatchObject({ actorId: adminKeyId, before: { name: 'Test shop', key: website.key } });
    expect(JSON.stringify(await auditOf(website.id))).not.toContain(website.identitySecret);
    expect((await api(t, 'DELETE', `/api/v1/websites/${website.id}`)).status).toBe(404);
  });

  describe('bad input', () => {
    const valid = { name: 'Shop', allowedOrigins: ['https://shop.example.com'] };
    /** A field's bad values, each with the path the error must name. */
    const BAD: [Record<string, unknown>, string][] = [
      [{ name: '' }, 'name'],
      [{ name: '   ' }, 'name'],
      [{ name: 'x'.repeat(201) }, 'name'],
      [{ name: 42 }, 'name'],
      [{ name: 'a\u0000b' }, 'name'],
      [{ allowedOrigins: [] }, 'allowedOrigins'],
      [{ allowedOrigins: 'https://shop.example.com' }, 'allowedOrigins'],
      [{ allowedOrigins: ['https://shop.example.com/path'] }, 'allowedOrigins.0'],
      [{ allowedOrigins: ['https://shop.example.com', 'ftp://files.example.com'] }, 'allowedOrigins.1'],
      [{ allowedOrigins: ['javascript:alert(1)'] }, 'allowedOrigins.0'],
      [{ allowedOrigins: ['shop.example.com'] }, 'allowedOrigins.0'],
      [{ allowedOrigins: ['https://shop.example.com?x=1'] }, 'allowedOrigins.0'],
      [{ allowedOrigins: ['https://*'] }, 'allowedOrigins.0'],
      [{ allowedOrigins: [42] }, 'allowedOrigins.0'],
      [{ allowedOrigins: Array.from({ length: 101 }, (_, i) => `https://s${i}.example.com`) }, 'allowedOrigins'],
      [{ color: 'red' }, 'color'],
      [{ color: '#abc' }, 'color'],
      [{ color: '#12345g' }, 'color'],
      [{ color: null }, 'color'],
      [{ greeting: '' }, 'greeting'],
      [{ greeting: 'x'.repeat(501) }, 'greeting'],
      [{ greeting: 7 }, 'greeting'],
      [{ awayMessage: 'x'.repeat(1001) }, 'awayMessage'],
      [{ awayMessage: 'gone\u0000' }, 'awayMessage'],
      [{ position: 'center' }, 'position'],
      [{ position: null }, 'position'],
      [{ locale: 'de' }, 'locale'],
      [{ locale: '' }, 'locale'],
      [{ teamId: 'support' }, 'teamId'],
      [{ teamId: randomUUID() }, 'teamId'],
      [{ requireVerifiedIdentity: 'yes' }, 'requireVerifiedIdentity'],
      [{ preChatForm: 1 }, 'preChatForm'],
      [{ recordPageViews: 'true' }, 'recordPageViews'],
      [{ keepQueryStrings: null }, 'keepQueryStrings'],
      [{ followUpDelayHours: -1 }, 'followUpDelayHours'],
      [{ followUpDelayHours: 721 }, 'followUpDelayHours'],
      [{ followUpDelayHours: '24' }, 'followUpDelayHours'],
      [{ transcriptOnResolve: 'yes' }, 'transcriptOnResolve'],
      [{ key: 'wk_mine' }, 'key'],
      [{ identitySecret: 'abc' }, 'identitySecret'],
    ];

    async function expectRefused(method: string, path: string, body: unknown, detailPath: string): Promise<ErrorBody> {
      const res = await api<ErrorBody>(t, method, path, body, as('admin'));
      expect({ body, status: res.status, code: errorCode(res.body) }).toEqual({ body, status: 400, code: 'validation_failed' });
      expect({ body, details: res.body.error.details }).toEqual({ body, details: expect.arrayContaining([expect.objectContaining({ path: detailPath })]) as unknown });
      return res.body;
    }

    it('refuses a bad value of every field on create with 400 naming it, writing nothing', async () => {
      const before = await counts();
      for (const [field, path] of BAD) await expectRefused('POST', '/api/v1/websites', { ...valid, ...field }, path);
      await expectRefused('POST', '/api/v1/websites', { allowedOrigins: valid.allowedOrigins }, 'name');
      await expectRefused('POST', '/api/v1/websites', { name: 'Shop' }, 'allowedOrigins');
      expect(await counts()).toEqual(before);
    });

    it('names the refused origin in the message', async () => {
      const refused = await expectRefused('POST', '/api/v1/websites', { ...valid, allowedOrigins: ['https://ok.example.com', 'https://shop.example.com/checkout'] }, 'allowedOrigins.1');
      expect(refused.error.message).toContain('https://shop.example.com/checkout');
    });

    it('refuses a bad value of every field on change with 400, changing nothing', async () => {
      const website = await createWebsite(t, { teamId: support.id });
      const before = await counts();
      for (const [field, path] of BAD) await expectRefused('PATCH', `/api/v1/websites/${website.id}`, field, path);
      await expectRefused('PATCH', `/api/v1/websites/${website.id}`, {}, '(root)');
      // A valid change beside a bad one is not made either.
      await expectRefused('PATCH', `/api/v1/websites/${website.id}`, { name: 'Changed', teamId: randomUUID() }, 'teamId');
      expect(await counts()).toEqual(before);
      expect(await expectStatus<WebsiteItem>(200, t, 'GET', `/api/v1/websites/${website.id}`, undefined, as('admin'))).toEqual(website);
      expect((await repo(t.hub.db.manager, 'Inbox').findOneByOrFail({ channel: WIDGET_CHANNEL, address: website.id })).teamId).toBe(support.id);
      expect((await api(t, 'PATCH', `/api/v1/websites/${randomUUID()}`, { name: 'X' }, as('admin'))).status).toBe(404);
      expect((await api(t, 'PATCH', '/api/v1/websites/not-an-id', { name: 'X' }, as('admin'))).status).toBe(400);
    });
  });
});

import { createServer } from 'node:http';
import pino from 'pino';
import { createApp } from '../../src/api/app';
import { ApiKeyAuthenticator } from '../../src/core/api-keys';
import { DEMO_PAGE_CSP, demoRoutes } from '../../src/channels/widget/demo-page';
import type { Database } from '../../src/core/database';
import { repo } from '../../src/core/model/schemas';
import { DEMO_WEBSITE_KEY } from '../../src/core/websites/demo';
import { WIDGET_CHANNEL } from '../../src/channels/widget/name';
import { Metrics } from '../../src/infra/metrics';
import { openTestDatabase, type TestDatabase } from '../support/database';
import { ENGINES } from '../support/env';
import { listenLocally, type LocalServer } from '../support/local-server';

/**
 * `GET /demo`, mounted in the hub's own express app (helmet and the JSON 404 included) the way the
 * composition root mounts root routers: the page, its own CSP over helmet's, the demo website it makes
 * when missing (once, also when asked at once), and DEMO_PAGE=false.
 */

const PUBLIC_URL = 'https://support.example.com';
const PORT = 4321;

describe.each(ENGINES)('Demo page on %s', (engine) => {
  let database: TestDatabase;
  let db: Database;
  const servers: LocalServer[] = [];

  beforeAll(async () => {
    database = await openTestDatabase(engine);
    db = database.db;
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
    await database.close();
  });

  /** The hub's app with only the demo page as a root router, listening on a free port. */
  async function serve(options: { publicUrl?: string; enabled?: boolean } = {}): Promise<string> {
    const app = createApp({
      apiKeys: new ApiKeyAuthenticator(db, { ttlMs: 0 }),
      logger: pino({ level: 'silent' }),
      metrics: new Metrics(),
      readiness: {},
      rootRoutes: [demoRoutes({ db, publicUrl: options.publicUrl ?? PUBLIC_URL, port: PORT, enabled: options.enabled ?? true })],
      routes: [],
      bodyLimitBytes: 1024 * 1024,
      trustProxy: false,
      publicUrl: PUBLIC_URL,
      version: 'test',
    });
    const server = await listenLocally(createServer(app));
    servers.push(server);
    return server.url;
  }

  it('serves the page with the widget, its own CSP and how to answer as an agent', async () => {
    const url = await serve();
    const res = await fetch(`${url}/demo`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(DEMO_PAGE_CSP);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html).toContain(`<script src="/widget.js" data-website="${DEMO_WEBSITE_KEY}" async></script>`);
    // The page runs no script of its own: every script tag is the widget's.
    expect(html.match(/<script\b[^>]*>/g)).toEqual([`<script src="/widget.js" data-website="${DEMO_WEBSITE_KEY}" async>`]);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).toContain('href="/api/v1/openapi.json"');
    expect(html).toContain(`curl -s "${PUBLIC_URL}/api/v1/conversations?channel=widget&amp;status=open" -H "Authorization: Bearer $KEY"`);
    expect(html).toContain('/messages');
    expect(html).toContain('Switchboard');
    for (const directive of ["default-src 'self'", "script-src 'self'", "connect-src 'self' ws: wss:", "img-src 'self' data:", "frame-ancestors 'none'"]) expect(DEMO_PAGE_CSP).toContain(directive);
    expect(DEMO_PAGE_CSP).not.toMatch(/script-src[^;]*unsafe/);
  });

  it('makes the demo website once, with the origins the hub is reached at and its inbox, also when asked at once', async () => {
    const url = await serve();
    const statuses = await Promise.all(Array.from({ length: 5 }, async () => (await fetch(`${url}/demo`)).status));
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const websites = await repo(db.manager, 'Website').findBy({ key: DEMO_WEBSITE_KEY });
    expect(websites).toHaveLength(1);
    const [website] = websites;
    expect(website).toMatchObject({ name: 'Demo shop', allowedOrigins: [PUBLIC_URL, `http://localhost:${PORT}`, `http://127.0.0.1:${PORT}`], recordPageViews: true });
    expect(website?.greeting).toBeTruthy();
    expect(website?.awayMessage).toBeTruthy();
    expect(await repo(db.manager, 'Inbox').countBy({ channel: WIDGET_CHANNEL, address: website?.id })).toBe(1);
    const audit = await repo(db.manager, 'AuditEntry').findBy({ entityType: 'website', entityId: website?.id });
    expect(audit.map((entry) => [entry.action, entry.actorType])).toEqual([['website.created', 'system']]);
  });

  it('adds the origin of a new PUBLIC_URL to the demo website and keeps the others', async () => {
    const url = await serve({ publicUrl: 'https://chat.example.org' });
    const html = await (await fetch(`${url}/demo`)).text();
    const website = await repo(db.manager, 'Website').findOneByOrFail({ key: DEMO_WEBSITE_KEY });
    expect(website.allowedOrigins).toEqual([PUBLIC_URL, `http://localhost:${PORT}`, `http://127.0.0.1:${PORT}`, 'https://chat.example.org']);
    expect(html).toContain('<code>https://chat.example.org</code>');
    const actions = (await repo(db.manager, 'AuditEntry').findBy({ entityType: 'website', entityId: website.id })).map((entry) => entry.action).sort();
    expect(actions).toEqual(['website.created', 'website.updated']);
  });

  it('answers 404 in the JSON error shape with DEMO_PAGE off', async () => {
    const url = await serve({ enabled: false });
    const res = await fetch(`${url}/demo`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'No route for GET /demo.' } });
  });
});

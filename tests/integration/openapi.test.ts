import type { RouteSpec } from '../../src/http/route';
import { openApiPath } from '../../src/api/openapi';
import { ENGINES } from '../support/env';
import { mountedRoutes, type RouterLike } from '../support/mounted-routes';
import { TWILIO_TEST_ENV } from '../support/twilio';
import { startTestHub, type TestHub } from '../support/hub';

/**
 * The OpenAPI document against the app that actually runs: every route mounted on the hub's express
 * app is documented (and nothing else), every operation documents its errors, and every example in
 * the document is valid input for the zod schema that validates the route's requests.
 */

interface Operation {
  operationId: string;
  'x-scope'?: string;
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: unknown; example?: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema?: { $ref?: string } }> }>;
}

interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
}

describe.each(ENGINES)('OpenAPI document on %s', (engine) => {
  let t: TestHub;
  let doc: OpenApiDocument;
  let specs: RouteSpec[];

  beforeAll(async () => {
    // With the SMS channel on, so that its routes are documented and checked too.
    t = await startTestHub(engine, { env: TWILIO_TEST_ENV });
    const res = await t.request('/api/v1/openapi.json', { key: null });
    if (res.status !== 200) throw new Error(`GET /api/v1/openapi.json answered ${res.status}`);
    doc = res.body as OpenApiDocument;

    // The route specs the hub mounts, for their zod schemas.
    specs = [...t.hub.routes];
  });
  afterAll(async () => {
    await t.stop();
  });

  function operations(): { key: string; path: string; method: string; op: Operation }[] {
    return Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, path, method, op })));
  }

  it('is served as OpenAPI 3.1.0 without an API key', async () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('Switchboard API');
    expect(doc.components.securitySchemes).toHaveProperty('apiKey');
    expect(doc.components.schemas).toHaveProperty('Error');
    const withBadKey = await t.request('/api/v1/openapi.json', { key: 'sb_not_a_key' });
    expect(withBadKey.status).toBe(200);
    expect(withBadKey.headers.get('content-type')).toMatch(/^application\/json/);
    expect(withBadKey.body).toEqual(doc);
  });

  it('documents exactly the API routes mounted on the hub’s express app', () => {
    const app = t.hub.app as unknown as { router?: RouterLike } | undefined;
    if (!app?.router) throw new Error('the hub exposes no express app with a router');
    const mounted = mountedRoutes(app.router);
    // Health and metrics endpoints are operational, outside the REST API and its document.
    const api = [...new Set(mounted.filter((route) => route.split(' ')[1]?.startsWith('/api/')))].map((route) => {
      const [method = '', path = ''] = route.split(' ');
      return `${method} ${openApiPath(path)}`;
    });
    // The walk found the routes: the registry's routes, the inbound channel and the document itself.
    expect(api).toEqual(expect.arrayContaining(['GET /api/v1/conversations', 'PATCH /api/v1/conversations/{id}', 'POST /api/v1/inbound', 'GET /api/v1/openapi.json', 'GET /api/v1/events']));
    expect(mounted).toEqual(expect.arrayContaining(['GET /healthz', 'GET /readyz', 'GET /metrics']));

    const documented = operations().map((o) => o.key);
    expect({ undocumented: api.filter((route) => !documented.includes(route)) }).toEqual({ undocumented: [] });
    expect({ notMounted: documented.filter((route) => !api.includes(route)) }).toEqual({ notMounted: [] });
    expect(api).toHaveLength(new Set(api).size);
  });

  it('gives every operation a unique operationId, its path parameters and a success response', () => {
    const ids = operations().map((o) => o.op.operationId);
    expect(ids).toHaveLength(new Set(ids).size);
    for (const { key, path, op } of operations()) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = (op.parameters ?? []).filter((p) => p.in === 'path');
      expect({ key, path: declared.map((p) => p.name).sort() }).toEqual({ key, path: [...inPath].sort() });
      expect({ key, required: declared.every((p) => p.required === true) }).toEqual({ key, required: true });
      expect({ key, success: Object.keys(op.responses).some((status) => status.startsWith('2')) }).toEqual({ key, success: true });
    }
  });

  it('documents 401 and 403 on every authenticated operation, 400/413/415 where there is a body, 404 where there is an id', () => {
    for (const { key, path, op } of operations()) {
      const statuses = Object.keys(op.responses);
      if (op.security && op.security.length === 0) {
        expect(key).toBe('GET /api/v1/openapi.json');
        continue;
      }
      expect({ key, scope: typeof op['x-scope'] }).toEqual({ key, scope: 'string' });
      const wanted = ['401', '403', ...(op.requestBody ? ['400', '413', '415'] : []), ...(op.parameters?.length ? ['400'] : []), ...(path.includes('{id}') ? ['404'] : [])];
      expect({ key, missing: wanted.filter((s) => !statuses.includes(s)) }).toEqual({ key, missing: [] });
      for (const status of statuses.filter((s) => s.startsWith('4'))) {
        expect({ key, status, schema: op.responses[status]?.content?.['application/json']?.schema }).toEqual({ key, status, schema: { $ref: '#/components/schemas/Error' } });
      }
    }
  });

  it('documents a file upload as raw bytes of any type', () => {
    const uploads = operations().filter((o) => o.op.requestBody?.content['*/*']);
    expect(uploads.map((o) => o.key)).toEqual(['POST /api/v1/files']);
    expect(uploads[0]?.op.requestBody?.content['*/*']?.schema).toEqual({ type: 'string', format: 'binary' });
  });

  it('has an example for every JSON request body, and every example validates against the route’s zod body schema', () => {
    const withBody = operations().filter((o) => o.op.requestBody && !o.op.requestBody.content['*/*']);
    expect(withBody.length).toBeGreaterThanOrEqual(8);
    for (const { key, op } of withBody) {
      const content = op.requestBody?.content['application/json'];
      expect({ key, schema: typeof content?.schema, hasExample: content?.example !== undefined }).toEqual({ key, schema: 'object', hasExample: true });
      const spec = specs.find((s) => s.operationId === op.operationId);
      if (!spec?.body) throw new Error(`${key} (${op.operationId}): no route spec with a body among the builders this test knows; add its builder to tests/integration/openapi.test.ts`);
      expect({ key, example: content?.example }).toEqual({ key, example: spec.example });
      const parsed = spec.body.safeParse(content?.example);
      expect({ key, valid: parsed.success, issues: parsed.error?.issues ?? [] }).toEqual({ key, valid: true, issues: [] });
    }
    // And the other way round: every spec this test built with an example is in the document.
    for (const spec of specs.filter((s) => s.example !== undefined)) {
      expect(withBody.map((o) => o.op.operationId)).toContain(spec.operationId);
    }
  });
});

import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { expectStatus } from '../support/agent-api';
import { ENGINES } from '../support/env';
import { pngBytes } from '../support/files';
import { startTestHub, type TestHub } from '../support/hub';
import { appRouter, mountedRoutes } from '../support/mounted-routes';
import { sendRaw, type RawRequest, type RawResponse } from '../support/raw-http';
import { TWILIO_TEST_ENV } from '../support/twilio';

/**
 * Every operation of the OpenAPI document the hub serves, and every other route mounted on its app (the
 * channels' webhooks, the widget, signed file links), gets generated malformed requests: odd path
 * segments and query values, headers, wrong types, huge strings, NUL, lone surrogates, deep nesting,
 * unknown ids. Whatever a request holds, the answer is below 500, every 4xx is in the error shape, and
 * a refused change leaves the database as it was. Routes are walked from the document and the router,
 * so routes added later are fuzzed without editing this file.
 */

const RUNS_PER_ROUTE = 25;
/** A walk grows with every route added; on PostgreSQL on a busy machine it outlasts jest's default timeout. */
const WALK_TIMEOUT_MS = 180_000;
const BODY_LIMIT = 16 * 1024;
const PAGE_ORIGIN = 'https://shop.fuzz.example';
const SLACK_ENV = {
  SLACK_BOT_TOKEN: 'xoxb-0000000000-fuzzing',
  SLACK_SIGNING_SECRET: randomBytes(16).toString('hex'),
  SLACK_DEFAULT_CHANNEL: 'C0FUZZING',
  // A closed port: refused requests never reach Slack, and nothing here waits for it.
  SLACK_API_URL: 'http://127.0.0.1:9/api/',
};
/** The email channel on, so its webhook and its pages (rating and unsubscribe links) are fuzzed. */
const EMAIL_ENV = {
  // A closed port: no reply is sent while fuzzing (the api role runs no workers anyway).
  SMTP_URL: 'smtp://127.0.0.1:9',
  MAIL_FROM: 'Fuzz Support <support@fuzz.example>',
  EMAIL_ADDRESSES: 'support@fuzz.example',
  EMAIL_INBOUND_TOKEN: randomBytes(16).toString('hex'),
};
/** Both CRM webhooks on, so their signature checks and parsers are fuzzed. */
const CRM_ENV = {
  CRM_WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
  HUBSPOT_CLIENT_SECRET: randomBytes(16).toString('hex'),
};
/** Values of root-route parameters that name something other than an id. */
const KNOWN_SEGMENTS: Record<string, string[]> = { provider: ['generic', 'hubspot'] };
/**
 * Webhook endpoints may point anywhere, so that creating one never waits on DNS (the example's host);
 * the api role sends nothing, and the SSRF guard has tests of its own.
 */
const WEBHOOK_ENV = { WEBHOOK_ALLOW_PRIVATE_URLS: 'true' };
const READS = new Set(['GET', 'HEAD']);
/** Bolt answers Slack's endpoint itself, as Slack expects: a forged or stale request is a bare 401. */
const OUTSIDE_THE_ERROR_SHAPE = new Set(['/slack/events']);

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { example?: unknown }> };
}
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
}
interface Known {
  ids: string[];
  fileKeys: string[];
  websiteKey: string;
  visitorToken: string;
}

// ---- generated values ----

/** Strings that have broken parsers, drivers and databases before. */
const NASTY = ['', ' ', '\u0000', 'a\u0000b', '\ud800', 'x\udfffy', '\ud83d', '💥', '\u202e', '\ufeff', '../../etc/passwd', '%', '%00', '%ud800', 'null', 'undefined', 'NaN', '-1', '0', '1e309', 'true', '[]', '{}', '<script>alert(1)</script>', "' OR 1=1 --", '"', '\\', 'ǅ'];
const oddString = fc.oneof(
  fc.constantFrom(...NASTY),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.integer({ min: 300, max: 4000 }).map((length) => 'x'.repeat(length)),
);
/** Nested arrays deeper than any schema, around the body parser's and the guard's limits. */
const deepJson = fc.integer({ min: 20, max: 5000 }).map((depth) => `${'['.repeat(depth)}1${']'.repeat(depth)}`);
const badValue: fc.Arbitrary<unknown> = fc.oneof(
  oddString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 2 }),
  fc.uuid(),
  fc.integer({ min: 40, max: 200 }).map((depth) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) as unknown),
);

/** Percent-encodes any string, lone surrogates as their WTF-8 bytes (which no UTF-8 decoder accepts). */
function percentEncode(text: string): string {
  let out = '';
  for (const char of text) {
    const unit = char.charCodeAt(0);
    if (char.length === 1 && unit >= 0xd800 && unit <= 0xdfff) {
      out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)].map((byte) => `%${byte.toString(16).toUpperCase()}`).join('');
    } else out += encodeURIComponent(char);
  }
  return out;
}

/** Malformed or hostile escapes, as sent on the wire. */
const RAW_ESCAPES = ['%ud800', '%', '%zz', '%E0%A4%A', '%ED%A0%80', '%C0%AF', '%FF', '%00', 'a%00b', '%2F', '..', '.', '%2e%2e', '%F4%90%80%80'];

function segment(known: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...known), weight: 2 },
    { arbitrary: fc.uuid(), weight: 1 },
    { arbitrary: fc.constantFrom(...RAW_ESCAPES), weight: 2 },
    { arbitrary: oddString.filter((s) => s.length > 0).map(percentEncode), weight: 2 },
  );
}

const queryValue = (known: readonly string[]) =>
  fc.oneof(fc.constantFrom('1', '25', '0', '101', '-5', 'open', 'resolved', '2024-01-01T00:00:00Z', 'sms', ''), fc.constantFrom(...known), fc.constantFrom(...RAW_ESCAPES), oddString.map(percentEncode));

function queryString(names: readonly string[], known: readonly string[]): fc.Arbitrary<string> {
  const name = names.length > 0 ? fc.oneof(fc.constantFrom(...names), oddString.map(percentEncode)) : oddString.map(percentEncode);
  const pairs = fc.array(fc.tuple(name, queryValue(known)), { maxLength: 4 }).map((list) => list.map(([n, v]) => `${n}=${v}`).join('&'));
  return fc.oneof({ arbitrary: pairs, weight: 4 }, { arbitrary: fc.constantFrom('%', '%zz=1', 'q=%ud800', '&&==', 'a[b]=1', 'q=%00', 'q=%ED%A0%80', 'limit=1&limit=2'), weight: 1 });
}

/** Header values node:http will send: printable Latin-1, of any length up to half the header limit. */
const headerValue = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)), maxLength: 60 }),
  fc.constantFrom('', ' ', '0', '-1', 'null', 'attachment; filename*=UTF-8\'\'%00.png', 'attachment; filename*=UTF-8\'\'%ud800', 'attachment; filename="a\\"b"'),
  fc.integer({ min: 1000, max: 8000 }).map((length) => 'h'.repeat(length)),
);

/** Every place in a JSON value where a bad value can go, as key paths. */
function paths(value: unknown, at: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [at];
  return [at, ...Object.entries(value).flatMap(([key, child]) => paths(child, [...at, key]))];
}

function replaced(value: unknown, at: readonly string[], by: unknown): unknown {
  const [head, ...rest] = at;
  if (head === undefined) return by;
  const copy = (Array.isArray(value) ? [...(value as unknown[])] : { ...(value as Record<string, unknown>) }) as Record<string, unknown>;
  copy[head] = replaced(copy[head], rest, by);
  return copy;
}

interface Body {
  contentType?: string;
  body?: string | Buffer;
}

const json = (value: unknown): Body => ({ contentType: 'application/json', body: JSON.stringify(value) });

/** A body for an operation: its example broken in one place, any JSON, malformed text, deep nesting, the wrong type, too large. */
function jsonBody(example: unknown): fc.Arbitrary<Body> {
  const spots = paths(example ?? {});
  return fc.oneof(
    { arbitrary: fc.tuple(fc.constantFrom(...spots), badValue).map(([at, value]) => json(replaced(example ?? {}, at, value))), weight: 5 },
    { arbitrary: fc.tuple(fc.constantFrom(...spots), oddString, badValue).map(([at, key, value]) => json(replaced(example ?? {}, [...at, key], value))), weight: 1 },
    { arbitrary: fc.jsonValue({ maxDepth: 3 }).map(json), weight: 1 },
    { arbitrary: fc.oneof(oddString, fc.constantFrom('{', '{"a":}', "{'a':1}", '[1,', '\u0000')).map((text) => ({ contentType: 'application/json', body: text })), weight: 1 },
    { arbitrary: deepJson.map((text) => ({ contentType: 'application/json', body: text })), weight: 1 },
    { arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1').map((contentType) => ({ contentType, body: JSON.stringify(example ?? {}) })), weight: 1 },
    { arbitrary: fc.constant(json({ padding: 'x'.repeat(BODY_LIMIT) })), weight: 1 },
    { arbitrary: fc.constant<Body>({}), weight: 1 },
  );
}

const anyBody: fc.Arbitrary<Body> = fc.oneof(
  { arbitrary: fc.constant<Body>({}), weight: 3 },
  { arbitrary: badValue.map(json), weight: 1 },
  { arbitrary: deepJson.map((text) => ({ contentType: 'application/json', body: text })), weight: 1 },
  {
    arbitrary: fc
      .dictionary(fc.constantFrom('Body', 'From', 'To', 'AccountSid', 'MessageSid', 'MessageStatus', 'NumMedia', 'payload', 'command', 'score', 'comment', 'List-Unsubscribe'), oddString.map(percentEncode), { maxKeys: 5 })
      .map((form) => ({ contentType: 'application/x-www-form-urlencoded', body: Object.entries(form).map(([k, v]) => `${k}=${v}`).join('&') })),
    weight: 2,
  },
  { arbitrary: fc.tuple(fc.constantFrom('text/plain', 'application/octet-stream', 'image/png', 'application/json', 'message/rfc822'), oddString).map(([contentType, body]) => ({ contentType, body })), weight: 1 },
);

/** The bytes of an upload: of any type, a picture, or nothing. */
const uploadBody: fc.Arbitrary<Body> = fc.oneof(
  fc.tuple(fc.constantFrom('image/png', 'text/html', 'application/octet-stream'), fc.uint8Array({ maxLength: 64 })).map(([contentType, bytes]) => ({ contentType, body: Buffer.from(bytes) })),
  fc.constant<Body>({ contentType: 'image/png', body: pngBytes() }),
  fc.constant<Body>({}),
);

// ---- checks ----

function isErrorShape(body: unknown): boolean {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return typeof error?.code === 'string' && typeof error.message === 'string' && error.message.length > 0;
}

function describeRequest(req: RawRequest): string {
  const body = req.body === undefined ? '' : ` body ${String(req.body).slice(0, 200)}`;
  return `${req.method} ${req.target.slice(0, 300)}${body}`;
}

/** A fingerprint of every table; outbox rows only by id, since published rows are deleted after the answer. */
async function snapshot(t: TestHub): Promise<{ tables: Record<string, string>; outbox: Set<string> }> {
  const manager = t.hub.db.manager;
  const tables: Record<string, string> = {};
  let outbox = new Set<string>();
  for (const metadata of manager.dataSource.entityMetadatas) {
    const rows = await manager.query<Record<string, unknown>[]>(`SELECT * FROM ${manager.dataSource.driver.escape(metadata.tableName)}`);
    if (metadata.tableName === 'outbox_events') {
      outbox = new Set(rows.map((row) => String(row.id)));
      continue;
    }
    // lastUsedAt is a hint that authentication refreshes; it is not a change a request made.
    const lines = rows.map((row) => JSON.stringify({ ...row, lastUsedAt: undefined })).sort();
    tables[metadata.tableName] = createHash('sha256').update(lines.join('\n')).digest('hex');
  }
  return { tables, outbox };
}

async function expectUnchanged(t: TestHub, before: Awaited<ReturnType<typeof snapshot>>, what: string): Promise<void> {
  const after = await snapshot(t);
  const changed = Object.keys(before.tables).filter((table) => before.tables[table] !== after.tables[table]);
  const added = [...after.outbox].filter((id) => !before.outbox.has(id));
  if (changed.length > 0 || added.length > 0) throw new Error(`${what} was refused but changed ${[...changed, ...(added.length > 0 ? ['outbox_events'] : [])].join(', ')}`);
}

// ---- the walk ----

describe.each(ENGINES)('fuzzing every route on %s', (engine) => {
  let t: TestHub;
  let doc: OpenApiDocument;
  let known: Known;

  async function seed(): Promise<Known> {
    const inbound = await expectStatus<{ contactId: string; conversationId: string; messageId: string }>(202, t, 'POST', '/api/v1/inbound', { sourceId: 'fuzz-seed', contact: { email: 'seed@fuzz.example' }, body: 'seed' });
    const agent = await expectStatus<{ id: string }>(201, t, 'POST', '/api/v1/agents', { name: 'Seed Agent', email: 'agent@fuzz.example' });
    const team = await expectStatus<{ id: string }>(201, t, 'POST', '/api/v1/teams', { name: 'Seed team' });
    const website = await expectStatus<{ id: string; key: string }>(201, t, 'POST', '/api/v1/websites', { name: 'Seed shop', allowedOrigins: [PAGE_ORIGIN] });
    const number = await expectStatus<{ id: string }>(201, t, 'POST', '/api/v1/sms-numbers', { address: '+14155550100' });
    const file = await t.request('/api/v1/files?name=seed.png', { method: 'POST', body: pngBytes(), headers: { 'content-type': 'image/png' } });
    if (file.status !== 201) throw new Error(`the seed upload answered ${file.status}`);
    const webhook = await expectStatus<{ id: string }>(201, t, 'POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/hooks', events: ['*'] });
    const testDelivery = await expectStatus<{ deliveryId: string }>(202, t, 'POST', `/api/v1/webhooks/${webhook.id}/test`);
    const visitor = await sendRaw(t.url, { method: 'POST', target: '/widget/v1/visitors', headers: { 'x-switchboard-website': website.key, origin: PAGE_ORIGIN } });
    if (visitor.status !== 201) throw new Error(`the seed visitor answered ${visitor.status}`);
    return {
      ids: [inbound.contactId, inbound.conversationId, inbound.messageId, agent.id, team.id, website.id, number.id, webhook.id, testDelivery.deliveryId],
      fileKeys: [(file.body as { fileKey: string }).fileKey],
      websiteKey: website.key,
      visitorToken: (visitor.body as { token: string }).token,
    };
  }

  beforeAll(async () => {
    // The api role runs no workers, so nothing but the fuzzed requests changes the database.
    t = await startTestHub(engine, { role: 'api', env: { ...TWILIO_TEST_ENV, ...SLACK_ENV, ...EMAIL_ENV, ...CRM_ENV, ...WEBHOOK_ENV, HTTP_BODY_LIMIT_BYTES: String(BODY_LIMIT) } });
    const res = await t.request('/api/v1/openapi.json', { key: null });
    if (res.status !== 200) throw new Error(`GET /api/v1/openapi.json answered ${res.status}`);
    doc = res.body as OpenApiDocument;
    known = await seed();
  });
  afterAll(async () => {
    await t.stop();
  });

  /** Sends one request and checks the answer; a refused change must have changed nothing. */
  async function probe(req: RawRequest): Promise<RawResponse> {
    const what = describeRequest(req);
    const before = READS.has(req.method) ? undefined : await snapshot(t);
    const res = await sendRaw(t.url, req);
    if (res.status >= 500) throw new Error(`${what} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`);
    if (res.status >= 400 && !OUTSIDE_THE_ERROR_SHAPE.has(req.target.split('?')[0] ?? '') && !isErrorShape(res.body)) throw new Error(`${what} answered ${res.status} outside the error shape: ${JSON.stringify(res.body).slice(0, 500)}`);
    if (before && res.status >= 400) await expectUnchanged(t, before, what);
    return res;
  }

  /** Runs the property for one route; a failure is collected (its shrunk cause), so that one run reports every failing route. */
  async function fuzz(requests: fc.Arbitrary<RawRequest>, failures: string[]): Promise<void> {
    const result = await fc.check(
      fc.asyncProperty(requests, async (req) => {
        await probe(req);
      }),
      { numRuns: RUNS_PER_ROUTE },
    );
    if (result.failed) failures.push(`${String(result.errorInstance instanceof Error ? result.errorInstance.message : result.errorInstance)} (seed ${result.seed})`);
  }

  function withBody(headers: Record<string, string>, body: Body): Pick<RawRequest, 'headers' | 'body'> {
    return { headers: { ...headers, ...(body.contentType ? { 'content-type': body.contentType } : {}) }, ...(body.body !== undefined ? { body: body.body } : {}) };
  }

  function apiRequest(path: string, method: string, op: Operation): fc.Arbitrary<RawRequest> {
    const parameters = op.parameters ?? [];
    const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1] ?? '');
    const segments = fc.tuple(...inPath.map((name) => segment(name === 'key' ? known.fileKeys : known.ids)));
    const query = queryString(parameters.filter((p) => p.in === 'query').map((p) => p.name), known.ids);
    const headerNames = parameters.filter((p) => p.in === 'header').map((p) => p.name);
    const headers = fc.tuple(...headerNames.map((name) => fc.option(headerValue).map((value) => [name, value] as const)));
    const auth = fc.oneof({ arbitrary: fc.constant(`Bearer ${t.apiKey}`), weight: 6 }, { arbitrary: fc.constantFrom(undefined, 'Bearer sb_not_a_key', 'Basic Zm9vOmJhcg=='), weight: 1 }, { arbitrary: headerValue, weight: 1 });
    const content = op.requestBody?.content;
    const body = content?.['*/*'] ? uploadBody : content?.['application/json'] ? jsonBody(content['application/json'].example) : anyBody;
    return fc.record({ segments, query, headers, auth, body }).map(({ segments: values, query: q, headers: pairs, auth: authorization, body: b }) => {
      let target = path;
      inPath.forEach((name, i) => (target = target.replace(`{${name}}`, values[i] ?? '')));
      const sent: Record<string, string> = {};
      for (const [name, value] of pairs) if (value !== null) sent[name] = value;
      if (authorization !== undefined) sent.authorization = authorization;
      return { method: method.toUpperCase(), target: q ? `${target}?${q}` : target, ...withBody(sent, b) };
    });
  }

  it('answers every operation of the OpenAPI document below 500, 4xx in the error shape, refusals changing nothing', async () => {
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
    const walked = new Set<string>();
    const failures: string[] = [];
    for (const { path, method, op } of operations) {
      await fuzz(apiRequest(path, method, op), failures);
      walked.add(`${method} ${path}`);
    }
    expect(failures).toEqual([]);
    expect(walked.size).toBe(operations.length);
    expect(operations.length).toBeGreaterThanOrEqual(30);
  }, WALK_TIMEOUT_MS);

  function rootHeaders(): fc.Arbitrary<Record<string, string>> {
    const now = String(Math.floor(Date.now() / 1000));
    const hex = fc.string({ unit: fc.integer({ min: 0, max: 15 }).map((digit) => digit.toString(16)), maxLength: 64 });
    return fc.oneof<fc.Arbitrary<Record<string, string>>[]>(
      fc.constant({}),
      fc.record({ 'x-switchboard-website': fc.oneof(fc.constant(known.websiteKey), headerValue), origin: fc.constantFrom(PAGE_ORIGIN, 'https://evil.example', 'null') }),
      fc.record({ 'x-switchboard-website': fc.constant(known.websiteKey), origin: fc.constant(PAGE_ORIGIN), authorization: fc.oneof(fc.constant(`Bearer ${known.visitorToken}`), headerValue) }),
      fc.record({ 'x-twilio-signature': fc.base64String({ maxLength: 44 }) }),
      fc.record({ authorization: fc.oneof(fc.constant(`Bearer ${EMAIL_ENV.EMAIL_INBOUND_TOKEN}`), headerValue) }),
      fc.record({ 'x-slack-signature': hex.map((signature) => `v0=${signature}`), 'x-slack-request-timestamp': fc.oneof(fc.constant(now), headerValue) }),
      fc.record({ 'webhook-id': headerValue, 'webhook-timestamp': fc.oneof(fc.constant(now), headerValue), 'webhook-signature': fc.oneof(fc.base64String({ maxLength: 44 }).map((signature) => `v1,${signature}`), headerValue) }),
      fc.record({ 'x-hubspot-signature-v3': fc.oneof(fc.base64String({ maxLength: 44 }), headerValue), 'x-hubspot-request-timestamp': fc.oneof(fc.constant(String(Date.now())), headerValue) }),
    );
  }

  function rootRequest(method: string, template: string): fc.Arbitrary<RawRequest> {
    // Express 5 paths: `:name` and `*name` are parameters, `{...}` optional parts.
    const names = [...template.matchAll(/[:*](\w+)/g)].map((match) => match[1] ?? '');
    const segments = fc.tuple(...names.map((name) => segment(KNOWN_SEGMENTS[name] ?? (name === 'key' ? known.fileKeys : known.ids))));
    const query = queryString(['website', 'expires', 'signature', 'messageId', 'before', 'after', 'score'], known.ids);
    return fc.record({ segments, query, headers: rootHeaders(), body: anyBody }).map(({ segments: values, query: q, headers, body }) => {
      let target = template.replace(/[{}]/g, '');
      names.forEach((name, i) => (target = target.replace(/[:*]\w+/, values[i] ?? name)));
      return { method, target: q ? `${target}?${q}` : target, ...withBody(headers, body) };
    });
  }

  it("answers every route outside the API (the channels' webhooks, the widget, file links) below 500, refusals changing nothing", async () => {
    const routes = [...new Set(mountedRoutes(appRouter(t.hub.app)).filter((route) => !route.split(' ')[1]?.startsWith('/api/')))];
    expect(routes).toEqual(expect.arrayContaining(['POST /webhooks/twilio/sms', 'POST /webhooks/twilio/status', 'POST /slack/events', 'POST /webhooks/email/inbound', 'POST /widget/v1/messages', 'GET /files/:key', 'GET /email/v1/ratings/:token', 'POST /email/v1/unsubscribe/:token', 'POST /webhooks/crm/:provider']));
    const failures: string[] = [];
    for (const route of routes) {
      const [method = '', template = ''] = route.split(' ');
      await fuzz(rootRequest(method, template), failures);
    }
    expect(failures).toEqual([]);
  }, WALK_TIMEOUT_MS);
});

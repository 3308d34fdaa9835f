import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { repo } from '../../src/core/model/schemas';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';

/**
 * Bad input on every JSON endpoint (so far POST /api/v1/inbound): each kind of bad request gets the
 * right 4xx in the error shape, never a stack trace, and writes nothing.
 */

const MAX_LENGTH = 50;
const BODY_LIMIT = 2048;
const LIMITS = { MESSAGE_MAX_LENGTH: String(MAX_LENGTH), HTTP_BODY_LIMIT_BYTES: String(BODY_LIMIT) };
const INBOUND = '/api/v1/inbound';
const TOP_LEVEL_FIELDS = ['sourceId', 'contact', 'body', 'attachments'];
const CONTACT_FIELDS = ['externalId', 'name', 'email', 'phone'];
const ATTACHMENT_FIELDS = ['url', 'contentType', 'name', 'size'];
/** What a leaked stack trace or source location looks like. */
const STACK_TRACE = /\n\s+at\s|\bat\s+\S+\s+\(|node_modules|\/work\/|\.(ts|js):\d+/;
const PROPERTY_RUNS = { numRuns: 100 };

type Response = Awaited<ReturnType<TestHub['request']>>;
interface Detail {
  path: string;
  message: string;
  code: string;
}
interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

function isErrorBody(body: unknown): body is ErrorBody {
  if (typeof body !== 'object' || body === null || Object.keys(body).join() !== 'error') return false;
  const error = (body as { error: unknown }).error;
  if (typeof error !== 'object' || error === null) return false;
  const { code, message, ...rest } = error as Record<string, unknown>;
  return typeof code === 'string' && /^[a-z_]+$/.test(code) && typeof message === 'string' && message.length > 0 && Object.keys(rest).every((key) => key === 'details');
}

/** A 4xx (or the given status and code) in the error shape, with a request id and no stack trace. */
function expectError(res: Response, status?: number, code?: string): ErrorBody {
  const expected = status ?? (res.status >= 400 && res.status < 500 ? res.status : '4xx');
  expect({ status: res.status, body: res.body }).toMatchObject({ status: expected });
  if (!isErrorBody(res.body)) throw new Error(`not the error shape: ${JSON.stringify(res.body)}`);
  if (code !== undefined) expect(res.body.error.code).toBe(code);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.headers.get('x-request-id')).toBeTruthy();
  expect(JSON.stringify(res.body)).not.toMatch(STACK_TRACE);
  return res.body;
}

function detailPaths(body: ErrorBody): string[] {
  const details = body.error.details;
  if (!Array.isArray(details)) throw new Error(`details are not a list: ${JSON.stringify(body)}`);
  for (const detail of details as Detail[]) expect(Object.entries(detail).map(([key, value]) => `${key}:${typeof value}`)).toEqual(['path:string', 'message:string', 'code:string']);
  return (details as Detail[]).map((detail) => detail.path);
}

function validPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { sourceId: 'src-1', contact: { email: 'ada@example.com' }, body: 'hello', ...overrides };
}

async function rowCounts(t: TestHub): Promise<Record<string, number>> {
  const manager = t.hub.db.manager;
  return {
    contacts: await repo(manager, 'Contact').count(),
    identities: await repo(manager, 'ChannelIdentity').count(),
    conversations: await repo(manager, 'Conversation').count(),
    messages: await repo(manager, 'Message').count(),
    outbox: await repo(manager, 'OutboxEvent').count(),
  };
}
const NOTHING = { contacts: 0, identities: 0, conversations: 0, messages: 0, outbox: 0 };

/** A request fetch cannot make: no content type at all, or a chunked body. */
function rawRequest(base: string, init: { method: string; path: string; headers: Record<string, string>; chunks: string[] }): Promise<Response> {
  const url = new URL(init.path, base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method, headers: init.headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => parts.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') headers.set(name, value);
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, body, headers });
      });
    });
    req.on('error', reject);
    for (const chunk of init.chunks) req.write(chunk);
    req.end();
  });
}

/** Strings that cannot be a phone number: fewer than 7 digits or letters (the shortest valid numbers have 7). */
const notAPhone = fc
  .oneof(fc.string(), fc.string({ unit: 'binary' }), fc.stringMatching(/^\+?[0-9 ()-]{0,8}$/))
  .filter((s) => (s.match(/[\p{Nd}\p{L}]/gu) ?? []).length < 7);

/** Strings that cannot be an email address: not even of the loose shape local@domain.tld. */
const notAnEmail = fc
  .oneof(
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.emailAddress().chain((email) => fc.constantFrom(email.replace('@', ''), `${email}@x`, `@${email}`, email.replace('@', ' @ '), `${email}.`)),
  )
  .filter((s) => !/^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$/.test(s));

describe.each(ENGINES)('bad input to POST /api/v1/inbound on %s', (engine) => {
  let t: TestHub;

  beforeAll(async () => {
    t = await startTestHub(engine, { env: LIMITS });
  });
  afterAll(async () => {
    await t.stop();
  });

  function post(json: unknown): Promise<Response> {
    return t.request(INBOUND, { method: 'POST', json });
  }
  function postRaw(body: string, contentType: string): Promise<Response> {
    return t.request(INBOUND, { method: 'POST', body, headers: { 'content-type': contentType } });
  }
  async function expectInvalid(json: unknown, ...paths: string[]): Promise<string[]> {
    const failing = detailPaths(expectError(await post(json), 400, 'validation_failed'));
    expect(failing).toEqual(expect.arrayContaining(paths));
    return failing;
  }

  it('answers malformed JSON with 400 malformed_json', async () => {
    const bodies = ['{', '{"sourceId": }', "{'sourceId': 'a'}", '{"a":1}}', '[1, 2', 'nul', '{"a":1,}', '\u0000', '"just a string"', '42', 'null', 'true'];
    for (const body of bodies) {
      const res = await postRaw(body, 'application/json');
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(expectError(res, 400, 'malformed_json').error.details).toBeUndefined();
    }
  });

  it('answers wrong types with 400 validation_failed naming each field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [validPayload({ sourceId: 42 }), 'sourceId'],
      [validPayload({ sourceId: null }), 'sourceId'],
      [validPayload({ contact: 'ada@example.com' }), 'contact'],
      [validPayload({ contact: [] }), 'contact'],
      [validPayload({ body: 7 }), 'body'],
      [validPayload({ body: { text: 'hi' } }), 'body'],
      [validPayload({ attachments: { url: 'https://example.com/a.png' } }), 'attachments'],
      [validPayload({ attachments: ['https://example.com/a.png'] }), 'attachments.0'],
      [validPayload({ attachments: [{ url: 'https://example.com/a.png', size: '12' }] }), 'attachments.0.size'],
      [validPayload({ attachments: [{ url: 'https://example.com/a.png', size: -1 }] }), 'attachments.0.size'],
      [validPayload({ attachments: [{ url: 'https://example.com/a.png', size: 1.5 }] }), 'attachments.0.size'],
      [validPayload({ contact: { email: 12 } }), 'contact.email'],
      [validPayload({ contact: { externalId: 5 } }), 'contact.externalId'],
      [validPayload({ contact: { phone: 4155550123 } }), 'contact.phone'],
      [validPayload({ contact: { email: 'ada@example.com', name: true } }), 'contact.name'],
    ];
    for (const [payload, path] of cases) await expectInvalid(payload, path);
    // Several wrong fields at once are all named.
    await expectInvalid({ sourceId: 1, contact: { email: 2 }, body: 3 }, 'sourceId', 'contact.email', 'body');
    await expectInvalid([validPayload()], '(root)');
  });

  it('names missing fields', async () => {
    await expectInvalid({}, 'sourceId', 'contact', 'body');
    await expectInvalid({ contact: { email: 'ada@example.com' }, body: 'hi' }, 'sourceId');
    await expectInvalid(validPayload({ body: undefined }), 'body');
    await expectInvalid(validPayload({ contact: {} }), 'contact');
    await expectInvalid(validPayload({ contact: { name: 'Ada' } }), 'contact');
    await expectInvalid(validPayload({ sourceId: '   ' }), 'sourceId');
    await expectInvalid(validPayload({ attachments: [{ name: 'a.png' }] }), 'attachments.0.url');
    // An empty JSON body (Content-Length: 0) is a missing body, not a crash.
    expectError(await postRaw('', 'application/json'), 400, 'validation_failed');
  });

  it('refuses unknown fields at the top level and nested, naming them', async () => {
    expect(await expectInvalid(validPayload({ extra: 1 }), 'extra')).toHaveLength(1);
    await expectInvalid(validPayload({ contact: { email: 'ada@example.com', company: 'ACME' } }), 'contact.company');
    await expectInvalid(validPayload({ attachments: [{ url: 'https://example.com/a.png', width: 10 }] }), 'attachments.0.width');
    await expectInvalid(validPayload({ metadata: {}, channel: 'sms', contact: { email: 'ada@example.com', id: 1 } }), 'metadata', 'channel', 'contact.id');
    // Keys JavaScript treats specially are unknown fields like any other.
    const proto = `{"sourceId":"p","contact":{"email":"ada@example.com","__proto__":{"phone":"+14155550123"}},"body":"hi","__proto__":{"x":1}}`;
    const res = await postRaw(proto, 'application/json');
    expect(detailPaths(expectError(res, 400, 'validation_failed'))).toEqual(expect.arrayContaining(['__proto__', 'contact.__proto__']));
    await expectInvalid(validPayload({ constructor: 'x' }), 'constructor');
  });

  it('refuses an empty message without attachments', async () => {
    for (const body of ['', ' ', '\n\t  ']) {
      await expectInvalid(validPayload({ body }), 'body');
      await expectInvalid(validPayload({ body, attachments: [] }), 'body');
    }
  });

  it('refuses invalid email addresses', async () => {
    const tooLong = `${'a'.repeat(64)}@${'b'.repeat(250)}.com`;
    for (const email of ['not-an-email', 'ada@', '@example.com', 'ada@example', 'ada @example.com', 'ada@example.com.', 'ada@@example.com', '', tooLong]) {
      await expectInvalid(validPayload({ contact: { email } }), 'contact.email');
    }
  });

  it('refuses invalid phone numbers', async () => {
    for (const phone of ['12345', '+1 555', 'hello', '+', '', '(415) 555-0123', '+999 1234 5678', `+1 415 555 0123${' '.repeat(40)}x`]) {
      await expectInvalid(validPayload({ contact: { phone } }), 'contact.phone');
    }
  });

  it('refuses a body longer than MESSAGE_MAX_LENGTH', async () => {
    const res = await post(validPayload({ body: 'x'.repeat(MAX_LENGTH + 1) }));
    const body = expectError(res, 400, 'validation_failed');
    expect(body.error.details).toEqual([expect.objectContaining({ path: 'body', code: 'too_big' })]);
    expect(body.error.message).toContain(String(MAX_LENGTH));
  });

  it('refuses too many attachments and attachments that are not http(s) links', async () => {
    const attachment = { url: 'https://example.com/a.png' };
    await expectInvalid(validPayload({ attachments: Array.from({ length: 11 }, () => attachment) }), 'attachments');
    for (const url of ['ftp://example.com/a.png', 'javascript:alert(1)', 'file:///etc/passwd', 'data:text/plain,hi', 'mailto:ada@example.com', 'not a url', '/relative/a.png', '']) {
      await expectInvalid(validPayload({ attachments: [attachment, { url }] }), 'attachments.1.url');
    }
  });

  it('refuses NUL characters in stored text (PostgreSQL cannot store them)', async () => {
    await expectInvalid(validPayload({ body: 'a\u0000b' }), 'body');
    await expectInvalid(validPayload({ sourceId: 'x\u0000' }), 'sourceId');
    await expectInvalid(validPayload({ contact: { externalId: '\u0000id' } }), 'contact.externalId');
    await expectInvalid(validPayload({ contact: { email: 'ada@example.com', name: 'A\u0000da' } }), 'contact.name');
  });

  it('answers a body over HTTP_BODY_LIMIT_BYTES with 413 payload_too_large', async () => {
    const big = JSON.stringify(validPayload({ body: 'x'.repeat(BODY_LIMIT) }));
    expectError(await postRaw(big, 'application/json'), 413, 'payload_too_large');
    // Without a Content-Length (chunked), the limit holds too.
    const chunked = await rawRequest(t.url, {
      method: 'POST',
      path: INBOUND,
      headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      chunks: [big.slice(0, 1000), big.slice(1000)],
    });
    expectError(chunked, 413, 'payload_too_large');
  });

  it('answers other content types with 415 unsupported_media_type', async () => {
    const json = JSON.stringify(validPayload());
    for (const type of ['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/octet-stream']) {
      const res = await postRaw(type.startsWith('application/x-www') ? 'sourceId=a&body=hi' : json, type);
      expect({ type, status: res.status }).toEqual({ type, status: 415 });
      expectError(res, 415, 'unsupported_media_type');
    }
    // A JSON body sent with no content type at all.
    const untyped = await rawRequest(t.url, { method: 'POST', path: INBOUND, headers: { authorization: `Bearer ${t.apiKey}`, 'content-length': String(Buffer.byteLength(json)) }, chunks: [json] });
    expectError(untyped, 415, 'unsupported_media_type');
    // JSON in a charset the parser cannot read.
    expectError(await postRaw(json, 'application/json; charset=latin1'), 415, 'unsupported_media_type');
  });

  it('answers unknown routes with 404 in the error shape', async () => {
    expectError(await t.request('/no/such/route', {}), 404, 'not_found');
    expectError(await t.request('/api/v1/no-such-route', { method: 'POST', json: validPayload() }), 404, 'not_found');
    expectError(await t.request(INBOUND, { method: 'GET' }), 404, 'not_found');
    expectError(await t.request(INBOUND, { method: 'DELETE' }), 404, 'not_found');
    // Under /api/v1 the key is checked first: no key is 401, also in the error shape.
    expectError(await t.request('/api/v1/no-such-route', { key: null }), 401, 'unauthorized');
  });

  it('answers any JSON value that is not an inbound message with 400', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const res = await postRaw(JSON.stringify(value), 'application/json');
        const { error } = expectError(res, 400);
        expect(['malformed_json', 'validation_failed']).toContain(error.code);
        expect(await rowCounts(t)).toEqual(NOTHING);
      }),
      PROPERTY_RUNS,
    );
  });

  it('answers arbitrary text sent as JSON with 400', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.json()), async (text) => {
        const res = await postRaw(text, 'application/json');
        const { error } = expectError(res, 400);
        expect(['malformed_json', 'validation_failed']).toContain(error.code);
      }),
      PROPERTY_RUNS,
    );
    expect(await rowCounts(t)).toEqual(NOTHING);
  });

  it('refuses any valid message with extra keys, naming each one', async () => {
    const extraKeys = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 3 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('top', 'contact', 'attachment'), extraKeys, async (where, extra) => {
        const known = where === 'top' ? TOP_LEVEL_FIELDS : where === 'contact' ? CONTACT_FIELDS : ATTACHMENT_FIELDS;
        const keys = Object.keys(extra).filter((key) => !known.includes(key));
        fc.pre(keys.length > 0);
        const attachment = { url: 'https://example.com/a.png' };
        const payload =
          where === 'top'
            ? { ...extra, ...validPayload() }
            : where === 'contact'
              ? validPayload({ contact: { ...extra, email: 'ada@example.com' } })
              : validPayload({ attachments: [{ ...extra, ...attachment }] });
        const prefix = where === 'top' ? '' : where === 'contact' ? 'contact.' : 'attachments.0.';
        const res = await post(payload);
        expect(detailPaths(expectError(res, 400, 'validation_failed'))).toEqual(expect.arrayContaining(keys.map((key) => prefix + key)));
        expect(await rowCounts(t)).toEqual(NOTHING);
      }),
      PROPERTY_RUNS,
    );
  });

  it('refuses any string that is not a phone number, naming contact.phone', async () => {
    await fc.assert(
      fc.asyncProperty(notAPhone, async (phone) => {
        const res = await post(validPayload({ contact: { phone } }));
        expect(detailPaths(expectError(res, 400, 'validation_failed'))).toContain('contact.phone');
        expect(await rowCounts(t)).toEqual(NOTHING);
      }),
      PROPERTY_RUNS,
    );
  });

  it('refuses any string that is not an email address, naming contact.email', async () => {
    await fc.assert(
      fc.asyncProperty(notAnEmail, async (email) => {
        const res = await post(validPayload({ contact: { email } }));
        expect(detailPaths(expectError(res, 400, 'validation_failed'))).toContain('contact.email');
        expect(await rowCounts(t)).toEqual(NOTHING);
      }),
      PROPERTY_RUNS,
    );
  });

  it('wrote no row for any of it', async () => {
    expect(await rowCounts(t)).toEqual(NOTHING);
  });
});

describe.each(ENGINES)('HTTP basics and good input on %s', (engine) => {
  let t: TestHub;

  beforeAll(async () => {
    t = await startTestHub(engine, { env: LIMITS });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('returns X-Request-Id, echoing a valid incoming one and replacing an invalid one', async () => {
    const echoed = await t.request('/healthz', { headers: { 'x-request-id': 'req-1.abc_XYZ' } });
    expect(echoed.headers.get('x-request-id')).toBe('req-1.abc_XYZ');
    const generated = await t.request('/healthz', {});
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    for (const bad of ['has space', 'a'.repeat(129), 'semi;colon', '<script>']) {
      const replaced = await t.request('/healthz', { headers: { 'x-request-id': bad } });
      expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
    // Errors carry it too.
    const failed = await t.request('/api/v1/inbound', { method: 'POST', json: {}, headers: { 'x-request-id': 'trace-400' } });
    expect(failed.headers.get('x-request-id')).toBe('trace-400');
    expect((await t.request('/nope', { headers: { 'x-request-id': 'trace-404' } })).headers.get('x-request-id')).toBe('trace-404');
  });

  it("sends helmet's headers and no X-Powered-By", async () => {
    for (const path of ['/healthz', '/nope', INBOUND]) {
      const res = await t.request(path, {});
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(res.headers.get('content-security-policy')).toBeTruthy();
      expect(res.headers.get('x-powered-by')).toBeNull();
    }
  });

  it('answers GET /healthz and GET /readyz with 200', async () => {
    expect(await t.request('/healthz', { key: null })).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await t.request('/readyz', { key: null })).toMatchObject({ status: 200, body: { status: 'ready' } });
  });

  it('exposes request durations by route template, ingest counts, job counts and the outbox on /metrics', async () => {
    expect((await t.request(INBOUND, { method: 'POST', json: validPayload({ sourceId: 'metrics-1' }) })).status).toBe(202);
    expect((await t.request(INBOUND, { method: 'POST', json: { nope: true } })).status).toBe(400);
    expect((await t.request('/no/such/path-7f3a', {})).status).toBe(404);

    const res = await t.request('/metrics', { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = String(res.body);
    expect(text).toMatch(/^switchboard_http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/inbound"[^}]*status="202"[^}]*\} 1$/m);
    // A refused request is labelled with its route template too, not with the path inside the router.
    expect(text).toMatch(/^switchboard_http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/inbound"[^}]*status="400"[^}]*\} \d+$/m);
    expect(text).not.toMatch(/route="\/inbound"/);
    // Unknown paths share one label instead of one series each.
    expect(text).not.toContain('path-7f3a');
    expect(text).toMatch(/route="unmatched"/);
    expect(text).toMatch(/^switchboard_messages_ingested_total\{channel="api"\} 1$/m);
    for (const state of ['waiting', 'active', 'failed']) expect(text).toMatch(new RegExp(`^switchboard_jobs\\{queue="events",state="${state}"\\} \\d+$`, 'm'));
    expect(text).toMatch(/^switchboard_outbox_waiting \d+$/m);
    expect(text).toMatch(/^switchboard_outbox_oldest_age_seconds [\d.e+-]+$/m);
  });

  it('never answers 5xx to any text in the message fields, and stores accepted text as sent', async () => {
    const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 40 }), fc.constantFrom('\u0000', ' ', '+14155550123', 'Ada@Example.COM'));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.record({ sourceId: anyText, externalId: anyText, name: anyText, email: anyText, phone: anyText, body: anyText }, { requiredKeys: ['body'] }), async (fields) => {
        const { sourceId, body, ...contact } = fields;
        const res = await t.request(INBOUND, { method: 'POST', json: { sourceId: `${sourceId ?? ''}-${n++}`, contact, body } });
        if (res.status >= 400) {
          expectError(res, 400, 'validation_failed');
          return;
        }
        expect(res.status).toBe(202);
        const { messageId } = res.body as { messageId: string };
        const stored = await repo(t.hub.db.manager, 'Message').findOneByOrFail({ id: messageId });
        // A lone surrogate cannot be stored as UTF-8; everything else comes back exactly as sent.
        if (!/\p{Cs}/u.test(body)) expect(stored.body).toBe(body);
      }),
      PROPERTY_RUNS,
    );
  });

  it('counts every stored message once in switchboard_messages_ingested_total', async () => {
    const stored = await repo(t.hub.db.manager, 'Message').count();
    const text = String((await t.request('/metrics', { key: null })).body);
    expect(text).toMatch(new RegExp(`^switchboard_messages_ingested_total\\{channel="api"\\} ${stored}$`, 'm'));
  });
});

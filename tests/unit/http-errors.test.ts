import express, { type Express } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { z } from 'zod';
import { errorHandler, notFound } from '../../src/http/errors';
import { requestLog } from '../../src/http/request-log';
import { jsonBody } from '../../src/http/json-body';
import { parseInput } from '../../src/http/validation';
import {
  AppError,
  ConflictError,
  ERROR_KINDS,
  FileTooLargeError,
  ForbiddenError,
  InvalidTransitionError,
  NotFoundError,
  ServiceUnavailableError,
  TooManyRequestsError,
  UnauthorizedError,
  UnsupportedFileTypeError,
  ValidationError,
  type ErrorKind,
} from '../../src/core/errors';

/** The status of each kind of core error: every kind is here once, and a test checks none is missing. */
const STATUS_OF_KIND: [ErrorKind, number][] = [
  ['validation', 400],
  ['unauthorized', 401],
  ['forbidden', 403],
  ['not_found', 404],
  ['conflict', 409],
  ['invalid_transition', 409],
  ['too_large', 413],
  ['unsupported_type', 415],
  ['rate_limited', 429],
  ['unavailable', 503],
];

/** A tiny app with the hub's error handling: each route fails in one way. */
function buildApp(): Express {
  const app = express();
  app.use(requestLog(pino({ level: 'silent' })));
  const fail = (path: string, error: () => unknown) =>
    app.get(path, () => {
      throw error();
    });
  fail('/validation', () => new ValidationError('Body is invalid.', [{ path: 'a', message: 'bad', code: 'custom' }]));
  fail('/unauthorized', () => new UnauthorizedError());
  fail('/forbidden', () => new ForbiddenError('No.'));
  fail('/not-found', () => new NotFoundError('Conversation c1'));
  fail('/conflict', () => new ConflictError('recipient_opted_out', 'They texted STOP.'));
  fail('/invalid-transition', () => new InvalidTransitionError('It is resolved.', { path: 'status', message: 'can become open', code: 'invalid_transition', allowed: ['open'] }));
  fail('/too-large', () => new FileTooLargeError(1024));
  fail('/unsupported-type', () => new UnsupportedFileTypeError('image/svg+xml'));
  fail('/rate-limited', () => new TooManyRequestsError('Slow down.', 42));
  fail('/unavailable', () => new ServiceUnavailableError('queue_unavailable', 'Try again.'));
  for (const [kind] of STATUS_OF_KIND) fail(`/kind/${kind}`, () => new AppError(kind, `some_${kind}`, `A ${kind} error.`));
  fail('/bug', () => new TypeError("Cannot read properties of undefined (reading 'id') at /srv/src/core/x.ts:10:5"));
  fail('/string', () => 'a thrown string');
  app.get('/async', async () => {
    await Promise.resolve();
    throw new Error('async failure with secret internals');
  });
  app.post('/json', ...jsonBody(1024), (req, res) => {
    res.json(parseInput(z.strictObject({ name: z.string(), tags: z.array(z.string()).optional() }), req.body));
  });
  app.use(notFound);
  app.use(errorHandler);
  return app;
}

describe('the HTTP error handler', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const app = buildApp();
    server = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  async function call(path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown; text: string; type: string | null }> {
    const res = await fetch(url + path, init);
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text) as unknown, text, type: res.headers.get('content-type') };
  }

  it.each([
    ['/validation', 400, { code: 'validation_failed', message: 'Body is invalid.', details: [{ path: 'a', message: 'bad', code: 'custom' }] }],
    ['/unauthorized', 401, { code: 'unauthorized', message: expect.stringContaining('Bearer') as unknown }],
    ['/forbidden', 403, { code: 'forbidden', message: 'No.' }],
    ['/not-found', 404, { code: 'not_found', message: 'Conversation c1 was not found.' }],
    ['/conflict', 409, { code: 'recipient_opted_out', message: 'They texted STOP.' }],
    ['/invalid-transition', 409, { code: 'invalid_transition', message: 'It is resolved.', details: [{ path: 'status', message: 'can become open', code: 'invalid_transition', allowed: ['open'] }] }],
    ['/too-large', 413, { code: 'file_too_large', message: expect.stringContaining('1024') as unknown }],
    ['/unsupported-type', 415, { code: 'unsupported_file_type', message: expect.stringContaining('image/svg+xml') as unknown }],
    ['/rate-limited', 429, { code: 'rate_limited', message: 'Slow down.', retryAfterSeconds: 42 }],
    ['/unavailable', 503, { code: 'queue_unavailable', message: 'Try again.' }],
  ])('maps the error of %s to %d with its code, message and details', async (path, status, error) => {
    const res = await call(path);
    expect(res).toMatchObject({ status, body: { error } });
    expect(Object.keys(res.body as object)).toEqual(['error']);
    expect(res.type).toMatch(/^application\/json/);
  });

  it('maps every kind of core error to its status, once', async () => {
    expect(STATUS_OF_KIND.map(([kind]) => kind).sort()).toEqual([...ERROR_KINDS].sort());
    for (const [kind, status] of STATUS_OF_KIND) {
      expect({ kind, ...(await call(`/kind/${kind}`)) }).toMatchObject({ kind, status, body: { error: { code: `some_${kind}`, message: `A ${kind} error.` } } });
    }
  });

  it('says when to retry a rate limit, in the Retry-After header too', async () => {
    expect((await fetch(`${url}/rate-limited`)).headers.get('retry-after')).toBe('42');
  });

  it('leaves details out when there are none', async () => {
    expect(Object.keys(((await call('/forbidden')).body as { error: object }).error)).toEqual(['code', 'message']);
  });

  it.each(['/bug', '/string', '/async'])('answers an unexpected failure (%s) with a generic 500 and no internals', async (path) => {
    const res = await call(path);
    expect(res).toEqual(expect.objectContaining({ status: 500, body: { error: { code: 'internal_error', message: expect.any(String) as unknown } } }));
    expect(res.text).not.toMatch(/TypeError|properties of undefined|secret internals|thrown string|\.ts:\d+|\n\s+at /);
  });

  it('answers unknown routes with 404 naming the method and path', async () => {
    expect(await call('/nowhere?x=1', { method: 'PUT' })).toMatchObject({ status: 404, body: { error: { code: 'not_found', message: 'No route for PUT /nowhere.' } } });
  });

  it('maps body parsing failures: malformed 400, too large 413, other types and charsets 415', async () => {
    const post = (body: string, type: string) => call('/json', { method: 'POST', body, headers: { 'content-type': type } });
    expect(await post('{"name": ', 'application/json')).toMatchObject({ status: 400, body: { error: { code: 'malformed_json' } } });
    expect(await post(JSON.stringify({ name: 'x'.repeat(2000) }), 'application/json')).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large' } } });
    expect(await post('{"name":"x"}', 'text/plain')).toMatchObject({ status: 415, body: { error: { code: 'unsupported_media_type' } } });
    expect(await post('{"name":"x"}', 'application/json; charset=latin1')).toMatchObject({ status: 415, body: { error: { code: 'unsupported_media_type' } } });
    expect(await post('{"name":"x"}', 'application/json')).toMatchObject({ status: 200, body: { name: 'x' } });
  });

  it('names every failing field of a schema, unknown ones by their own path', async () => {
    const res = await call('/json', { method: 'POST', body: JSON.stringify({ tags: [1, 'ok', 2], extra: true }), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    const { error } = res.body as { error: { code: string; message: string; details: { path: string; code: string }[] } };
    expect(error.code).toBe('validation_failed');
    expect(error.details.map((d) => d.path).sort()).toEqual(['extra', 'name', 'tags.0', 'tags.2']);
    expect(error.details.find((d) => d.path === 'extra')?.code).toBe('unrecognized_keys');
    expect(error.message).toContain('name');
  });
});

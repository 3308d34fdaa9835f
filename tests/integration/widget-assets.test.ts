import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import express from 'express';
import pino from 'pino';
import { requestLog } from '../../src/http/request-log';
import { errorHandler } from '../../src/http/errors';
import { defaultBundlePath, widgetAssetRoutes } from '../../src/channels/widget/assets';
import { listenLocally, type LocalServer } from '../support/local-server';

/**
 * `GET /widget.js`: the built widget, cacheable by anyone with a content-hash ETag, loadable from other
 * origins, compressed when the client accepts it, and a clear 503 when nobody built it.
 */

const BUNDLE = Buffer.from(`"use strict";(()=>{console.log(${JSON.stringify('x'.repeat(2000))})})();\n`);
const HASH = createHash('sha256').update(BUNDLE).digest('base64url');

interface Raw {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** node:http rather than fetch, which would undo the compression this test looks at. */
function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function serve(bundlePath: string): Promise<LocalServer> {
  const app = express();
  app.use(requestLog(pino({ level: 'silent' })));
  app.use(widgetAssetRoutes({ bundlePath }));
  app.use(errorHandler);
  return listenLocally(app.listen(0, '127.0.0.1'));
}

describe('GET /widget.js', () => {
  let folder: string;
  let server: LocalServer;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'widget-assets-'));
    writeFileSync(join(folder, 'widget.js'), BUNDLE);
    server = await serve(join(folder, 'widget.js'));
  });
  afterAll(async () => {
    await server.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('serves the bundle as JavaScript with a strong content-hash ETag and long, shared caching', async () => {
    const res = await get(`${server.url}/widget.js`);
    expect(res.status).toBe(200);
    expect(res.body.equals(BUNDLE)).toBe(true);
    expect(res.headers).toMatchObject({
      'content-type': 'application/javascript; charset=utf-8',
      etag: `"${HASH}"`,
      'cache-control': 'public, max-age=86400, stale-while-revalidate=604800',
      'cross-origin-resource-policy': 'cross-origin',
      'x-content-type-options': 'nosniff',
      vary: 'Accept-Encoding',
    });
    expect(res.headers['content-encoding']).toBeUndefined();
  });

  it('sends brotli or gzip to clients that accept them, each with its own ETag', async () => {
    const br = await get(`${server.url}/widget.js`, { 'Accept-Encoding': 'gzip, deflate, br' });
    expect(br.headers).toMatchObject({ 'content-encoding': 'br', etag: `"${HASH}-br"` });
    expect(brotliDecompressSync(br.body).equals(BUNDLE)).toBe(true);
    expect(br.body.length).toBeLessThan(BUNDLE.length);

    const gzip = await get(`${server.url}/widget.js`, { 'Accept-Encoding': 'gzip' });
    expect(gzip.headers).toMatchObject({ 'content-encoding': 'gzip', etag: `"${HASH}-gz"` });
    expect(gunzipSync(gzip.body).equals(BUNDLE)).toBe(true);

    const refused = await get(`${server.url}/widget.js`, { 'Accept-Encoding': 'br;q=0, gzip;q=0' });
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(refused.body.equals(BUNDLE)).toBe(true);
  });

  it.each([
    ['its ETag', `"${HASH}"`],
    ['its ETag made weak by a proxy', `W/"${HASH}"`],
    ['a list that holds its ETag', `"old", "${HASH}"`],
    ['*', '*'],
  ])('answers 304 without a body to If-None-Match with %s', async (_, ifNoneMatch) => {
    const res = await get(`${server.url}/widget.js`, { 'If-None-Match': ifNoneMatch });
    expect(res.status).toBe(304);
    expect(res.body.length).toBe(0);
    expect(res.headers).toMatchObject({ etag: `"${HASH}"`, 'cache-control': 'public, max-age=86400, stale-while-revalidate=604800' });
  });

  it('revalidates a compressed copy against its own ETag', async () => {
    expect((await get(`${server.url}/widget.js`, { 'Accept-Encoding': 'gzip', 'If-None-Match': `"${HASH}-gz"` })).status).toBe(304);
    expect((await get(`${server.url}/widget.js`, { 'Accept-Encoding': 'gzip', 'If-None-Match': `"${HASH}"` })).status).toBe(200);
  });

  it('answers 200 with the bundle when the client has another version', async () => {
    const res = await get(`${server.url}/widget.js`, { 'If-None-Match': '"an-older-build"' });
    expect(res.status).toBe(200);
    expect(res.body.equals(BUNDLE)).toBe(true);
  });

  it('answers HEAD with the headers alone', async () => {
    const res = await get(`${server.url}/widget.js`, {}, 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({ etag: `"${HASH}"`, 'content-length': String(BUNDLE.length) });
    expect(res.body.length).toBe(0);
  });

  it('answers 503 widget_not_built, in the JSON error shape, when the bundle was not built', async () => {
    const missing = await serve(join(folder, 'not-built.js'));
    try {
      const res = await get(`${missing.url}/widget.js`);
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(res.body.toString())).toEqual({ error: { code: 'widget_not_built', message: expect.stringContaining('npm run build') as unknown } });
    } finally {
      await missing.close();
    }
  });

  it('finds the bundle in dist/widget/ of the repository by default', () => {
    expect(defaultBundlePath()).toBe(join(__dirname, '..', '..', 'dist', 'widget', 'widget.js'));
  });
});

import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hasScope, requireScope } from '../../src/http/auth';
import { errorHandler } from '../../src/http/errors';
import type { ApiKey, ApiKeyScope } from '../../src/core/model/types';

function key(scopes: ApiKeyScope[]): ApiKey {
  return { id: 'k', name: 'test', prefix: 'sb_test', hash: 'x', scopes, agentId: null, createdAt: new Date(), lastUsedAt: null, revokedAt: null };
}

const ALL: ApiKeyScope[] = ['read', 'write', 'admin'];

describe('hasScope', () => {
  it.each<[ApiKeyScope[], ApiKeyScope[]]>([
    [['admin'], ['read', 'write', 'admin']],
    [['write'], ['read', 'write']],
    [['read'], ['read']],
    [[], []],
    [['read', 'admin'], ['read', 'write', 'admin']],
    [['read', 'write'], ['read', 'write']],
  ])('a key with %j has exactly %j', (granted, expected) => {
    expect(ALL.filter((scope) => hasScope(key(granted), scope))).toEqual(expected);
  });
});

describe('requireScope', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const app = express();
    app.use((req, res, next) => {
      const header = req.headers['x-test-scopes'];
      if (typeof header === 'string') res.locals.apiKey = key(header ? (header.split(',') as ApiKeyScope[]) : []);
      next();
    });
    app.get('/write', requireScope('write'), (_req, res) => {
      res.json({ ok: true });
    });
    app.use(errorHandler);
    server = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  async function get(scopes?: string): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${url}/write`, { headers: scopes === undefined ? {} : { 'x-test-scopes': scopes } });
    return { status: res.status, body: await res.json() };
  }

  it('lets keys with the scope or a higher one through', async () => {
    expect(await get('write')).toEqual({ status: 200, body: { ok: true } });
    expect(await get('admin')).toEqual({ status: 200, body: { ok: true } });
  });

  it('answers 403 to a key with a lower scope and 401 without a key', async () => {
    expect(await get('read')).toEqual({ status: 403, body: { error: { code: 'forbidden', message: expect.stringContaining('"write"') as unknown } } });
    expect(await get('')).toMatchObject({ status: 403 });
    expect(await get()).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
  });
});

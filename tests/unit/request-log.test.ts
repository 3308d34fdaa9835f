import { Writable } from 'node:stream';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import { errorHandler } from '../../src/http/errors';
import { requestLog } from '../../src/http/request-log';

/**
 * The request log: an id per request (echoed when well-formed), one line per request at the level its
 * status asks for (2xx debug, 4xx info, 5xx error with the error), in pino-http's shape, and `req.log`
 * lines carrying the request.
 */

type Line = Record<string, unknown> & { msg?: string; level?: number };

async function withApp(level: pino.Level, run: (url: string, lines: Line[]) => Promise<void>): Promise<void> {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const text of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(text) as Line);
      callback();
    },
  });
  const app = express();
  app.use(requestLog(pino({ level }, sink)));
  app.get('/ok', (_req, res) => {
    res.locals.conversationId = 'c-1';
    res.json({ ok: true });
  });
  app.get('/missing', (_req, res) => res.status(404).json({}));
  app.get('/noted', (req, res) => {
    req.log.warn({ detail: 1 }, 'a handler noted something');
    res.json({});
  });
  app.get('/bug', () => {
    throw new TypeError('a bug');
  });
  app.use(errorHandler);
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, lines);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('request log', () => {
  it('writes no line for a 2xx at info, one for a 4xx, and an error line with the error for a 5xx', async () => {
    await withApp('info', async (url, lines) => {
      await fetch(`${url}/ok`);
      const missing = await fetch(`${url}/missing`, { headers: { 'x-request-id': 'given-1' } });
      await fetch(`${url}/bug`);
      await new Promise((resolve) => setTimeout(resolve, 20));

      expect(missing.headers.get('x-request-id')).toBe('given-1');
      const requestLines = lines.filter((line) => line.msg?.startsWith('request '));
      expect(requestLines).toHaveLength(2);
      expect(requestLines[0]).toMatchObject({ level: 30, msg: 'request completed', req: { id: 'given-1', method: 'GET', url: '/missing' }, res: { statusCode: 404 } });
      expect(requestLines[0]?.responseTime).toEqual(expect.any(Number));
      expect(requestLines[1]).toMatchObject({ level: 50, msg: 'request errored', res: { statusCode: 500 }, err: { type: 'TypeError', message: 'a bug' } });
    });
  });

  it('writes the 2xx line at debug, with the conversation a handler named, and replaces a malformed request id', async () => {
    await withApp('debug', async (url, lines) => {
      const res = await fetch(`${url}/ok`, { headers: { 'x-request-id': 'not ok!' } });
      await new Promise((resolve) => setTimeout(resolve, 20));
      const id = res.headers.get('x-request-id') ?? '';
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(lines.find((line) => line.msg === 'request completed')).toMatchObject({ level: 20, conversationId: 'c-1', req: { id, url: '/ok' }, res: { statusCode: 200 } });
    });
  });

  it("gives req.log the request, so a handler's lines carry it", async () => {
    await withApp('info', async (url, lines) => {
      const res = await fetch(`${url}/noted`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(lines.find((line) => line.msg === 'a handler noted something')).toMatchObject({ level: 40, detail: 1, req: { id: res.headers.get('x-request-id'), method: 'GET' } });
    });
  });
});

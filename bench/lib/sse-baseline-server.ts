// The floor for the SSE fan-out figures, run as its own process (`node -r memory-probe.js
// sse-baseline-server.js`): a bare node:http server that keeps every `GET /api/v1/events` response open
// as an event stream and writes each message of one Redis pub/sub channel to all of them, with one
// heartbeat timer for all. No express, auth, filtering, ids to resume from or catch-up buffer.
// Environment: PORT, REDIS_URL, CHANNEL. `GET /readyz` answers 200 once the subscription is active.
import { createServer, type ServerResponse } from 'node:http';
import { Redis } from 'ioredis';

const port = Number(process.env.PORT);
const channel = process.env.CHANNEL ?? 'events';
const streams = new Set<ServerResponse>();
let subscribed = false;
let sequence = 0;

const subscriber = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
subscriber.on('error', () => undefined);
subscriber.on('message', (_channel: string, data: string) => {
  const frame = `id: ${++sequence}\nevent: message.created\ndata: ${data}\n\n`;
  for (const res of streams) res.write(frame);
});

const server = createServer((req, res) => {
  if (req.url?.startsWith('/api/v1/events')) {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', Connection: 'keep-alive' });
    res.write('retry: 2000\n\n');
    streams.add(res);
    req.on('close', () => streams.delete(res));
    return;
  }
  res.writeHead(req.url === '/readyz' && subscribed ? 200 : 503).end();
});

setInterval(() => {
  for (const res of streams) res.write(': heartbeat\n\n');
}, 15_000).unref();

subscriber.subscribe(channel).then(
  () => {
    subscribed = true;
  },
  (error: unknown) => {
    process.stderr.write(`subscribe failed: ${String(error)}\n`);
    process.exit(1);
  },
);
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  for (const res of streams) res.end();
  server.close();
  subscriber.disconnect();
  process.exit(0);
});

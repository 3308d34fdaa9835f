// The floor the widget socket figures are measured against: a bare `ws` server process on node:http that
// takes the widget's first frame (`hello`, token not checked) and answers `ready`, and echoes
// `{ type: 'echo', id }` frames through Redis pub/sub: PUBLISH on one channel, its own subscriber receives,
// the frame goes back on the socket it came from. No Origin or token check, database, routing index,
// heartbeat or resume. Environment: PORT, REDIS_URL, CHANNEL. `GET /readyz` answers 200 once subscribed.
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';

const port = Number(process.env.PORT);
const channel = process.env.CHANNEL ?? 'echo';
/** Sockets by a number of their own, so a published echo finds its way back. */
const sockets = new Map<number, WebSocket>();
let nextSocket = 0;
let subscribed = false;

const publisher = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
const subscriber = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
publisher.on('error', () => undefined);
subscriber.on('error', () => undefined);
subscriber.on('message', (_channel: string, data: string) => {
  // `<socket>:<frame>`: the frame is sent back as it came.
  const colon = data.indexOf(':');
  sockets.get(Number(data.slice(0, colon)))?.send(data.slice(colon + 1));
});

const wss = new WebSocketServer({ noServer: true });
const server = createServer((req, res) => {
  res.writeHead(req.url === '/readyz' && subscribed ? 200 : 503).end();
});
server.on('upgrade', (req, socket, head) => {
  if (!req.url?.startsWith('/widget/v1/socket')) {
    socket.destroy();
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    const id = ++nextSocket;
    let hello = false;
    ws.on('message', (raw: RawData) => {
      const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : Buffer.concat(Array.isArray(raw) ? raw : [Buffer.from(raw)]).toString('utf8');
      const frame = JSON.parse(text) as { type?: string };
      if (!hello) {
        if (frame.type !== 'hello') return ws.close(4401);
        hello = true;
        sockets.set(id, ws);
        ws.send(JSON.stringify({ type: 'ready', online: true, conversations: [] }));
      } else if (frame.type === 'echo') void publisher.publish(channel, `${id}:${text}`);
      else if (frame.type === 'ping') ws.send('{"type":"pong"}');
    });
    ws.on('close', () => sockets.delete(id));
  });
});

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
  for (const ws of sockets.values()) ws.terminate();
  server.close();
  publisher.disconnect();
  subscriber.disconnect();
  process.exit(0);
});

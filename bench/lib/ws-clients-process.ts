// A client process of the idle-socket figure: opens one widget socket per token it is given, sends
// `hello` with it and counts the socket open once `ready` came back; then holds them, answering the
// server's pings (ws does), until told to close. Started by ws-clients.ts with an IPC channel.
import WebSocket from 'ws';
import { isReady, type WsClientsReply, type WsClientsRequest } from './ws-clients';
import { nowMs } from './stats';

const sockets: WebSocket[] = [];
const failures: string[] = [];
const closeCodes: Record<string, number> = {};
let closing = false;
let closedEarly = 0;

function reply(message: WsClientsReply): void {
  process.send?.(message);
}

function fail(why: string): void {
  if (failures.length < 5 && !failures.includes(why)) failures.push(why);
}

/** Resolves true once the socket answered `hello` with `ready`; false on anything else or after `timeoutMs`. */
function open(url: string, origin: string, token: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    // Offers permessage-deflate, as browsers do: the server decides.
    const ws = new WebSocket(url, { origin, handshakeTimeout: timeoutMs });
    let ready = false;
    const timer = setTimeout(() => {
      fail(`no ready within ${timeoutMs} ms`);
      ws.terminate();
    }, timeoutMs);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', token })));
    ws.on('message', (raw: Buffer) => {
      if (ready || !isReady(raw.toString('utf8'))) return;
      ready = true;
      clearTimeout(timer);
      sockets.push(ws);
      resolve(true);
    });
    ws.on('unexpected-response', (_req, res) => {
      fail(`HTTP ${res.statusCode ?? 0} on upgrade`);
      ws.terminate();
    });
    ws.on('error', (error) => fail(error.message));
    ws.on('close', (code) => {
      clearTimeout(timer);
      if (!ready) {
        fail(`closed ${code} before ready`);
        resolve(false);
      } else if (!closing) {
        closedEarly++;
        closeCodes[code] = (closeCodes[code] ?? 0) + 1;
      }
    });
  });
}

async function openAll(request: Extract<WsClientsRequest, { type: 'open' }>): Promise<void> {
  const start = nowMs();
  let next = 0;
  let opened = 0;
  const lane = async () => {
    while (next < request.tokens.length) {
      const token = request.tokens[next++] ?? '';
      if (await open(request.url, request.origin, token, request.timeoutMs)) opened++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(request.concurrency, request.tokens.length) }, lane));
  reply({ type: 'opened', opened, failures, ms: nowMs() - start });
}

process.on('message', (request: WsClientsRequest) => {
  if (request.type === 'open') void openAll(request);
  else if (request.type === 'status') reply({ type: 'status', open: sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length, closedEarly, closeCodes });
  else {
    closing = true;
    for (const ws of sockets) ws.terminate();
    reply({ type: 'closed' });
    process.disconnect();
  }
});
process.on('disconnect', () => process.exit(0));

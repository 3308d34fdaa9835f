// The local receiver of reply deliveries, on its own thread so that answering them takes no time from the
// event loop of the hub (or the baseline) it measures. Started by receiver.ts.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { Webhook } from 'standardwebhooks';
import type { ReceiverReport, ReceiverRequest, ReceiverSetup } from './receiver';

const setup = workerData as ReceiverSetup;
const webhook = setup.secret ? new Webhook(setup.secret) : undefined;

/** When each request had fully arrived (Date.now(), the clock autocannon's start and finish use). */
let hitTimes = new Float64Array(1 << 16);
let hits = 0;
const ids = new Set<string>();
let duplicates = 0;
const duplicateIds = new Set<string>();
const lags: number[] = [];
let withoutId = 0;
let verified = 0;
const verificationFailures: string[] = [];

function recordHit(at: number): void {
  if (hits === hitTimes.length) {
    const grown = new Float64Array(hitTimes.length * 2);
    grown.set(hitTimes);
    hitTimes = grown;
  }
  hitTimes[hits++] = at;
}

/** Milliseconds from the body's `timestamp` (the first one: the hub's and the baseline's come before `data`) to `at`. */
function lagOf(body: string, at: number): number | undefined {
  const match = /"timestamp":"([^"]+)"/.exec(body);
  const sent = match?.[1] === undefined ? NaN : Date.parse(match[1]);
  return Number.isFinite(sent) ? at - sent : undefined;
}

/** The delivery's id: the `webhook-id` header (hub), else the `messageId` of the body (baseline). */
function deliveryId(req: IncomingMessage, body: string): string | undefined {
  const header = req.headers['webhook-id'];
  if (typeof header === 'string' && header !== '') return header;
  const match = /"messageId":"([^"]+)"/.exec(body);
  return match?.[1];
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const at = Date.now();
    recordHit(at);
    const body = Buffer.concat(chunks).toString('utf8');
    const id = deliveryId(req, body);
    if (id === undefined) withoutId++;
    else if (ids.has(id)) {
      duplicates++;
      duplicateIds.add(id);
    } else {
      ids.add(id);
      if (setup.lagFromTimestamp) lags.push(lagOf(body, at) ?? NaN);
    }
    // Signatures of a sample are checked with the standardwebhooks library: the hub's deliveries are real.
    if (webhook && verified + verificationFailures.length < setup.verifySample) {
      try {
        webhook.verify(body, req.headers as Record<string, string>);
        verified++;
      } catch (error) {
        verificationFailures.push(error instanceof Error ? error.message : String(error));
      }
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '0' });
    res.end();
  });
}

function report(request: Extract<ReceiverRequest, { type: 'report' }>): ReceiverReport {
  let inWindow = 0;
  if (request.window) {
    const { from, to } = request.window;
    for (let i = 0; i < hits; i++) {
      const at = hitTimes[i] ?? 0;
      if (at >= from && at <= to) inWindow++;
    }
  }
  return {
    hits,
    unique: ids.size,
    duplicates,
    withoutId,
    verified,
    verificationFailures: verificationFailures.slice(0, 5),
    hitsInWindow: inWindow,
    ...(request.withIds ? { ids: [...ids], duplicateIds: [...duplicateIds] } : {}),
    ...(request.lagsFrom !== undefined ? { lags: lags.slice(request.lagsFrom) } : {}),
  };
}

const port = parentPort;
if (!port) throw new Error('receiver-worker.js runs as a worker thread');
const server = createServer(handle);
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  port.postMessage({ type: 'listening', port: (server.address() as AddressInfo).port });
});
port.on('message', (request: ReceiverRequest) => {
  if (request.type === 'report') {
    port.postMessage({ type: 'report', seq: request.seq, report: report(request) });
    return;
  }
  server.closeAllConnections();
  server.close(() => port.postMessage({ type: 'closed' }));
});

// Many server-sent-event clients on one worker thread, over plain node:http (no fetch, no EventSource
// parser) so that a thousand of them cost the bench little. Each client timestamps the arrival of every
// event carrying the run's marker. Started by sse-clients.ts.
import { Agent, request, type ClientRequest, type IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import type { SseClientsRequest, SseClientsSetup } from './sse-clients';
import { nowMs } from './stats';

const setup = workerData as SseClientsSetup;
const port = parentPort;
if (!port) throw new Error('sse-clients-worker.js runs as a worker thread');

/** Arrival time of event i at client c in slot c * count + i; 0 until it arrives. */
const receipts = new Float64Array(setup.clients * setup.count);
const received = new Int32Array(setup.received);
const agent = new Agent({ keepAlive: false, maxSockets: Infinity, maxTotalSockets: Infinity });
const requests: ClientRequest[] = [];
const responses: IncomingMessage[] = [];
let duplicates = 0;
let strays = 0;
let endedEarly = 0;
let closing = false;
const failures: string[] = [];

const markerBytes = Buffer.from(setup.marker, 'latin1');
const FRAME_END = Buffer.from('\n\n');

/** Reads the event number right after the marker at `at`; -1 when there are no digits. */
function numberAt(bytes: Buffer, at: number, end: number): number {
  let value = -1;
  for (let i = at; i < end; i++) {
    const digit = (bytes[i] ?? 0) - 48;
    if (digit < 0 || digit > 9) break;
    value = (value < 0 ? 0 : value * 10) + digit;
  }
  return value;
}

/**
 * Each chunk is searched as bytes (no decoding): every complete frame (up to the last blank line) is
 * scanned for the marker, and only an incomplete frame at the end is kept for the next chunk.
 */
function listen(client: number, res: IncomingMessage): void {
  const base = client * setup.count;
  let pending: Buffer | undefined;
  res.on('data', (chunk: Buffer) => {
    const at = nowMs();
    const bytes = pending ? Buffer.concat([pending, chunk]) : chunk;
    const complete = bytes.lastIndexOf(FRAME_END);
    if (complete === -1) {
      pending = bytes;
      return;
    }
    for (let found = bytes.indexOf(markerBytes); found !== -1 && found < complete; found = bytes.indexOf(markerBytes, found + markerBytes.length)) {
      const i = numberAt(bytes, found + markerBytes.length, complete);
      if (i < 0 || i >= setup.count) strays++;
      else if (receipts[base + i] !== 0) duplicates++;
      else {
        receipts[base + i] = at;
        Atomics.add(received, 0, 1);
      }
    }
    pending = complete + 2 < bytes.length ? Buffer.from(bytes.subarray(complete + 2)) : undefined;
  });
  res.on('close', () => {
    if (!closing) endedEarly++;
  });
}

function open(client: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(setup.url, { agent, headers: { accept: 'text/event-stream', ...setup.headers } }, (res) => {
      if (res.statusCode !== 200) {
        if (failures.length < 5) failures.push(`HTTP ${res.statusCode ?? 0}`);
        res.resume();
        resolve(false);
        return;
      }
      responses.push(res);
      listen(client, res);
      resolve(true);
    });
    req.on('error', (error) => {
      if (closing) return;
      if (failures.length < 5) failures.push(error.message);
      resolve(false);
    });
    requests.push(req);
    req.end();
  });
}

async function openAll(): Promise<{ opened: number; ms: number }> {
  const start = nowMs();
  let next = 0;
  let opened = 0;
  const lane = async () => {
    while (next < setup.clients) {
      if (await open(next++)) opened++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(setup.connectConcurrency, setup.clients) }, lane));
  return { opened, ms: nowMs() - start };
}

let measuring: ReturnType<typeof performance.eventLoopUtilization> | undefined;
port.on('message', (message: SseClientsRequest) => {
  if (message.type === 'measure') {
    measuring = performance.eventLoopUtilization();
    return;
  }
  if (message.type === 'finish') {
    const utilization = measuring ? performance.eventLoopUtilization(measuring).utilization : NaN;
    const copy = receipts.slice();
    port.postMessage({ type: 'finished', receipts: copy, duplicates, strays, endedEarly, utilization }, [copy.buffer]);
    return;
  }
  closing = true;
  for (const res of responses) res.destroy();
  for (const req of requests) req.destroy();
  agent.destroy();
  port.postMessage({ type: 'closed' });
});

openAll().then(
  ({ opened, ms }) => port.postMessage({ type: 'opened', opened, failures, ms }),
  (error: unknown) => port.postMessage({ type: 'opened', opened: 0, failures: [String(error)], ms: 0 }),
);

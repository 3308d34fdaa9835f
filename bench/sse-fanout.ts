import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { events } from '../src/core/events';
import type { Message } from '../src/core/model/types';
import { atFixedRate } from './event-latency';
import { deleteRedisKeys, tempDir, uniqueId } from './lib/env';
import { inParallel, postJson, waitFor200 } from './lib/http';
import { inboundBody } from './lib/load';
import { CLI_JS, freePort, MAIN_JS, ProbedChild, type MemorySample } from './lib/processes';
import { SseClients } from './lib/sse-clients';
import { nowMs, round, sleep, summarizeMany, type LatencySummary } from './lib/stats';

export interface SseFanoutOptions {
  redisUrl: string;
  /** Event streams held open at once. */
  clients: number;
  /** Events per second while measuring, for `durationS`. */
  rate: number;
  durationS: number;
  /** Customers whose conversations exist before the run (so each event is one message.created). */
  contacts: number;
  /** How long to wait for the last receipts after the last event was sent. */
  graceMs: number;
  log: (line: string) => void;
}

export interface SseSide {
  clients: number;
  opened: number;
  connectFailures: string[];
  connectMs: number;
  /** The server process: idle after a warm-up, with every client open, and after the fan-out (each after a full GC). */
  memory: { before: MemorySample; afterOpen: MemorySample; afterFanout: MemorySample };
  /** (VmRSS with the clients open − VmRSS before) / clients. */
  rssPerClientKb: number;
  heapPerClientKb: number;
  sent: number;
  failedSends: number;
  /** Why sends failed (the first few). */
  sendFailures: string[];
  achievedRate: number;
  /** Receipts over all clients, and how many there should have been (clients × events sent). */
  receipts: number;
  expected: number;
  duplicates: number;
  strays: number;
  endedEarly: number;
  /** From sending an event (the POST, the PUBLISH) to its arrival, over every client's receipt. */
  latencyMs: LatencySummary;
  /** Per event, until the last client had it. */
  lastClientMs: LatencySummary;
  /** CPU the server process used during the fan-out, as a share of one core. */
  serverCpu: number;
  /** Busy share of the bench thread that reads all the streams (near 1 would make the clients the limit). */
  clientThreadUtilization: number;
}

export interface SseFanoutFigure {
  hub: SseSide;
  baseline: SseSide;
  /** Hub RSS per client divided by the baseline's. */
  rssRatio: number;
  p99Ratio: number;
}

/** A server to measure: how to reach its stream and how to make it emit event i of a run. */
interface Target {
  child: ProbedChild;
  streamUrl: string;
  headers: Record<string, string>;
  /** Sends event i of run `idPrefix`; resolves with why when that failed. */
  send(idPrefix: string, i: number): Promise<{ ok: true } | { ok: false; why: string }>;
}

/** Frames carry the event's externalId, `<idPrefix>-<i>`: the clients look for what precedes i. */
const marker = (idPrefix: string) => `"externalId":"${idPrefix}-`;
const WARMUP_CLIENTS = 20;
const WARMUP_EVENTS = 20;

async function fanOut(target: Target, clients: SseClients, idPrefix: string, count: number, rate: number, graceMs: number): Promise<{ sentAt: Float64Array; failed: number; failures: string[]; achievedRate: number }> {
  const sentAt = new Float64Array(count);
  let failed = 0;
  const failures: string[] = [];
  const sends: Promise<void>[] = [];
  const achievedRate = await atFixedRate(rate, count, (i) => {
    sentAt[i] = nowMs();
    sends.push(
      target.send(idPrefix, i).then((outcome) => {
        if (outcome.ok) return;
        failed++;
        if (failures.length < 5) failures.push(outcome.why);
        sentAt[i] = NaN;
      }),
    );
  });
  await Promise.all(sends);
  const expected = clients.opened * (count - failed);
  for (const deadline = nowMs() + graceMs; clients.received < expected && nowMs() < deadline; ) await sleep(20);
  return { sentAt, failed, failures, achievedRate };
}

async function measureSide(name: string, target: Target, options: SseFanoutOptions): Promise<SseSide> {
  const { log } = options;
  const setup = (clients: number, count: number, idPrefix: string) => ({ url: target.streamUrl, headers: target.headers, clients, count, marker: marker(idPrefix), connectConcurrency: 50 });

  // Warm-up: the stream route, its auth and the fan-out path run before the idle memory is read.
  const warm = await SseClients.open(setup(WARMUP_CLIENTS, WARMUP_EVENTS, 'warm'));
  await fanOut(target, warm, 'warm', WARMUP_EVENTS, options.rate, options.graceMs);
  await warm.close();
  await sleep(500);
  const before = await target.child.memory();
  const snapshots = process.env.BENCH_HEAP_SNAPSHOT_DIR;
  if (snapshots) await target.child.heapSnapshot(join(snapshots, `${name}-idle.heapsnapshot`));

  const count = Math.round(options.rate * options.durationS);
  const clients = await SseClients.open(setup(options.clients, count, 'run'));
  try {
    log(`  ${name}: ${clients.opened}/${options.clients} streams open in ${Math.round(clients.connectMs)} ms${clients.failures.length ? ` (failures: ${clients.failures.join('; ')})` : ''}`);
    await sleep(1000);
    const afterOpen = await target.child.memory();
    if (snapshots) await target.child.heapSnapshot(join(snapshots, `${name}-open.heapsnapshot`));

    clients.measure();
    const cpuStart = target.child.cpuMs();
    const start = nowMs();
    const { sentAt, failed, failures, achievedRate } = await fanOut(target, clients, 'run', count, options.rate, options.graceMs);
    const serverCpu = (target.child.cpuMs() - cpuStart) / (nowMs() - start);
    const afterFanout = await target.child.memory();
    const result = await clients.finish();

    const latencies = new Float64Array(result.receipts.length);
    const lastClient = new Float64Array(count);
    let n = 0;
    for (let c = 0; c < options.clients; c++) {
      for (let i = 0; i < count; i++) {
        const at = result.receipts[c * count + i] ?? 0;
        const sent = sentAt[i] ?? NaN;
        if (at === 0 || Number.isNaN(sent)) continue;
        const latency = at - sent;
        latencies[n++] = latency;
        if (latency > (lastClient[i] ?? 0)) lastClient[i] = latency;
      }
    }
    const side: SseSide = {
      clients: options.clients,
      opened: clients.opened,
      connectFailures: clients.failures,
      connectMs: round(clients.connectMs, 0),
      memory: { before, afterOpen, afterFanout },
      rssPerClientKb: round((afterOpen.vmRssKb - before.vmRssKb) / Math.max(1, clients.opened), 1),
      heapPerClientKb: round((afterOpen.heapUsedKb - before.heapUsedKb) / Math.max(1, clients.opened), 1),
      sent: count,
      failedSends: failed,
      sendFailures: failures,
      achievedRate: round(achievedRate, 1),
      receipts: n,
      expected: clients.opened * (count - failed),
      duplicates: result.duplicates,
      strays: result.strays,
      endedEarly: result.endedEarly,
      latencyMs: summarizeMany(latencies.subarray(0, n)),
      lastClientMs: summarizeMany(lastClient.filter((_, i) => !Number.isNaN(sentAt[i] ?? NaN))),
      serverCpu: round(serverCpu, 2),
      clientThreadUtilization: round(result.utilization, 2),
    };
    log(
      `  ${name}: RSS ${before.vmRssKb} → ${afterOpen.vmRssKb} kB with the streams open (${side.rssPerClientKb} kB/client; heap ${side.heapPerClientKb} kB/client), ${afterFanout.vmRssKb} kB after the fan-out; ` +
        `latency p50 ${side.latencyMs.p50} ms, p99 ${side.latencyMs.p99} ms, max ${side.latencyMs.max} ms (last client per event: p50 ${side.lastClientMs.p50}, p99 ${side.lastClientMs.p99}); ` +
        `${side.receipts}/${side.expected} receipts, ${side.achievedRate} events/s sent${failed ? ` (${failed} failed: ${failures.join('; ')})` : ''}, server CPU ${Math.round(side.serverCpu * 100)}%, client thread busy ${Math.round(side.clientThreadUtilization * 100)}%`,
    );
    return side;
  } finally {
    await clients.close();
  }
}

/** `node dist/cli.js api-key create`: the key a child hub's clients use. */
async function createKey(env: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [CLI_JS, 'api-key', 'create', '--name', 'bench-sse', '--scopes', 'write'], { env });
  const key = stdout.trim().split('\n').pop()?.trim();
  if (!key) throw new Error('api-key create printed no key');
  return key;
}

/** The hub as `node dist/main.js` (role all, SQLite in a temp DATA_DIR), events from POST /api/v1/inbound. */
async function measureHub(options: SseFanoutOptions): Promise<SseSide> {
  const dir = tempDir('sse');
  const prefix = uniqueId('sse');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', DATA_DIR: dir.path, PORT: String(port), HOST: '127.0.0.1', REDIS_URL: options.redisUrl, REDIS_PREFIX: prefix, LOG_LEVEL: 'warn' };
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let child: ProbedChild | undefined;
  try {
    const key = await createKey(env);
    const hub = new ProbedChild([MAIN_JS], env);
    child = hub;
    await waitFor200(`${url}/readyz`, 30_000, () => hub.assertAlive());
    const headers = { authorization: `Bearer ${key}` };
    const inbound = `${url}/api/v1/inbound`;
    await inParallel(options.contacts, 10, async (i) => {
      const answer = await postJson(agent, inbound, headers, inboundBody({ idPrefix: 'sse-open', contacts: options.contacts }, i));
      if (answer.status !== 202) throw new Error(`POST /api/v1/inbound answered ${answer.status}: ${answer.body.slice(0, 200)}`);
    });
    await sleep(1000);
    return await measureSide('hub', {
      child: hub,
      streamUrl: `${url}/api/v1/events`,
      headers,
      send: (idPrefix, i) =>
        postJson(agent, inbound, headers, inboundBody({ idPrefix, contacts: options.contacts }, i)).then(
          (answer) => (answer.status === 202 ? { ok: true } : { ok: false, why: `HTTP ${answer.status}: ${answer.body.slice(0, 200)}` }),
          (error: unknown) => ({ ok: false, why: error instanceof Error ? error.message : String(error) }),
        ),
    }, options);
  } finally {
    agent.destroy();
    await child?.stop();
    await deleteRedisKeys(options.redisUrl, prefix);
    dir.remove();
  }
}

/** A `message.created` event as the hub publishes it, with `__ID__` where the externalId goes. */
function eventTemplate(): string {
  const now = new Date();
  const message: Message = {
    id: randomUUID(),
    conversationId: randomUUID(),
    channel: 'api',
    direction: 'inbound',
    senderKind: 'contact',
    senderId: randomUUID(),
    body: (JSON.parse(inboundBody({ idPrefix: 'x', contacts: 1 }, 0)) as { body: string }).body,
    attachments: [],
    externalId: '__ID__',
    deliveryStatus: 'received',
    failureReason: null,
    statusChangedAt: now,
    private: false,
    metadata: { apiKeyId: randomUUID() },
    createdAt: now,
  };
  return JSON.stringify(events.messageCreated(message, now));
}

/** The bare node:http SSE server in its own process, events by Redis PUBLISH from the bench. */
async function measureBaseline(options: SseFanoutOptions): Promise<SseSide> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const channel = `${uniqueId('ssebase')}:events`;
  const server = new ProbedChild([join(__dirname, 'lib', 'sse-baseline-server.js')], { PATH: process.env.PATH ?? '', PORT: String(port), REDIS_URL: options.redisUrl, CHANNEL: channel });
  const publisher = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  publisher.on('error', () => undefined);
  const template = eventTemplate();
  try {
    await waitFor200(`${url}/readyz`, 30_000, () => server.assertAlive());
    return await measureSide('baseline', {
      child: server,
      streamUrl: `${url}/api/v1/events`,
      headers: {},
      send: (idPrefix, i) =>
        publisher.publish(channel, template.replace('__ID__', `${idPrefix}-${i}`)).then(
          () => ({ ok: true }),
          (error: unknown) => ({ ok: false, why: error instanceof Error ? error.message : String(error) }),
        ),
    }, options);
  } finally {
    publisher.disconnect();
    await server.stop();
  }
}

/**
 * SSE fan-out: `clients` event streams on one hub process (`node dist/main.js`), then events at `rate`/s
 * from POST /api/v1/inbound; against a bare node:http SSE server process fed by Redis pub/sub at the same
 * rate, with as many clients. Memory per client is the server process's VmRSS (and heap after a full GC)
 * with the clients open minus before, divided by the clients.
 */
export async function measureSseFanout(options: SseFanoutOptions): Promise<SseFanoutFigure> {
  const hub = await measureHub(options);
  const baseline = await measureBaseline(options);
  return { hub, baseline, rssRatio: round(hub.rssPerClientKb / baseline.rssPerClientKb, 2), p99Ratio: round(hub.latencyMs.p99 / baseline.latencyMs.p99, 2) };
}

import { join } from 'node:path';
import { uniqueId } from './lib/env';
import { waitFor200 } from './lib/http';
import { freePort, ProbedChild, type MemorySample } from './lib/processes';
import { nowMs, round, sleep } from './lib/stats';
import { BENCH_ORIGIN, startWidgetHub } from './lib/widget-hub';
import { WsClients } from './lib/ws-clients';

export interface WidgetSocketsOptions {
  redisUrl: string;
  /** Sockets held at once, each with its own visitor. */
  sockets: number;
  /** Client processes the sockets are spread over. */
  processes: number;
  /** How long the sockets are held at least before the memory is read (then until it settles, ≤ 60 s more). */
  holdS: number;
  /** Environment of the hub child (rate limits raised for the bench). */
  hubSettings: Record<string, string>;
  log: (line: string) => void;
}

export interface SocketSide {
  sockets: number;
  opened: number;
  failures: string[];
  /** Until every socket had answered `hello` with `ready` (or failed). */
  connectMs: number;
  /** The server process idle after a warm-up, and with every socket open and held (each after a full GC). */
  memory: { before: MemorySample; afterOpen: MemorySample };
  /** (VmRSS with the sockets open − VmRSS before) / sockets open. */
  rssPerSocketKb: number;
  heapPerSocketKb: number;
  /** Still open when the memory was read, and closed by the server while held (by close code). */
  stillOpen: number;
  /** Seconds the sockets were held before the memory was read (until it settled). */
  heldS: number;
  closeCodes: Record<string, number>;
  /** Hub only: visitors created per second through `POST /widget/v1/visitors`. */
  visitorsPerSecond?: number;
}

const WARMUP_SOCKETS = 20;
const SETTLE_STEP_MS = 5000;
const SETTLE_MAX_MS = 60_000;
/** Two samples this close in RSS: settled (0.05 kB per socket at 10,000). */
const SETTLED_KB = 512;

/**
 * The server's memory once it stopped shrinking: after a burst of work (thousands of connections, or of
 * visitors created) V8 still holds a grown young generation and freed pages, which its memory reducer
 * gives back over the next 10–30 s of idleness; read too early, RSS per socket swings by 2× between runs.
 */
async function settledMemory(child: ProbedChild, minS: number): Promise<{ sample: MemorySample; heldS: number }> {
  const start = nowMs();
  await sleep(minS * 1000);
  let sample = await child.memory();
  while (nowMs() - start < minS * 1000 + SETTLE_MAX_MS) {
    await sleep(SETTLE_STEP_MS);
    const next = await child.memory();
    const settled = Math.abs(next.vmRssKb - sample.vmRssKb) <= SETTLED_KB;
    sample = next;
    if (settled) break;
  }
  return { sample, heldS: round((nowMs() - start) / 1000, 0) };
}

/** Holds one socket per token on `child`'s server and reads its memory before and with them open. */
async function holdSockets(name: string, child: ProbedChild, socketUrl: string, origin: string, tokens: string[], options: WidgetSocketsOptions): Promise<SocketSide> {
  // Warm-up: the upgrade, `hello` and `ready` paths run before the idle memory is read.
  const warm = await WsClients.open({ url: socketUrl, origin, tokens: tokens.slice(0, WARMUP_SOCKETS), processes: 1, concurrency: 10 });
  await warm.close();
  if (warm.opened === 0) throw new Error(`no warm-up socket opened on the ${name}: ${warm.failures.join('; ')}`);
  const { sample: before } = await settledMemory(child, 0);

  const clients = await WsClients.open({ url: socketUrl, origin, tokens, processes: options.processes, concurrency: 50 });
  try {
    options.log(`  ${name}: ${clients.opened}/${tokens.length} sockets ready in ${Math.round(clients.connectMs)} ms${clients.failures.length ? ` (failures: ${clients.failures.join('; ')})` : ''}`);
    const { sample: afterOpen, heldS } = await settledMemory(child, options.holdS);
    const status = await clients.status();
    const side: SocketSide = {
      sockets: tokens.length,
      opened: clients.opened,
      failures: clients.failures,
      connectMs: round(clients.connectMs, 0),
      memory: { before, afterOpen },
      rssPerSocketKb: round((afterOpen.vmRssKb - before.vmRssKb) / Math.max(1, clients.opened), 2),
      heapPerSocketKb: round((afterOpen.heapUsedKb - before.heapUsedKb) / Math.max(1, clients.opened), 2),
      stillOpen: status.open,
      heldS,
      closeCodes: status.closeCodes,
    };
    options.log(
      `  ${name}: RSS ${before.vmRssKb} → ${afterOpen.vmRssKb} kB (${side.rssPerSocketKb} kB/socket), heap ${before.heapUsedKb} → ${afterOpen.heapUsedKb} kB (${side.heapPerSocketKb} kB/socket); ` +
        `${status.open} still open after ${heldS} s${status.closedEarly ? `, ${status.closedEarly} closed by the server (${JSON.stringify(status.closeCodes)})` : ''}`,
    );
    return side;
  } finally {
    await clients.close();
  }
}

/** One hub process (`node dist/main.js`) holding `sockets` widget sockets, each with its own visitor created through the API. */
export async function measureHubSockets(options: WidgetSocketsOptions): Promise<SocketSide> {
  const hub = await startWidgetHub(options.redisUrl, options.hubSettings);
  try {
    const start = nowMs();
    const tokens = await hub.createVisitors(options.sockets, 16);
    const visitorsPerSecond = round(options.sockets / ((nowMs() - start) / 1000), 0);
    options.log(`  hub: ${options.sockets} visitors created through POST /widget/v1/visitors at ${visitorsPerSecond}/s`);
    return { ...(await holdSockets('hub', hub.child, hub.socketUrl, BENCH_ORIGIN, tokens, options)), visitorsPerSecond };
  } finally {
    await hub.stop();
  }
}

/** A bare `ws` server process (lib/ws-baseline-server) holding as many sockets; tokens are not checked there. */
export async function measureBaselineSockets(options: WidgetSocketsOptions): Promise<SocketSide> {
  const port = await freePort();
  const server = new ProbedChild([join(__dirname, 'lib', 'ws-baseline-server.js')], { PATH: process.env.PATH ?? '', PORT: String(port), REDIS_URL: options.redisUrl, CHANNEL: uniqueId('wsbase') });
  try {
    await waitFor200(`http://127.0.0.1:${port}/readyz`, 30_000, () => server.assertAlive());
    const tokens = Array.from({ length: options.sockets }, (_, i) => `baseline-visitor-${i}`);
    return await holdSockets('baseline', server, `ws://127.0.0.1:${port}/widget/v1/socket`, BENCH_ORIGIN, tokens, options);
  } finally {
    await server.stop();
  }
}

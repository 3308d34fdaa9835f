import { Agent, request } from 'node:http';
import { Redis } from 'ioredis';
import { RedisEventBus } from '../src/infra/redis/event-bus';
import { createLogger } from '../src/infra/logger';
import type { BenchHub } from './lib/hub';
import { inboundBody } from './lib/load';
import { nowMs, sleep, summarize, type LatencySummary } from './lib/stats';

export interface LatencyOptions {
  rate: number;
  durationS: number;
  contacts: number;
  /** How long to wait for the last deliveries after the last send. */
  graceMs: number;
}

export interface LatencyRun {
  sent: number;
  received: number;
  /** Sent but never delivered within the grace period. */
  missing: number;
  /** HTTP errors and non-2xx answers (hub only). */
  failedRequests: number;
  /** The rate actually achieved by the sender. */
  achievedRate: number;
  latencyMs: LatencySummary;
}

/** Calls `send(i)` for i = 0..count-1 at a fixed rate, catching up when a timer fires late. */
export async function atFixedRate(rate: number, count: number, send: (i: number) => void): Promise<number> {
  const interval = 1000 / rate;
  const start = nowMs();
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(count, Math.floor((nowMs() - start) / interval) + 1);
      while (next < due) send(next++);
      if (next >= count) resolve();
      else setTimeout(tick, Math.max(0, start + next * interval - nowMs()));
    };
    tick();
  });
  const elapsed = nowMs() - start;
  return elapsed > 0 ? (count / elapsed) * 1000 : rate;
}

async function waitForAll(pending: Map<string, number>, graceMs: number): Promise<void> {
  const deadline = nowMs() + graceMs;
  while (pending.size > 0 && nowMs() < deadline) await sleep(20);
}

function post(agent: Agent, url: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Ingest → event bus: each `POST /api/v1/inbound` is timestamped when sent; a subscriber on the hub's
 * event bus (RedisEventBus, same prefix, its own connection) timestamps the matching `message.created`.
 */
export async function measureHubEventLatency(benchHub: BenchHub, options: LatencyOptions): Promise<LatencyRun> {
  const pending = new Map<string, number>();
  const latencies: number[] = [];
  const connection = new Redis(benchHub.hub.redisUrl, { maxRetriesPerRequest: null });
  const bus = new RedisEventBus(connection, benchHub.prefix, createLogger('silent'));
  const unsubscribe = await bus.subscribe((event) => {
    if (event.type !== 'message.created') return;
    const externalId = event.data.message.externalId;
    const sentAt = externalId === null ? undefined : pending.get(externalId);
    if (sentAt === undefined) return;
    latencies.push(nowMs() - sentAt);
    pending.delete(externalId ?? '');
  });

  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const headers = { authorization: `Bearer ${benchHub.apiKey}` };
  const url = `${benchHub.url}/api/v1/inbound`;
  const idPrefix = `latency-${Date.now().toString(36)}`;
  const count = Math.round(options.rate * options.durationS);
  let failedRequests = 0;
  const requests: Promise<void>[] = [];
  try {
    const achievedRate = await atFixedRate(options.rate, count, (i) => {
      const body = inboundBody({ idPrefix, contacts: options.contacts }, i);
      pending.set(`${idPrefix}-${i}`, nowMs());
      requests.push(
        post(agent, url, headers, body).then(
          (status) => {
            if (status < 200 || status >= 300) {
              failedRequests++;
              pending.delete(`${idPrefix}-${i}`);
            }
          },
          () => {
            failedRequests++;
            pending.delete(`${idPrefix}-${i}`);
          },
        ),
      );
    });
    await Promise.all(requests);
    await waitForAll(pending, options.graceMs);
    return { sent: count, received: latencies.length, missing: pending.size, failedRequests, achievedRate, latencyMs: summarize(latencies) };
  } finally {
    agent.destroy();
    await unsubscribe();
    connection.disconnect();
  }
}

/** The floor: raw Redis PUBLISH → SUBSCRIBE of a small message, at the same rate, on the same Redis. */
export async function measureRedisPubSubLatency(redisUrl: string, channel: string, options: LatencyOptions): Promise<LatencyRun> {
  const publisher = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const subscriber = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const pending = new Map<string, number>();
  const latencies: number[] = [];
  subscriber.on('message', (_channel: string, id: string) => {
    const sentAt = pending.get(id);
    if (sentAt === undefined) return;
    latencies.push(nowMs() - sentAt);
    pending.delete(id);
  });
  const count = Math.round(options.rate * options.durationS);
  let failedRequests = 0;
  try {
    await subscriber.subscribe(channel);
    const achievedRate = await atFixedRate(options.rate, count, (i) => {
      const id = String(i);
      pending.set(id, nowMs());
      publisher.publish(channel, id).catch(() => {
        failedRequests++;
        pending.delete(id);
      });
    });
    await waitForAll(pending, options.graceMs);
    return { sent: count, received: latencies.length, missing: pending.size, failedRequests, achievedRate, latencyMs: summarize(latencies) };
  } finally {
    publisher.disconnect();
    subscriber.disconnect();
  }
}

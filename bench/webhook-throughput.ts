import { performance } from 'node:perf_hooks';
import { In } from 'typeorm';
import { newEndpoint } from '../src/channels/crm/outgoing/endpoint-admin';
import { events } from '../src/core/events';
import { newId } from '../src/core/ids';
import { insertRows, repo } from '../src/core/model/schemas';
import type { Message } from '../src/core/model/types';
import { eventsOutboxRow } from '../src/core/outbox';
import { atFixedRate } from './event-latency';
import { uniqueId } from './lib/env';
import { startBenchHub, type BenchHub, type Engine } from './lib/hub';
import { BenchReceiver, type ReceiverReport } from './lib/receiver';
import { nowMs, round, sleep, summarize, type LatencySummary } from './lib/stats';
import { startWebhookBaseline } from './lib/webhook-baseline';
import { firstAttemptDelayP99, firstAttemptHistogram } from './lib/webhook-metric';
import { openConversations } from './reply-throughput';

export interface WebhookOptions {
  engine: Engine;
  redisUrl: string;
  postgresUrl?: string;
  endpoints: number;
  /** Measured seconds per side, split over the rounds. */
  durationS: number;
  rounds: number;
  warmupS: number;
  /** Conversations the events are about, in turn (deliveries are ordered per endpoint and conversation). */
  conversations: number;
  /** Events committed but not yet at every receiver, at most: the saturating load's queue. */
  backlogEvents: number;
  /** Events at a time being committed (hub) or added (baseline). */
  producers: number;
  latencyRate: number;
  latencyS: number;
  drainTimeoutMs: number;
  log: (line: string) => void;
}

export interface WebhookThroughputRun {
  /** Deliveries that reached the receivers per second while events were produced (the headline figure). */
  deliveredPerSecond: number;
  /** Events committed (hub) or added (baseline) per second of load. */
  eventsPerSecond: number;
  roundsDeliveredPerSecond: number[];
  events: number;
  /** (event, endpoint) pairs that never arrived, and ones that arrived more than once. */
  missing: number;
  duplicates: number;
  drained: boolean;
  drainMs: number[];
  /** Main-thread busy time per delivery, from the event's commit to the end of the drain: the CPU cost. */
  busyMicrosPerDelivery: number;
}

export interface WebhookLatencyRun {
  sent: number;
  received: number;
  /** Event commit (baseline: its adds) → the first attempt's arrival at a receiver, over every delivery. */
  latencyMs: LatencySummary;
}

export interface WebhookFigure {
  engine: Engine;
  endpoints: number;
  hub: WebhookThroughputRun;
  baseline: WebhookThroughputRun;
  ratio: number;
  latency: { hub: WebhookLatencyRun; baseline: WebhookLatencyRun; metricP99Ms: number | null };
  /** The hub's deliveries by status after the run (all `succeeded` when every one went out). */
  hubStatuses: Record<string, number>;
}

interface Side {
  name: 'hub' | 'baseline';
  /** Commits (or adds) event number `n`; answers its id, the deliveries' webhook-id. */
  emit(n: number): Promise<string>;
  /** Work not yet finished: jobs, outbox rows, pending deliveries. */
  backlog(): Promise<number>;
}

interface Turn {
  ids: string[];
  windowS: number;
  delivered: number;
  drainMs: number;
  drained: boolean;
  busyMs: number;
}

async function reports(receivers: readonly BenchReceiver[], options: Parameters<BenchReceiver['report']>[0] = {}): Promise<ReceiverReport[]> {
  return Promise.all(receivers.map((receiver) => receiver.report(options)));
}

const uniqueOf = (all: readonly ReceiverReport[]) => all.reduce((sum, r) => sum + r.unique, 0);

/** Waits until every delivery of `expected` more has arrived since `from` and the side has no work left. */
async function drain(side: Side, receivers: readonly BenchReceiver[], from: number, expected: number, timeoutMs: number): Promise<{ ms: number; drained: boolean }> {
  const start = nowMs();
  for (;;) {
    if (uniqueOf(await reports(receivers)) - from >= expected && (await side.backlog()) === 0) return { ms: nowMs() - start, drained: true };
    if (nowMs() - start > timeoutMs) return { ms: nowMs() - start, drained: false };
    await sleep(50);
  }
}

/**
 * Saturating load for `seconds`: `producers` loops each commit one event after another, pausing while
 * more than `backlogEvents` events are not yet at every receiver; then the turn's backlog is drained.
 */
async function turn(side: Side, receivers: readonly BenchReceiver[], seconds: number, options: WebhookOptions, next: { n: number }): Promise<Turn> {
  const elu = performance.eventLoopUtilization();
  const before = uniqueOf(await reports(receivers));
  const ids: string[] = [];
  const progress = { arrived: 0, stopped: false };
  const watcher = (async () => {
    while (!progress.stopped) {
      progress.arrived = uniqueOf(await reports(receivers)) - before;
      await sleep(20);
    }
  })();
  const start = Date.now();
  const deadline = start + seconds * 1000;
  const producer = async () => {
    while (Date.now() < deadline) {
      if (ids.length - progress.arrived / receivers.length >= options.backlogEvents) {
        await sleep(5);
        continue;
      }
      ids.push(await side.emit(next.n++));
    }
  };
  await Promise.all(Array.from({ length: options.producers }, producer));
  const finish = Date.now();
  progress.stopped = true;
  await watcher;
  const window = await reports(receivers, { window: { from: start, to: finish } });
  const drained = await drain(side, receivers, before, ids.length * receivers.length, options.drainTimeoutMs);
  return {
    ids,
    windowS: (finish - start) / 1000,
    delivered: window.reduce((sum, r) => sum + r.hitsInWindow, 0),
    drainMs: drained.ms,
    drained: drained.drained,
    busyMs: performance.eventLoopUtilization(elu).active,
  };
}

/** Every event of `ids` at every receiver, once: the pairs missing and the ones that came twice. */
function completeness(ids: readonly string[], all: readonly ReceiverReport[]): { missing: number; duplicates: number } {
  let missing = 0;
  let duplicates = 0;
  for (const report of all) {
    const got = new Set(report.ids ?? []);
    const twice = new Set(report.duplicateIds ?? []);
    for (const id of ids) {
      if (!got.has(id)) missing++;
      if (twice.has(id)) duplicates++;
    }
  }
  return { missing, duplicates };
}

function figures(turns: readonly Turn[], allIds: readonly string[], all: readonly ReceiverReport[]): WebhookThroughputRun {
  const windowS = turns.reduce((sum, t) => sum + t.windowS, 0);
  const events = turns.reduce((sum, t) => sum + t.ids.length, 0);
  const processed = events * all.length;
  return {
    deliveredPerSecond: round(turns.reduce((sum, t) => sum + t.delivered, 0) / Math.max(0.001, windowS), 1),
    eventsPerSecond: round(events / Math.max(0.001, windowS), 1),
    roundsDeliveredPerSecond: turns.map((t) => round(t.delivered / Math.max(0.001, t.windowS), 0)),
    events,
    ...completeness(allIds, all),
    drained: turns.every((t) => t.drained),
    drainMs: turns.map((t) => round(t.drainMs, 0)),
    busyMicrosPerDelivery: round((turns.reduce((sum, t) => sum + t.busyMs, 0) * 1000) / Math.max(1, processed), 0),
  };
}

/** `rate` events/s for `seconds`; the lag of each delivery's first attempt, as the receivers saw it. */
async function latency(side: Side, receivers: readonly BenchReceiver[], options: WebhookOptions, next: { n: number }): Promise<WebhookLatencyRun> {
  const from = await reports(receivers);
  const count = Math.round(options.latencyRate * options.latencyS);
  const sends: Promise<string>[] = [];
  await atFixedRate(options.latencyRate, count, () => sends.push(side.emit(next.n++)));
  await Promise.all(sends);
  const fromUnique = uniqueOf(from);
  await drain(side, receivers, fromUnique, count * receivers.length, options.drainTimeoutMs);
  const lags = (await Promise.all(receivers.map((receiver, i) => receiver.report({ lagsFrom: from[i]?.unique ?? 0 })))).flatMap((r) => r.lags ?? []);
  return { sent: count * receivers.length, received: lags.length, latencyMs: summarize(lags.filter(Number.isFinite)) };
}

/** One stored inbound message per conversation: what the events carry (with a fresh id and body each). */
async function sampleMessages(benchHub: BenchHub, conversationIds: readonly string[]): Promise<Message[]> {
  const rows = await repo(benchHub.hub.db.manager, 'Message').findBy({ conversationId: In([...conversationIds]) });
  const byConversation = new Map(rows.map((row) => [row.conversationId, row]));
  return conversationIds.flatMap((id) => byConversation.get(id) ?? []);
}

function hubSide(benchHub: BenchHub, messages: readonly Message[]): Side {
  const { db, outbox } = benchHub.hub;
  return {
    name: 'hub',
    async emit(n) {
      const sample = messages[n % messages.length];
      if (!sample) throw new Error('no conversation to send events about');
      const now = new Date();
      const event = events.messageCreated({ ...sample, id: newId(), body: `Event ${n}: my order has not arrived yet, can you help?`, createdAt: now }, now);
      await outbox.runUnit(({ write }) => write([eventsOutboxRow([event], now)]), { key: sample.conversationId });
      return event.id;
    },
    // Not the CRM queue's job counts: its retention job is always there, delayed. A delivery is pending
    // until its last try is recorded, whichever job (or wait for a busy endpoint) that takes.
    async backlog() {
      const rest = await benchHub.backlog();
      const pending = await repo(db.manager, 'WebhookDelivery').countBy({ status: 'pending' });
      return rest.jobs + rest.outbox + pending;
    },
  };
}

async function statusCounts(benchHub: BenchHub): Promise<Record<string, number>> {
  const rows = await benchHub.hub.db.manager.query<{ status: string; n: number | string }[]>(`SELECT status, COUNT(*) AS n FROM webhook_deliveries GROUP BY status`);
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
}

function describe(run: WebhookThroughputRun): string {
  return (
    `delivered ${run.deliveredPerSecond}/s (turns ${run.roundsDeliveredPerSecond.join(', ')}) from ${run.eventsPerSecond} events/s; ` +
    `${run.events} events, missing ${run.missing}, duplicates ${run.duplicates}, drained in ${run.drainMs.join(', ')} ms; main thread busy ${run.busyMicrosPerDelivery} µs/delivery`
  );
}

/**
 * Outgoing webhook deliveries per second to `endpoints` local receivers (each answering 200 at once, on
 * its own thread). What is measured is the delivery pipeline, not ingest: `message.created` events about
 * real conversations are committed straight through the hub's outbox, one unit per event (as an ingest's
 * commit writes them), and the hub does the rest: publish, the subscriber's deliveries (one per
 * endpoint) with their attempt jobs, the claim, the signed POST, the record. The load saturates it (at
 * most `backlogEvents` events in flight), and the figure is receiver hits per second while it runs. The
 * baseline adds one raw BullMQ job per (event, endpoint) and a Worker POSTs each, on the same Redis,
 * taking turns with the hub. Then, at `latencyRate` events/s, each delivery's lag from its event's
 * `timestamp` (the event's occurredAt, taken just before its commit) to its arrival at the receiver.
 */
export async function measureWebhookThroughput(options: WebhookOptions): Promise<WebhookFigure> {
  const { log, engine } = options;
  const receivers: BenchReceiver[] = [];
  const stops: (() => Promise<void>)[] = [];
  try {
    for (let i = 0; i < options.endpoints; i++) receivers.push(await BenchReceiver.start({ verifySample: 0, lagFromTimestamp: true }));
    stops.push(...receivers.map((receiver) => () => receiver.close()));
    const benchHub = await startBenchHub(engine, options.redisUrl, options.postgresUrl, { WEBHOOK_ALLOW_PRIVATE_URLS: 'true' });
    stops.unshift(() => benchHub.stop());

    const conversationIds = await openConversations(benchHub, options.conversations);
    await benchHub.drain(60_000);
    const messages = await sampleMessages(benchHub, conversationIds);
    const now = new Date();
    const endpointRow = (url: string) => newEndpoint({ url, description: 'bench receiver', events: ['*'] }, now);
    await insertRows(
      benchHub.hub.db.manager,
      'WebhookEndpoint',
      receivers.map((receiver) => endpointRow(receiver.url)),
    );

    const baseline = startWebhookBaseline(
      options.redisUrl,
      uniqueId('hookbase'),
      receivers.map((receiver) => receiver.url),
      benchHub.config.workerConcurrency,
    );
    stops.unshift(() => baseline.stop());
    const base: Side = {
      name: 'baseline',
      async emit(n) {
        const id = newId();
        const sample = messages[n % messages.length];
        const body = JSON.stringify({ type: 'message.created', timestamp: new Date().toISOString(), data: { message: { ...sample, id, body: `Event ${n}: my order has not arrived yet, can you help?` } } });
        await baseline.addEvent(id, body);
        return id;
      },
      backlog: () => baseline.backlog(),
    };
    const hub = hubSide(benchHub, messages);

    const counters = { hub: { n: 0 }, baseline: { n: 0 } };
    const ids: Record<Side['name'], string[]> = { hub: [], baseline: [] };
    const turns: Record<Side['name'], Turn[]> = { hub: [], baseline: [] };
    if (options.warmupS > 0) {
      for (const side of [base, hub]) {
        const warm = await turn(side, receivers, options.warmupS, options, counters[side.name]);
        ids[side.name].push(...warm.ids);
        if (!warm.drained) throw new Error(`the ${side.name}'s warm-up backlog did not drain within ${options.drainTimeoutMs} ms`);
      }
    }
    rounds: for (let r = 0; r < options.rounds; r++) {
      for (const side of [base, hub]) {
        const measured = await turn(side, receivers, options.durationS / options.rounds, options, counters[side.name]);
        turns[side.name].push(measured);
        ids[side.name].push(...measured.ids);
        if (!measured.drained) {
          log(`  the ${side.name}'s backlog did not drain within ${options.drainTimeoutMs} ms; no more turns`);
          break rounds;
        }
      }
    }
    if (turns.hub.length === 0) throw new Error('the hub took no measured turn');
    const all = await reports(receivers, { withIds: true });
    const baselineRun = figures(turns.baseline, ids.baseline, all);
    const hubRun = figures(turns.hub, ids.hub, all);
    log(`  baseline: ${describe(baselineRun)}`);
    log(`  hub:      ${describe(hubRun)}`);

    log(`  first attempt delay at ${options.latencyRate} events/s for ${options.latencyS} s, baseline then hub ...`);
    const baselineLatency = await latency(base, receivers, options, counters.baseline);
    const histogramBefore = await firstAttemptHistogram(benchHub.url);
    const hubLatency = await latency(hub, receivers, options, counters.hub);
    const metricP99Ms = firstAttemptDelayP99(histogramBefore, await firstAttemptHistogram(benchHub.url));
    const hubStatuses = await statusCounts(benchHub);
    log(`  baseline: p50 ${baselineLatency.latencyMs.p50} ms, p99 ${baselineLatency.latencyMs.p99} ms, ${baselineLatency.received}/${baselineLatency.sent} deliveries`);
    log(
      `  hub:      p50 ${hubLatency.latencyMs.p50} ms, p99 ${hubLatency.latencyMs.p99} ms, ${hubLatency.received}/${hubLatency.sent} deliveries; ` +
        `switchboard_webhook_first_attempt_delay_seconds p99 ≤ ${metricP99Ms ?? 'n/a'} ms; deliveries ${JSON.stringify(hubStatuses)}`,
    );
    return {
      engine,
      endpoints: receivers.length,
      hub: hubRun,
      baseline: baselineRun,
      ratio: round(hubRun.deliveredPerSecond / baselineRun.deliveredPerSecond, 3),
      latency: { hub: hubLatency, baseline: baselineLatency, metricP99Ms },
      hubStatuses,
    };
  } finally {
    for (const stop of stops) await stop().catch((error: unknown) => log(`  cleanup failed: ${String(error)}`));
  }
}

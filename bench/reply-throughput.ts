import { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import { DELIVERY_QUEUE } from '../src/core/outbox';
import { uniqueId } from './lib/env';
import { startBenchHub, type BenchHub, type Engine } from './lib/hub';
import { inParallel, postJson } from './lib/http';
import { combineLoads, inboundBody, runLoad, type LoadResult, type LoadSpec, type RawLoad } from './lib/load';
import { BenchReceiver, newWebhookSecret } from './lib/receiver';
import { startReplyBaseline } from './lib/reply-baseline';
import { nowMs, round, sleep } from './lib/stats';

export interface ReplyThroughputOptions {
  engine: Engine;
  redisUrl: string;
  postgresUrl?: string;
  connections: number;
  /** Measured seconds per side, split over the rounds. */
  durationS: number;
  /** Baseline and hub take turns this many times (each turn followed by draining its backlog). */
  rounds: number;
  warmupS: number;
  /** Conversations created through POST /api/v1/inbound first; the replies go to them in turn. */
  conversations: number;
  /** Longest wait for a side's delivery backlog to drain after each turn. */
  drainTimeoutMs: number;
  log: (line: string) => void;
}

/** One side's turn: the load, the receiver's count in its window, and the drain that followed. */
interface Turn {
  raw: RawLoad;
  windowS: number;
  deliveredInWindow: number;
  /** Accepted replies not yet delivered when the load stopped. */
  backlogAtEnd: number;
  drainMs: number;
  drained: boolean;
  /** Distinct deliveries from the start of the turn to the end of its drain. */
  processed: number;
  /** Main-thread busy time from the start of the turn to the end of its drain. */
  busyMs: number;
}

export interface ReplyRun {
  /** The POSTs, as autocannon saw them. */
  posts: LoadResult;
  /** Replies answered 2xx per second of load. */
  acceptedPerSecond: number;
  /** Replies that reached the receiver per second, while the load ran (the headline figure). */
  deliveredPerSecond: number;
  /** Replies delivered per second counting the drain: every reply of the turns / (load + drain time). */
  sustainedPerSecond: number;
  roundsDeliveredPerSecond: number[];
  /** Replies answered 2xx in the measured turns, and how many of them the receiver got. */
  accepted: number;
  delivered: number;
  acknowledgedNotDelivered: number;
  /** Deliveries the load generator never read the answer of (in flight when a turn ended). */
  deliveredUnacknowledged: number;
  /** Requests to the receiver for a delivery it already had. */
  duplicates: number;
  backlogAtEnd: number[];
  drainMs: number[];
  drained: boolean;
  /** Main-thread busy time per reply, from accepting the POST to the end of its delivery: the CPU cost. */
  busyMicrosPerReply: number;
}

export interface ReplyThroughputFigure {
  engine: Engine;
  hub: ReplyRun;
  baseline: ReplyRun;
  /** Hub deliveries/s divided by the baseline's. */
  ratio: number;
  conversations: number;
  /** Hub deliveries whose Standard Webhooks signature verified, of those checked. */
  signatures: { verified: number; failures: string[] };
  /** The hub's outbound messages by delivery status after the drain (all `sent` when every reply went out). */
  hubStatuses: Record<string, number>;
}

interface Side {
  name: 'hub' | 'baseline';
  url: string;
  headers: Record<string, string>;
  receiver: BenchReceiver;
  backlog(): Promise<number>;
}

async function drain(side: Side, timeoutMs: number): Promise<{ ms: number; drained: boolean }> {
  const start = nowMs();
  // Two empty looks in a row: a request cut off by the end of the load may still be committing.
  let empty = 0;
  while (empty < 2) {
    empty = (await side.backlog()) === 0 ? empty + 1 : 0;
    if (empty >= 2) break;
    if (nowMs() - start > timeoutMs) return { ms: nowMs() - start, drained: false };
    await sleep(100);
  }
  return { ms: nowMs() - start, drained: true };
}

async function turn(side: Side, spec: LoadSpec, drainTimeoutMs: number): Promise<Turn> {
  const before = await side.receiver.report();
  const elu = performance.eventLoopUtilization();
  const raw = await runLoad(spec);
  const { start, finish } = raw.result as { start: Date; finish: Date };
  const atEnd = await side.receiver.report({ window: { from: start.getTime(), to: finish.getTime() } });
  const acknowledged = raw.acknowledged.length;
  const backlogAtEnd = Math.max(0, acknowledged - (atEnd.unique - before.unique));
  const drained = await drain(side, drainTimeoutMs);
  const after = await side.receiver.report();
  const busy = performance.eventLoopUtilization(elu);
  return {
    raw,
    windowS: (finish.getTime() - start.getTime()) / 1000,
    deliveredInWindow: atEnd.hitsInWindow,
    backlogAtEnd,
    drainMs: drained.ms,
    drained: drained.drained,
    processed: after.unique - before.unique,
    busyMs: busy.active,
  };
}

async function figures(side: Side, turns: Turn[], allAcknowledged: string[]): Promise<ReplyRun> {
  const report = await side.receiver.report({ withIds: true });
  const ids = new Set(report.ids ?? []);
  const acknowledged = turns.flatMap((t) => t.raw.acknowledged);
  const delivered = acknowledged.filter((id) => ids.has(id)).length;
  const everAcknowledged = new Set(allAcknowledged);
  const posts = combineLoads(
    turns.map((t) => t.raw),
    side.url,
  );
  const windowS = turns.reduce((sum, t) => sum + t.windowS, 0);
  const processed = turns.reduce((sum, t) => sum + t.processed, 0);
  return {
    posts,
    acceptedPerSecond: round(posts.ok2xx / Math.max(0.001, posts.durationS), 1),
    deliveredPerSecond: round(turns.reduce((sum, t) => sum + t.deliveredInWindow, 0) / Math.max(0.001, windowS), 1),
    sustainedPerSecond: round(processed / Math.max(0.001, windowS + turns.reduce((sum, t) => sum + t.drainMs / 1000, 0)), 1),
    roundsDeliveredPerSecond: turns.map((t) => round(t.deliveredInWindow / Math.max(0.001, t.windowS), 0)),
    accepted: acknowledged.length,
    delivered,
    acknowledgedNotDelivered: acknowledged.length - delivered,
    deliveredUnacknowledged: [...ids].filter((id) => !everAcknowledged.has(id)).length,
    duplicates: report.duplicates,
    backlogAtEnd: turns.map((t) => t.backlogAtEnd),
    drainMs: turns.map((t) => round(t.drainMs, 0)),
    drained: turns.every((t) => t.drained),
    busyMicrosPerReply: round((turns.reduce((sum, t) => sum + t.busyMs, 0) * 1000) / Math.max(1, processed), 0),
  };
}

/** Opens `count` API-channel conversations through POST /api/v1/inbound; returns their ids. */
export async function openConversations(benchHub: BenchHub, count: number): Promise<string[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 20 });
  try {
    const idPrefix = `reply-open-${Date.now().toString(36)}`;
    const headers = { authorization: `Bearer ${benchHub.apiKey}` };
    return await inParallel(count, 20, async (i) => {
      const answer = await postJson(agent, `${benchHub.url}/api/v1/inbound`, headers, inboundBody({ idPrefix, contacts: count }, i));
      if (answer.status !== 202) throw new Error(`POST /api/v1/inbound answered ${answer.status}: ${answer.body.slice(0, 200)}`);
      return (JSON.parse(answer.body) as { conversationId: string }).conversationId;
    });
  } finally {
    agent.destroy();
  }
}

async function statusCounts(benchHub: BenchHub): Promise<Record<string, number>> {
  const rows = await benchHub.hub.db.manager.query<{ status: string; n: number | string }[]>(
    `SELECT "deliveryStatus" AS status, COUNT(*) AS n FROM messages WHERE direction = 'outbound' GROUP BY "deliveryStatus"`,
  );
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
}

function describe(run: ReplyRun): string {
  return (
    `delivered ${run.deliveredPerSecond}/s during load (turns ${run.roundsDeliveredPerSecond.join(', ')}), ${run.sustainedPerSecond}/s counting the drain; ` +
    `accepted ${run.acceptedPerSecond} POSTs/s (p50 ${run.posts.latencyMs.p50} ms, p99 ${run.posts.latencyMs.p99} ms, non-2xx ${run.posts.non2xx}, errors ${run.posts.errors}); ` +
    `delivered ${run.delivered}/${run.accepted}, backlog at the end of each turn ${run.backlogAtEnd.join(', ')} drained in ${run.drainMs.join(', ')} ms; ` +
    `main thread busy ${run.busyMicrosPerReply} µs/reply`
  );
}

/**
 * Agent reply throughput: autocannon POSTs replies to `POST /api/v1/conversations/:id/messages` of an
 * in-process hub (role all) whose API channel delivers to a local receiver, against the raw BullMQ
 * add + Worker + one HTTP POST baseline, on the same Redis, taking turns. The figure is replies that
 * reached the receiver per second while the load ran; after each turn the side's backlog is drained
 * (bounded) and every accepted reply must have arrived.
 */
export async function measureReplyThroughput(options: ReplyThroughputOptions): Promise<ReplyThroughputFigure> {
  const { log, engine } = options;
  const secret = newWebhookSecret();
  const hubReceiver = await BenchReceiver.start({ secret, verifySample: 200 });
  const baselineReceiver = await BenchReceiver.start({ verifySample: 0 });
  const stops: (() => Promise<void>)[] = [() => hubReceiver.close(), () => baselineReceiver.close()];
  try {
    const benchHub = await startBenchHub(engine, options.redisUrl, options.postgresUrl, {
      API_CHANNEL_WEBHOOK_URL: hubReceiver.url,
      API_CHANNEL_WEBHOOK_SECRET: secret,
    });
    stops.unshift(() => benchHub.stop());
    const deliveryQueue = new Queue(DELIVERY_QUEUE, { connection: { url: options.redisUrl }, prefix: benchHub.prefix });
    deliveryQueue.on('error', () => undefined);
    stops.unshift(() => deliveryQueue.close());

    const baseline = await startReplyBaseline(options.redisUrl, uniqueId('replybase'), baselineReceiver.url, benchHub.config.deliveryConcurrency);
    stops.unshift(() => baseline.stop());

    const conversationIds = await openConversations(benchHub, options.conversations);
    await benchHub.drain(60_000);

    const hub: Side = {
      name: 'hub',
      url: benchHub.url,
      headers: { authorization: `Bearer ${benchHub.apiKey}` },
      receiver: hubReceiver,
      async backlog() {
        const counts = await deliveryQueue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        const rest = await benchHub.backlog();
        return Object.values(counts).reduce((sum, n) => sum + n, 0) + rest.jobs + rest.outbox;
      },
    };
    const base: Side = { name: 'baseline', url: baseline.url, headers: {}, receiver: baselineReceiver, backlog: () => baseline.backlog() };
    const spec = (side: Side, idPrefix: string, durationS: number): LoadSpec => ({
      url: side.url,
      path: '/api/v1/conversations/:id/messages',
      connections: options.connections,
      durationS,
      headers: side.headers,
      idPrefix,
      contacts: options.conversations,
      conversationIds,
    });

    const acknowledged: Record<Side['name'], string[]> = { hub: [], baseline: [] };
    const turns: Record<Side['name'], Turn[]> = { hub: [], baseline: [] };
    if (options.warmupS > 0) {
      for (const side of [base, hub]) {
        const warm = await turn(side, spec(side, 'warm', options.warmupS), options.drainTimeoutMs);
        acknowledged[side.name].push(...warm.raw.acknowledged);
        if (!warm.drained) throw new Error(`the ${side.name}'s warm-up backlog did not drain within ${options.drainTimeoutMs} ms`);
      }
    }
    const roundS = options.durationS / options.rounds;
    rounds: for (let r = 0; r < options.rounds; r++) {
      for (const side of [base, hub]) {
        const measured = await turn(side, spec(side, `run-r${r}`, roundS), options.drainTimeoutMs);
        turns[side.name].push(measured);
        acknowledged[side.name].push(...measured.raw.acknowledged);
        if (!measured.drained) {
          log(`  the ${side.name}'s backlog did not drain within ${options.drainTimeoutMs} ms; no more turns`);
          break rounds;
        }
      }
    }
    if (turns.hub.length === 0) throw new Error('the hub took no measured turn');

    const baselineRun = await figures(base, turns.baseline, acknowledged.baseline);
    const hubRun = await figures(hub, turns.hub, acknowledged.hub);
    const hubReport = await hubReceiver.report();
    const hubStatuses = await statusCounts(benchHub);
    log(`  baseline: ${describe(baselineRun)}`);
    log(`  hub:      ${describe(hubRun)}`);
    log(`            signatures verified ${hubReport.verified}/${hubReport.verified + hubReport.verificationFailures.length}; outbound statuses ${JSON.stringify(hubStatuses)}`);
    return {
      engine,
      hub: hubRun,
      baseline: baselineRun,
      ratio: round(hubRun.deliveredPerSecond / baselineRun.deliveredPerSecond, 3),
      conversations: conversationIds.length,
      signatures: { verified: hubReport.verified, failures: hubReport.verificationFailures },
      hubStatuses,
    };
  } finally {
    for (const stop of stops) await stop().catch((error: unknown) => log(`  cleanup failed: ${String(error)}`));
  }
}

import { startBaselineServer, type BaselineDatabase } from './lib/baseline-server';
import type { BenchHub } from './lib/hub';
import { combineLoads, runLoad, type LoadResult, type LoadSpec, type RawLoad } from './lib/load';
import { round, measuredRun, type MeasuredRun, type RoundsOptions } from './lib/stats';

export interface ThroughputOptions extends RoundsOptions {
  connections: number;
}

export interface ThroughputRun extends LoadResult {
  /** Requests answered 2xx whose message is not in the database: must be 0. */
  acknowledgedNotStored: number;
  /** Messages stored whose answer the load generator never read (in flight when a round ended). */
  storedUnanswered: number;
  /** Requests/s of each round. */
  roundsPerSecond: number[];
  /**
   * Time the bench process's main thread (where the server runs; the load generator has its own thread)
   * was busy, per request, in µs: the server's own CPU cost, steadier than req/s on a shared machine.
   */
  busyMicrosPerRequest: number;
  /** Share of the measured time the main thread was busy (1 = saturated). */
  eventLoopUtilization: number;
}

export interface ThroughputFigure {
  engine: BenchHub['engine'];
  hub: ThroughputRun;
  baseline: ThroughputRun;
  /** Hub requests/s divided by baseline requests/s. */
  ratio: number;
  /** Events-queue jobs and outbox rows the hub's workers had not caught up with when each round stopped. */
  hubBacklogAtEnd: { jobs: number; outbox: number }[];
  /** How long the hub's workers then took to process that backlog, per round (not counted in either figure). */
  hubDrainMs: number[];
}

/** External ids stored under a prefix (the hub stores the sourceId, the baseline `baseline-<sourceId>`). */
async function storedIds(benchHub: BenchHub, externalIdPrefix: string): Promise<Set<string>> {
  const placeholder = benchHub.engine === 'postgres' ? '$1' : '?';
  const rows = await benchHub.hub.db.manager.query<{ externalId: string }[]>(`SELECT "externalId" FROM messages WHERE "externalId" LIKE ${placeholder}`, [`${externalIdPrefix}-%`]);
  return new Set(rows.map((row) => row.externalId));
}

async function runFigures(benchHub: BenchHub, measuredRuns: MeasuredRun<RawLoad>[], url: string, storedPrefix: string, stored: (sourceId: string) => string): Promise<ThroughputRun> {
  const runs = measuredRuns.map((run) => run.raw);
  const ids = await storedIds(benchHub, storedPrefix);
  const acknowledged = runs.flatMap((run) => run.acknowledged);
  const acknowledgedNotStored = acknowledged.filter((sourceId) => !ids.has(stored(sourceId))).length;
  const roundsPerSecond = runs.map((run) => combineLoads([run], url).requestsPerSecond).map((rps) => round(rps, 0));
  const combined = combineLoads(runs, url);
  const busyMs = measuredRuns.reduce((sum, run) => sum + run.busyMs, 0);
  const elapsedMs = measuredRuns.reduce((sum, run) => sum + run.elapsedMs, 0);
  return {
    ...combined,
    acknowledgedNotStored,
    storedUnanswered: ids.size - (acknowledged.length - acknowledgedNotStored),
    roundsPerSecond,
    busyMicrosPerRequest: round((busyMs * 1000) / Math.max(1, combined.requests), 0),
    eventLoopUtilization: round(busyMs / Math.max(1, elapsedMs), 2),
  };
}

function describe(result: ThroughputRun): string {
  return `${Math.round(result.requestsPerSecond)} req/s (rounds ${result.roundsPerSecond.join(', ')}), p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors}; main thread busy ${result.busyMicrosPerRequest} µs/request (utilization ${result.eventLoopUtilization})`;
}

/**
 * API-channel ingest throughput: autocannon against `POST /api/v1/inbound` of the hub, and against the
 * bare baseline handler on the same database file or schema and the same Redis, taking turns.
 */
export async function measureIngestThroughput(benchHub: BenchHub, redisUrl: string, options: ThroughputOptions): Promise<ThroughputFigure> {
  const { log } = options;
  const roundS = options.durationS / options.rounds;
  const spec = (url: string, idPrefix: string, durationS: number, headers: Record<string, string> = {}): LoadSpec => ({
    url,
    path: '/api/v1/inbound',
    connections: options.connections,
    durationS,
    headers,
    idPrefix,
    contacts: options.contacts,
  });
  const auth = { authorization: `Bearer ${benchHub.apiKey}` };
  const database: BaselineDatabase =
    benchHub.engine === 'postgres' ? { engine: 'postgres', url: options.postgresUrl ?? '', schema: benchHub.prefix } : { engine: 'sqlite', file: benchHub.sqlitePath };

  const baselineServer = await startBaselineServer(database, redisUrl, `${benchHub.prefix}_baseline`);
  const baselineRuns: MeasuredRun<RawLoad>[] = [];
  const hubRuns: MeasuredRun<RawLoad>[] = [];
  const hubBacklogAtEnd: { jobs: number; outbox: number }[] = [];
  const hubDrainMs: number[] = [];
  try {
    if (options.warmupS > 0) {
      await runLoad(spec(baselineServer.url, 'warm', options.warmupS));
      await runLoad(spec(benchHub.url, 'warm', options.warmupS, auth));
      await benchHub.drain(120_000);
    }
    for (let r = 0; r < options.rounds; r++) {
      baselineRuns.push(await measuredRun(() => runLoad(spec(baselineServer.url, `run-r${r}`, roundS))));
      hubRuns.push(await measuredRun(() => runLoad(spec(benchHub.url, `run-r${r}`, roundS, auth))));
      // The hub's workers finish the round's jobs before the baseline's next turn; the backlog is reported.
      hubBacklogAtEnd.push(await benchHub.backlog());
      hubDrainMs.push(round(await benchHub.drain(120_000), 0));
    }
  } finally {
    await baselineServer.stop();
  }

  const baseline = await runFigures(benchHub, baselineRuns, baselineServer.url, 'baseline-run', (sourceId) => `baseline-${sourceId}`);
  const hub = await runFigures(benchHub, hubRuns, benchHub.url, 'run', (sourceId) => sourceId);
  log(`  baseline: ${describe(baseline)}`);
  log(`  hub:      ${describe(hub)}`);
  log(`            job backlog at the end of each round ${hubBacklogAtEnd.map((b) => b.jobs).join(', ')}, drained in ${hubDrainMs.join(', ')} ms`);
  return { engine: benchHub.engine, hub, baseline, ratio: round(hub.requestsPerSecond / baseline.requestsPerSecond, 3), hubBacklogAtEnd, hubDrainMs };
}

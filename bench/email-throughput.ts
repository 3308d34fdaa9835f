import type { BaselineDatabase } from './lib/baseline-db';
import { startBenchHub, type BenchHub, type Engine } from './lib/hub';
import { freePort } from './lib/processes';
import { startSmtpBaseline, startSmtpSink } from './lib/smtp-baseline';
import { combineSmtpLoads, runSmtpLoad, type RawSmtpLoad, type SmtpLoadResult, type SmtpLoadSpec } from './lib/smtp-load';
import { round, measuredRun, type MeasuredRun, type RoundsOptions } from './lib/stats';

/** The inbox the bench's customers write to. */
export const SUPPORT_ADDRESS = 'support@bench.test';

export interface EmailThroughputOptions extends RoundsOptions {
  /** Concurrent SMTP senders, one connection each. */
  senders: number;
}

export interface EmailRun extends SmtpLoadResult {
  /** Mails answered 250 whose message is not in the database: must be 0. */
  acknowledgedNotStored: number;
  /** Messages stored under the run's Message-IDs whose 250 the senders never read. */
  storedUnanswered: number;
  /** Mails/s of each round. */
  roundsPerSecond: number[];
  /** Time the bench's main thread (where the server runs; the senders have their own thread) was busy, per mail, in µs. */
  busyMicrosPerMail: number;
  /** Share of the measured time the main thread was busy (1 = saturated). */
  eventLoopUtilization: number;
}

export interface EmailThroughputFigure {
  engine: Engine;
  hub: EmailRun;
  baseline: EmailRun;
  /** Hub mails/s divided by baseline mails/s. */
  ratio: number;
  senders: number;
  /** Events-queue jobs and outbox rows the hub's workers had not caught up with when each round stopped. */
  hubBacklogAtEnd: { jobs: number; outbox: number }[];
  /** How long the hub's workers then took to process that backlog, per round (in neither figure). */
  hubDrainMs: number[];
}

/** A hub with the email channel on: inbound SMTP on a port of its own, outbound to a sink that answers 250. */
export interface EmailBenchHub {
  benchHub: BenchHub;
  stop(): Promise<void>;
}

export async function startEmailBenchHub(engine: Engine, redisUrl: string, postgresUrl?: string): Promise<EmailBenchHub> {
  const sink = await startSmtpSink();
  try {
    const benchHub = await startBenchHub(engine, redisUrl, postgresUrl, {
      SMTP_URL: `smtp://${sink.host}:${sink.port}`,
      MAIL_FROM: `Bench <${SUPPORT_ADDRESS}>`,
      EMAIL_ADDRESSES: SUPPORT_ADDRESS,
      INBOUND_SMTP_PORT: String(await freePort()),
    });
    return {
      benchHub,
      async stop() {
        try {
          await benchHub.stop();
        } finally {
          await sink.stop();
        }
      },
    };
  } catch (error) {
    await sink.stop();
    throw error;
  }
}

/** Email messages stored under Message-IDs starting with `prefix`. */
async function storedIds(benchHub: BenchHub, prefix: string): Promise<Set<string>> {
  const placeholder = benchHub.engine === 'postgres' ? '$1' : '?';
  const rows = await benchHub.hub.db.manager.query<{ externalId: string }[]>(`SELECT "externalId" FROM messages WHERE channel = 'email' AND "externalId" LIKE ${placeholder}`, [`${prefix}%`]);
  return new Set(rows.map((row) => row.externalId));
}

async function runFigures(benchHub: BenchHub, measuredRuns: MeasuredRun<RawSmtpLoad>[], prefix: string): Promise<EmailRun> {
  const runs = measuredRuns.map((run) => run.raw);
  const ids = await storedIds(benchHub, prefix);
  const acknowledged = new Set(runs.flatMap((run) => run.acknowledged));
  const acknowledgedNotStored = [...acknowledged].filter((id) => !ids.has(id)).length;
  const combined = combineSmtpLoads(runs);
  const busyMs = measuredRuns.reduce((sum, run) => sum + run.busyMs, 0);
  const elapsedMs = measuredRuns.reduce((sum, run) => sum + run.elapsedMs, 0);
  return {
    ...combined,
    acknowledgedNotStored,
    storedUnanswered: [...ids].filter((id) => !acknowledged.has(id)).length,
    roundsPerSecond: runs.map((run) => round(combineSmtpLoads([run]).mailsPerSecond, 0)),
    busyMicrosPerMail: round((busyMs * 1000) / Math.max(1, combined.accepted), 0),
    eventLoopUtilization: round(busyMs / Math.max(1, elapsedMs), 2),
  };
}

function describe(run: EmailRun): string {
  const failures = run.failures.length > 0 ? ` (${run.failures.join('; ')})` : '';
  return (
    `${Math.round(run.mailsPerSecond)} mails/s (rounds ${run.roundsPerSecond.join(', ')}), p50 ${run.latencyMs.p50} ms, p99 ${run.latencyMs.p99} ms, ` +
    `refused ${run.refused}, errors ${run.errors}${failures}; 250 but not stored ${run.acknowledgedNotStored} of ${run.accepted}; ` +
    `main thread busy ${run.busyMicrosPerMail} µs/mail (utilization ${run.eventLoopUtilization})`
  );
}

/**
 * Inbound email throughput: concurrent SMTP senders (own thread) deliver ~4 KB customer replies to the
 * hub's built-in SMTP listener, and to a bare smtp-server + mailparser + one INSERT on the same
 * database file or schema, taking turns. Every mail answered 250 must be stored.
 */
export async function measureEmailThroughput(benchHub: BenchHub, options: EmailThroughputOptions): Promise<EmailThroughputFigure> {
  const { log } = options;
  const hubPort = benchHub.config.inboundSmtpPort;
  const to = benchHub.config.emailAddresses?.[0]?.address;
  if (hubPort === undefined || to === undefined) throw new Error('the hub has no inbound SMTP (INBOUND_SMTP_PORT, EMAIL_ADDRESSES): start it with startEmailBenchHub');
  const database: BaselineDatabase =
    benchHub.engine === 'postgres' ? { engine: 'postgres', url: options.postgresUrl ?? '', schema: benchHub.prefix } : { engine: 'sqlite', file: benchHub.sqlitePath };
  const baselineServer = await startSmtpBaseline(database, benchHub.prefix);
  const spec = (port: number, idPrefix: string, durationS: number, atLeast?: number): SmtpLoadSpec => ({
    host: '127.0.0.1',
    port,
    senders: options.senders,
    durationS,
    to,
    idPrefix,
    contacts: options.contacts,
    ...(atLeast === undefined ? {} : { atLeast }),
  });

  const roundS = options.durationS / options.rounds;
  const baselineRuns: MeasuredRun<RawSmtpLoad>[] = [];
  const hubRuns: MeasuredRun<RawSmtpLoad>[] = [];
  const hubBacklogAtEnd: { jobs: number; outbox: number }[] = [];
  const hubDrainMs: number[] = [];
  try {
    if (options.warmupS > 0) {
      await runSmtpLoad(spec(baselineServer.port, 'warm-base', options.warmupS));
      // Every customer writes once, so that the measured mails find their contact and conversation.
      await runSmtpLoad(spec(hubPort, 'warm-hub', options.warmupS, options.contacts));
      await benchHub.drain(120_000);
    }
    for (let r = 0; r < options.rounds; r++) {
      baselineRuns.push(await measuredRun(() => runSmtpLoad(spec(baselineServer.port, `base-r${r}`, roundS))));
      hubRuns.push(await measuredRun(() => runSmtpLoad(spec(hubPort, `hub-r${r}`, roundS))));
      // The hub's workers finish the round's jobs before the baseline's next turn; the backlog is reported.
      hubBacklogAtEnd.push(await benchHub.backlog());
      hubDrainMs.push(round(await benchHub.drain(120_000), 0));
    }
  } finally {
    await baselineServer.stop();
  }

  const baseline = await runFigures(benchHub, baselineRuns, 'base-r');
  const hub = await runFigures(benchHub, hubRuns, 'hub-r');
  log(`  baseline: ${describe(baseline)}`);
  log(`  hub:      ${describe(hub)}`);
  log(`            job backlog at the end of each round ${hubBacklogAtEnd.map((b) => b.jobs).join(', ')}, drained in ${hubDrainMs.join(', ')} ms`);
  return { engine: benchHub.engine, hub, baseline, ratio: round(hub.mailsPerSecond / baseline.mailsPerSecond, 3), senders: options.senders, hubBacklogAtEnd, hubDrainMs };
}

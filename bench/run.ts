// `npm run bench`: every figure beside a baseline measured in the same run on the same Redis and
// database, printed as a table and written to bench/results/latest.json. A figure with a target also shows
// the figure as it was before the current work (bench/lib/before.ts) in the `before` column.
//
// Quick trials: BENCH_DURATION_S (measured throughput seconds per server, 15), BENCH_ROUNDS (turns the
// hub and the baseline take within that time, 3), BENCH_WARMUP_S (3), BENCH_CONNECTIONS (50),
// BENCH_CONTACTS (500), BENCH_LATENCY_RATE (200/s), BENCH_LATENCY_S (10), BENCH_COLD_RUNS (5),
// BENCH_REPLY_S (measured reply seconds per side, 12), BENCH_REPLY_ROUNDS (2), BENCH_REPLY_CONVERSATIONS (200),
// BENCH_REPLY_DRAIN_S (longest wait for a delivery backlog, 60), BENCH_SSE_CLIENTS (1000), BENCH_SSE_RATE
// (100/s), BENCH_SSE_S (10), BENCH_WIDGET_SOCKETS (idle widget sockets, 10000), BENCH_WIDGET_CLIENT_PROCESSES
// (processes holding them, 4), BENCH_WIDGET_HOLD_S (seconds they are held at least before the memory is read,
// then until it settles, 10), BENCH_WIDGET_RATE (round-trip messages/s, 100), BENCH_WIDGET_RT_S (seconds each
// way, 10), BENCH_WIDGET_RT_VISITORS (50), BENCH_EMAIL_S (measured inbound SMTP seconds per side, 10),
// BENCH_EMAIL_SENDERS (concurrent SMTP senders, one connection each, 10), BENCH_EMAIL_ROUNDS (2),
// BENCH_WEBHOOK_S (measured outgoing-webhook seconds per side, 10), BENCH_WEBHOOK_ROUNDS (2),
// BENCH_WEBHOOK_ENDPOINTS (local receivers, 5), BENCH_WEBHOOK_CONVERSATIONS (200), BENCH_WEBHOOK_BACKLOG
// (events in flight at most under the saturating load, 200), BENCH_WEBHOOK_PRODUCERS (events committed at
// once, 16), BENCH_WEBHOOK_RATE (events/s of the first-attempt delay, 100), BENCH_WEBHOOK_LATENCY_S (10),
// BENCH_ONLY (comma list of throughput, latency, reply, email, webhooks, sse, cold, widget-size,
// widget-sockets, widget-roundtrip), BENCH_STRICT=1 (exit 1 when a target is missed; a figure that could not be measured
// always does). Diagnostics: BENCH_PROFILE_DIR (a CPU profile of each
// child server of the SSE figures), BENCH_HEAP_SNAPSHOT_DIR (their heap snapshots, idle and with the
// streams open; this run's memory figures are then not comparable).
// PostgreSQL is measured when BENCH_DATABASE_URL or TEST_DATABASE_URL is set; Redis is REDIS_URL, else
// the local default port, else a private redis-server.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { measureColdStart, type ColdStartFigure } from './cold-start';
import { measureEmailThroughput, startEmailBenchHub, type EmailThroughputFigure } from './email-throughput';
import { measureHubEventLatency, measureRedisPubSubLatency, type LatencyRun } from './event-latency';
import { measureIngestThroughput, type ThroughputFigure } from './ingest-throughput';
import { measureReplyThroughput, type ReplyThroughputFigure } from './reply-throughput';
import { measureSseFanout, type SseFanoutFigure } from './sse-fanout';
import { measureWebhookThroughput, type WebhookFigure } from './webhook-throughput';
import { measureWidget, widgetCrashed, widgetRows, type WidgetResults } from './widget';
import { benchPostgres, benchRedis, deleteRedisMatching, describePostgres, dropPostgresSchemasStartingWith, envNumber, RUN_TAG, uniqueId } from './lib/env';
import { startBenchHub, type Engine } from './lib/hub';
import { nowMs, round } from './lib/stats';
import { attempt as attemptPart, failedRow, type Outcome } from './lib/outcome';
import { withBefore, type BeforeKey } from './lib/before';
import { fmt, formatTable, ratio, type Row } from './lib/table';

const TARGETS = {
  throughputRatio: 0.5,
  eventP99Ms: 20,
  coldStartMs: 2000,
  replyRatio: 0.5,
  emailRatio: 0.5,
  webhookRatio: 0.5,
  webhookFirstAttemptP99Ms: 100,
  sseFanoutP99Ms: 100,
  widgetGzipKb: 15,
  widgetSocketRssRatio: 2,
  widgetRoundTripP99Ratio: 3,
} as const;

const options = {
  durationS: envNumber('BENCH_DURATION_S', 15, 1),
  rounds: Math.round(envNumber('BENCH_ROUNDS', 3, 1)),
  warmupS: envNumber('BENCH_WARMUP_S', 3, 0),
  connections: envNumber('BENCH_CONNECTIONS', 50, 1),
  contacts: envNumber('BENCH_CONTACTS', 500, 1),
  latencyRate: envNumber('BENCH_LATENCY_RATE', 200, 1),
  latencyS: envNumber('BENCH_LATENCY_S', 10, 1),
  coldRuns: envNumber('BENCH_COLD_RUNS', 5, 1),
  replyS: envNumber('BENCH_REPLY_S', 12, 1),
  replyRounds: Math.round(envNumber('BENCH_REPLY_ROUNDS', 2, 1)),
  replyConversations: Math.round(envNumber('BENCH_REPLY_CONVERSATIONS', 200, 1)),
  replyDrainS: envNumber('BENCH_REPLY_DRAIN_S', 60, 1),
  emailS: envNumber('BENCH_EMAIL_S', 10, 1),
  emailSenders: Math.round(envNumber('BENCH_EMAIL_SENDERS', 10, 1)),
  emailRounds: Math.round(envNumber('BENCH_EMAIL_ROUNDS', 2, 1)),
  webhook: {
    durationS: envNumber('BENCH_WEBHOOK_S', 10, 1),
    rounds: Math.round(envNumber('BENCH_WEBHOOK_ROUNDS', 2, 1)),
    endpoints: Math.round(envNumber('BENCH_WEBHOOK_ENDPOINTS', 5, 1)),
    conversations: Math.round(envNumber('BENCH_WEBHOOK_CONVERSATIONS', 200, 1)),
    backlogEvents: Math.round(envNumber('BENCH_WEBHOOK_BACKLOG', 200, 1)),
    producers: Math.round(envNumber('BENCH_WEBHOOK_PRODUCERS', 16, 1)),
    latencyRate: envNumber('BENCH_WEBHOOK_RATE', 100, 1),
    latencyS: envNumber('BENCH_WEBHOOK_LATENCY_S', 10, 1),
  },
  sseClients: Math.round(envNumber('BENCH_SSE_CLIENTS', 1000, 1)),
  sseRate: envNumber('BENCH_SSE_RATE', 100, 1),
  sseS: envNumber('BENCH_SSE_S', 10, 1),
  widget: {
    sockets: Math.round(envNumber('BENCH_WIDGET_SOCKETS', 10_000, 1)),
    clientProcesses: Math.round(envNumber('BENCH_WIDGET_CLIENT_PROCESSES', 4, 1)),
    holdS: envNumber('BENCH_WIDGET_HOLD_S', 10, 0),
    rate: envNumber('BENCH_WIDGET_RATE', 100, 1),
    roundTripS: envNumber('BENCH_WIDGET_RT_S', 10, 1),
    visitors: Math.round(envNumber('BENCH_WIDGET_RT_VISITORS', 50, 1)),
  },
  only: new Set((process.env.BENCH_ONLY ?? 'throughput,latency,reply,email,webhooks,sse,cold,widget-size,widget-sockets,widget-roundtrip').split(',').map((s) => s.trim())),
  strict: ['1', 'true', 'yes'].includes(process.env.BENCH_STRICT ?? ''),
};

interface EngineResults {
  engine: Engine;
  database: string;
  throughput?: Outcome<ThroughputFigure>;
  eventLatency?: Outcome<LatencyRun>;
  replyThroughput?: Outcome<ReplyThroughputFigure>;
  emailThroughput?: Outcome<EmailThroughputFigure>;
  webhooks?: Outcome<WebhookFigure>;
}

interface Results {
  startedAt: string;
  finishedAt?: string;
  elapsedS?: number;
  machine: { node: string; platform: string; cpus: number; cpuModel: string };
  redis: string;
  options: Omit<typeof options, 'only'> & { only: string[] };
  targets: typeof TARGETS;
  postgres: { measured: boolean; reason?: string };
  engines: EngineResults[];
  redisPubSubLatency?: Outcome<LatencyRun>;
  sseFanout?: Outcome<SseFanoutFigure>;
  coldStart?: Outcome<ColdStartFigure>;
  widget: WidgetResults;
  table: Row[];
  targetsMissed: string[];
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function attempt<T>(what: string, work: () => Promise<T>): Promise<Outcome<T>> {
  return attemptPart(what, work, log);
}

function throughputRows(engine: Engine, outcome: Outcome<ThroughputFigure>): Row[] {
  const label = (what: string) => `ingest ${what} (${engine})`;
  if (!outcome.ok) return [failedRow(label('throughput'), outcome.error)];
  const { hub, baseline } = outcome.value;
  const hubFailed = hub.non2xx + hub.errors;
  const baseFailed = baseline.non2xx + baseline.errors;
  return [
    {
      key: `ingest req/s (${engine})` satisfies BeforeKey,
      figure: label('req/s'),
      switchboard: fmt(hub.requestsPerSecond),
      baseline: fmt(baseline.requestsPerSecond),
      ratio: ratio(hub.requestsPerSecond, baseline.requestsPerSecond),
      target: `≥ ${TARGETS.throughputRatio}× baseline`,
      met: hub.requestsPerSecond / baseline.requestsPerSecond >= TARGETS.throughputRatio,
    },
    {
      figure: label('server busy µs/req'),
      switchboard: fmt(hub.busyMicrosPerRequest),
      baseline: fmt(baseline.busyMicrosPerRequest),
      ratio: ratio(hub.busyMicrosPerRequest, baseline.busyMicrosPerRequest, 1),
      target: '',
      met: null,
    },
    { figure: label('p50 ms'), switchboard: fmt(hub.latencyMs.p50, 1), baseline: fmt(baseline.latencyMs.p50, 1), ratio: ratio(hub.latencyMs.p50, baseline.latencyMs.p50), target: '', met: null },
    { figure: label('p99 ms'), switchboard: fmt(hub.latencyMs.p99, 1), baseline: fmt(baseline.latencyMs.p99, 1), ratio: ratio(hub.latencyMs.p99, baseline.latencyMs.p99), target: '', met: null },
    { figure: label('errors + non-2xx'), switchboard: fmt(hubFailed), baseline: fmt(baseFailed), ratio: '', target: '0', met: hubFailed === 0 && baseFailed === 0 },
    {
      figure: label('2xx but not stored'),
      switchboard: `${fmt(hub.acknowledgedNotStored)} of ${fmt(hub.ok2xx)}`,
      baseline: `${fmt(baseline.acknowledgedNotStored)} of ${fmt(baseline.ok2xx)}`,
      ratio: '',
      target: '0',
      met: hub.acknowledgedNotStored === 0 && baseline.acknowledgedNotStored === 0,
    },
  ];
}

function latencyRows(engine: Engine, outcome: Outcome<LatencyRun>, pubsub: Outcome<LatencyRun> | undefined): Row[] {
  const label = (what: string) => `event latency ${what} (${engine}, ${options.latencyRate}/s)`;
  if (!outcome.ok) return [failedRow(label(''), outcome.error)];
  const hub = outcome.value;
  const base = pubsub?.ok ? pubsub.value : undefined;
  return [
    { figure: label('p50 ms'), switchboard: fmt(hub.latencyMs.p50, 1), baseline: base ? fmt(base.latencyMs.p50, 2) : 'n/a', ratio: base ? ratio(hub.latencyMs.p50, base.latencyMs.p50, 0) : '', target: '', met: null },
    {
      key: `event latency p99 (${engine})` satisfies BeforeKey,
      figure: label('p99 ms'),
      switchboard: fmt(hub.latencyMs.p99, 1),
      baseline: base ? fmt(base.latencyMs.p99, 2) : 'n/a',
      ratio: base ? ratio(hub.latencyMs.p99, base.latencyMs.p99, 0) : '',
      target: `≤ ${TARGETS.eventP99Ms} ms`,
      met: hub.latencyMs.p99 <= TARGETS.eventP99Ms,
    },
    {
      figure: label('delivered'),
      switchboard: `${fmt(hub.received)} / ${fmt(hub.sent)}`,
      baseline: base ? `${fmt(base.received)} / ${fmt(base.sent)}` : 'n/a',
      ratio: '',
      target: 'all',
      met: hub.received === hub.sent && hub.failedRequests === 0 && (!base || base.received === base.sent),
    },
  ];
}

function replyRows(engine: Engine, outcome: Outcome<ReplyThroughputFigure>): Row[] {
  const label = (what: string) => `reply ${what} (${engine})`;
  if (!outcome.ok) return [failedRow(label('throughput'), outcome.error)];
  const { hub, baseline, signatures } = outcome.value;
  const failed = (run: ReplyThroughputFigure['hub']) => run.posts.non2xx + run.posts.errors;
  const complete = (run: ReplyThroughputFigure['hub']) => run.drained && run.acknowledgedNotDelivered === 0 && run.duplicates === 0;
  return [
    {
      key: `reply delivered/s (${engine})` satisfies BeforeKey,
      figure: label('delivered/s'),
      switchboard: fmt(hub.deliveredPerSecond),
      baseline: fmt(baseline.deliveredPerSecond),
      ratio: ratio(hub.deliveredPerSecond, baseline.deliveredPerSecond),
      target: `≥ ${TARGETS.replyRatio}× baseline`,
      met: hub.deliveredPerSecond / baseline.deliveredPerSecond >= TARGETS.replyRatio,
    },
    { figure: label('accepted POSTs/s'), switchboard: fmt(hub.acceptedPerSecond), baseline: fmt(baseline.acceptedPerSecond), ratio: ratio(hub.acceptedPerSecond, baseline.acceptedPerSecond), target: '', met: null },
    {
      figure: label('delivered/s incl. drain'),
      switchboard: fmt(hub.sustainedPerSecond),
      baseline: fmt(baseline.sustainedPerSecond),
      ratio: ratio(hub.sustainedPerSecond, baseline.sustainedPerSecond),
      target: '',
      met: null,
    },
    {
      figure: label('busy µs/reply'),
      switchboard: fmt(hub.busyMicrosPerReply),
      baseline: fmt(baseline.busyMicrosPerReply),
      ratio: ratio(hub.busyMicrosPerReply, baseline.busyMicrosPerReply, 1),
      target: '',
      met: null,
    },
    { figure: label('POST p99 ms'), switchboard: fmt(hub.posts.latencyMs.p99, 1), baseline: fmt(baseline.posts.latencyMs.p99, 1), ratio: ratio(hub.posts.latencyMs.p99, baseline.posts.latencyMs.p99), target: '', met: null },
    {
      figure: label('delivered / posted'),
      switchboard: `${fmt(hub.delivered)} / ${fmt(hub.accepted)}`,
      baseline: `${fmt(baseline.delivered)} / ${fmt(baseline.accepted)}`,
      ratio: '',
      target: 'all, once, drained',
      met: complete(hub) && complete(baseline) && failed(hub) === 0 && failed(baseline) === 0 && signatures.failures.length === 0,
    },
  ];
}

function emailRows(engine: Engine, outcome: Outcome<EmailThroughputFigure>): Row[] {
  const label = (what: string) => `email inbound ${what} (${engine}, ${options.emailSenders} senders)`;
  if (!outcome.ok) return [failedRow(label('mails/s'), outcome.error)];
  const { hub, baseline } = outcome.value;
  return [
    {
      key: `email inbound mails/s (${engine})` satisfies BeforeKey,
      figure: label('mails/s'),
      switchboard: fmt(hub.mailsPerSecond),
      baseline: fmt(baseline.mailsPerSecond),
      ratio: ratio(hub.mailsPerSecond, baseline.mailsPerSecond),
      target: `≥ ${TARGETS.emailRatio}× baseline`,
      met: hub.mailsPerSecond / baseline.mailsPerSecond >= TARGETS.emailRatio,
    },
    { figure: label('busy µs/mail'), switchboard: fmt(hub.busyMicrosPerMail), baseline: fmt(baseline.busyMicrosPerMail), ratio: ratio(hub.busyMicrosPerMail, baseline.busyMicrosPerMail, 1), target: '', met: null },
    { figure: label('p50 ms'), switchboard: fmt(hub.latencyMs.p50, 1), baseline: fmt(baseline.latencyMs.p50, 1), ratio: ratio(hub.latencyMs.p50, baseline.latencyMs.p50), target: '', met: null },
    { figure: label('p99 ms'), switchboard: fmt(hub.latencyMs.p99, 1), baseline: fmt(baseline.latencyMs.p99, 1), ratio: ratio(hub.latencyMs.p99, baseline.latencyMs.p99), target: '', met: null },
    {
      figure: label('refused + errors'),
      switchboard: fmt(hub.refused + hub.errors),
      baseline: fmt(baseline.refused + baseline.errors),
      ratio: '',
      target: '0',
      met: hub.refused + hub.errors === 0 && baseline.refused + baseline.errors === 0,
    },
    {
      figure: label('250 but not stored'),
      switchboard: `${fmt(hub.acknowledgedNotStored)} of ${fmt(hub.accepted)}`,
      baseline: `${fmt(baseline.acknowledgedNotStored)} of ${fmt(baseline.accepted)}`,
      ratio: '',
      target: '0',
      met: hub.acknowledgedNotStored === 0 && baseline.acknowledgedNotStored === 0,
    },
  ];
}

function webhookRows(engine: Engine, outcome: Outcome<WebhookFigure>): Row[] {
  const label = (what: string) => `webhooks ${what} (${engine}, ${options.webhook.endpoints} endpoints)`;
  if (!outcome.ok) return [failedRow(label('delivered/s'), outcome.error)];
  const { hub, baseline, latency } = outcome.value;
  const metricP99 = latency.metricP99Ms;
  const complete = (run: WebhookFigure['hub']) => run.drained && run.missing === 0 && run.duplicates === 0;
  const rate = `${options.webhook.latencyRate} events/s`;
  return [
    {
      figure: label('delivered/s'),
      switchboard: fmt(hub.deliveredPerSecond),
      baseline: fmt(baseline.deliveredPerSecond),
      ratio: ratio(hub.deliveredPerSecond, baseline.deliveredPerSecond),
      target: `≥ ${TARGETS.webhookRatio}× baseline`,
      met: hub.deliveredPerSecond / baseline.deliveredPerSecond >= TARGETS.webhookRatio,
    },
    { figure: label('events/s'), switchboard: fmt(hub.eventsPerSecond), baseline: fmt(baseline.eventsPerSecond), ratio: ratio(hub.eventsPerSecond, baseline.eventsPerSecond), target: '', met: null },
    {
      figure: label('busy µs/delivery'),
      switchboard: fmt(hub.busyMicrosPerDelivery),
      baseline: fmt(baseline.busyMicrosPerDelivery),
      ratio: ratio(hub.busyMicrosPerDelivery, baseline.busyMicrosPerDelivery, 1),
      target: '',
      met: null,
    },
    {
      figure: label('missing + duplicates'),
      switchboard: `${fmt(hub.missing)} + ${fmt(hub.duplicates)} of ${fmt(hub.events * options.webhook.endpoints)}`,
      baseline: `${fmt(baseline.missing)} + ${fmt(baseline.duplicates)} of ${fmt(baseline.events * options.webhook.endpoints)}`,
      ratio: '',
      target: 'all, once, drained',
      met: complete(hub) && complete(baseline),
    },
    { figure: label(`first attempt p50 ms (${rate})`), switchboard: fmt(latency.hub.latencyMs.p50, 1), baseline: fmt(latency.baseline.latencyMs.p50, 1), ratio: ratio(latency.hub.latencyMs.p50, latency.baseline.latencyMs.p50, 1), target: '', met: null },
    {
      figure: label(`first attempt p99 ms (${rate})`),
      switchboard: fmt(latency.hub.latencyMs.p99, 1),
      baseline: fmt(latency.baseline.latencyMs.p99, 1),
      ratio: ratio(latency.hub.latencyMs.p99, latency.baseline.latencyMs.p99, 1),
      target: `≤ ${TARGETS.webhookFirstAttemptP99Ms} ms`,
      met: latency.hub.latencyMs.p99 <= TARGETS.webhookFirstAttemptP99Ms && latency.hub.received === latency.hub.sent,
    },
    {
      figure: label('first attempt p99, metric'),
      switchboard: metricP99 === null ? 'n/a' : `≤ ${fmt(metricP99)} ms`,
      baseline: '',
      ratio: '',
      target: 'printed (histogram bucket)',
      met: null,
    },
  ];
}

function sseRows(outcome: Outcome<SseFanoutFigure>): Row[] {
  const label = (what: string) => `SSE ${options.sseClients} clients ${what}`;
  if (!outcome.ok) return [failedRow(label('fan-out'), outcome.error)];
  const { hub, baseline } = outcome.value;
  const rate = `${options.sseRate}/s`;
  return [
    {
      figure: label('RSS kB/client'),
      switchboard: fmt(hub.rssPerClientKb, 1),
      baseline: fmt(baseline.rssPerClientKb, 1),
      ratio: ratio(hub.rssPerClientKb, baseline.rssPerClientKb, 1),
      target: 'printed',
      met: null,
    },
    { figure: label('heap kB/client'), switchboard: fmt(hub.heapPerClientKb, 1), baseline: fmt(baseline.heapPerClientKb, 1), ratio: ratio(hub.heapPerClientKb, baseline.heapPerClientKb, 1), target: '', met: null },
    { figure: label(`fan-out p50 ms (${rate})`), switchboard: fmt(hub.latencyMs.p50, 1), baseline: fmt(baseline.latencyMs.p50, 1), ratio: ratio(hub.latencyMs.p50, baseline.latencyMs.p50, 1), target: '', met: null },
    {
      figure: label(`fan-out p99 ms (${rate})`),
      switchboard: fmt(hub.latencyMs.p99, 1),
      baseline: fmt(baseline.latencyMs.p99, 1),
      ratio: ratio(hub.latencyMs.p99, baseline.latencyMs.p99, 1),
      target: `≤ ${TARGETS.sseFanoutP99Ms} ms`,
      met: hub.latencyMs.p99 <= TARGETS.sseFanoutP99Ms,
    },
    { figure: label('server CPU % of a core'), switchboard: fmt(hub.serverCpu * 100), baseline: fmt(baseline.serverCpu * 100), ratio: ratio(hub.serverCpu, baseline.serverCpu, 1), target: '', met: null },
    {
      figure: label('receipts'),
      switchboard: `${fmt(hub.receipts)} / ${fmt(hub.expected)}`,
      baseline: `${fmt(baseline.receipts)} / ${fmt(baseline.expected)}`,
      ratio: '',
      target: 'all, once',
      met:
        [hub, baseline].every((side) => side.opened === side.clients && side.failedSends === 0 && side.receipts === side.expected && side.duplicates === 0 && side.endedEarly === 0),
    },
  ];
}

function coldStartRows(outcome: Outcome<ColdStartFigure>): Row[] {
  const figure = `cold start to /readyz ms (median of ${options.coldRuns})`;
  if (!outcome.ok) return [failedRow(figure, outcome.error)];
  const cold = outcome.value;
  return [{ figure, switchboard: fmt(cold.hubMedianMs), baseline: fmt(cold.baselineMedianMs), ratio: ratio(cold.hubMedianMs, cold.baselineMedianMs, 1), target: `≤ ${TARGETS.coldStartMs} ms`, met: cold.hubMedianMs <= TARGETS.coldStartMs }];
}

async function main(): Promise<void> {
  const started = nowMs();
  const redis = await benchRedis();
  const postgres = benchPostgres();
  const engines: { engine: Engine; postgresUrl?: string; database: string }[] = [{ engine: 'sqlite', database: 'SQLite file in a temp DATA_DIR' }];
  if ('url' in postgres) engines.push({ engine: 'postgres', postgresUrl: postgres.url, database: `${describePostgres(postgres.url)}, own schema per run` });

  const results: Results = {
    startedAt: new Date().toISOString(),
    machine: { node: process.version, platform: `${process.platform}/${process.arch}`, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown' },
    redis: redis.describe,
    options: { ...options, only: [...options.only] },
    targets: TARGETS,
    postgres: 'url' in postgres ? { measured: true } : { measured: false, reason: postgres.skipped },
    engines: [],
    widget: {},
    table: [],
    targetsMissed: [],
  };

  log(`Switchboard bench: node ${process.version}, ${results.machine.cpus} CPUs, ${redis.describe}`);
  log(`throughput ${options.durationS} s × ${options.connections} connections in ${options.rounds} alternating rounds (warm-up ${options.warmupS} s, ${options.contacts} customers); event latency ${options.latencyRate}/s for ${options.latencyS} s; cold start × ${options.coldRuns}`);
  log(`replies ${options.replyS} s per side × ${options.connections} connections in ${options.replyRounds} turns over ${options.replyConversations} conversations (drain ≤ ${options.replyDrainS} s); SSE ${options.sseClients} clients at ${options.sseRate} events/s for ${options.sseS} s`);
  log(`webhooks: ${options.webhook.durationS} s per side in ${options.webhook.rounds} turns to ${options.webhook.endpoints} receivers (≤ ${options.webhook.backlogEvents} events in flight, ${options.webhook.producers} producers, ${options.webhook.conversations} conversations); first attempt at ${options.webhook.latencyRate} events/s for ${options.webhook.latencyS} s`);
  log(`email: ${options.emailS} s per side × ${options.emailSenders} SMTP senders of ~4 KB mails in ${options.emailRounds} alternating rounds from ${options.contacts} customers`);
  log(`widget: ${options.widget.sockets} idle sockets from ${options.widget.clientProcesses} processes; round trips at ${options.widget.rate}/s for ${options.widget.roundTripS} s each way over ${options.widget.visitors} visitors`);
  if (!('url' in postgres)) log(`PostgreSQL not measured: ${postgres.skipped}.`);

  try {
    for (const { engine, postgresUrl, database } of engines) {
      if (!['throughput', 'latency', 'reply', 'email', 'webhooks'].some((part) => options.only.has(part))) break;
      log(`\n[${engine}] ${database}`);
      const entry: EngineResults = { engine, database };
      results.engines.push(entry);
      if (options.only.has('reply')) {
        log(`  reply throughput (own hub, API channel delivering to a local receiver): baseline and hub in turns ...`);
        entry.replyThroughput = await attempt('reply throughput', () =>
          measureReplyThroughput({
            engine,
            redisUrl: redis.url,
            postgresUrl,
            connections: options.connections,
            durationS: options.replyS,
            rounds: options.replyRounds,
            warmupS: options.warmupS,
            conversations: options.replyConversations,
            drainTimeoutMs: options.replyDrainS * 1000,
            log,
          }),
        );
      }
      if (options.only.has('email')) {
        log(`  inbound email (own hub, SMTP listener): baseline and hub in turns ...`);
        entry.emailThroughput = await attempt('email throughput', async () => {
          const emailHub = await startEmailBenchHub(engine, redis.url, postgresUrl);
          try {
            return await measureEmailThroughput(emailHub.benchHub, {
              senders: options.emailSenders,
              durationS: options.emailS,
              rounds: options.emailRounds,
              warmupS: options.warmupS,
              contacts: options.contacts,
              postgresUrl,
              log,
            });
          } finally {
            await emailHub.stop().catch((error: unknown) => log(`  stopping the email hub failed: ${String(error)}`));
          }
        });
      }
      if (options.only.has('webhooks')) {
        log(`  outgoing webhooks (own hub, ${options.webhook.endpoints} local receivers): baseline and hub in turns ...`);
        entry.webhooks = await attempt('webhook throughput', () =>
          measureWebhookThroughput({
            engine,
            redisUrl: redis.url,
            postgresUrl,
            ...options.webhook,
            warmupS: options.warmupS,
            drainTimeoutMs: options.replyDrainS * 1000,
            log,
          }),
        );
      }
      if (!options.only.has('throughput') && !options.only.has('latency')) continue;
      let benchHub;
      try {
        benchHub = await startBenchHub(engine, redis.url, postgresUrl);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        log(`  the hub did not start: ${message}`);
        entry.throughput = { ok: false, error: `hub did not start: ${message}` };
        continue;
      }
      const hub = benchHub;
      try {
        if (options.only.has('throughput')) {
          log(`  ingest throughput: baseline, then hub ...`);
          entry.throughput = await attempt('ingest throughput', () =>
            measureIngestThroughput(hub, redis.url, { connections: options.connections, durationS: options.durationS, rounds: options.rounds, warmupS: options.warmupS, contacts: options.contacts, postgresUrl, log }),
          );
        }
        if (options.only.has('latency')) {
          const latencyOptions = { rate: options.latencyRate, durationS: options.latencyS, contacts: options.contacts, graceMs: 5000 };
          log(`  event latency at ${options.latencyRate}/s ...`);
          entry.eventLatency = await attempt('event latency', () => measureHubEventLatency(hub, latencyOptions));
          if (entry.eventLatency.ok) log(`  hub:      p50 ${entry.eventLatency.value.latencyMs.p50} ms, p99 ${entry.eventLatency.value.latencyMs.p99} ms, ${entry.eventLatency.value.received}/${entry.eventLatency.value.sent} delivered`);
          if (!results.redisPubSubLatency) {
            results.redisPubSubLatency = await attempt('Redis pub/sub latency', () => measureRedisPubSubLatency(redis.url, `${uniqueId('pubsub')}:events`, latencyOptions));
            if (results.redisPubSubLatency.ok) log(`  baseline: p50 ${results.redisPubSubLatency.value.latencyMs.p50} ms, p99 ${results.redisPubSubLatency.value.latencyMs.p99} ms (raw PUBLISH → SUBSCRIBE)`);
          }
        }
      } finally {
        await hub.stop().catch((error: unknown) => log(`  stopping the hub failed: ${String(error)}`));
      }
    }

    if (options.only.has('sse')) {
      log(`\nSSE fan-out: ${options.sseClients} streams on node dist/main.js (SQLite), then ${options.sseRate} events/s for ${options.sseS} s; baseline: bare node:http SSE process fed by Redis pub/sub ...`);
      results.sseFanout = await attempt('SSE fan-out', () =>
        measureSseFanout({ redisUrl: redis.url, clients: options.sseClients, rate: options.sseRate, durationS: options.sseS, contacts: 100, graceMs: 5000, log }),
      );
    }

    results.widget = await measureWidget(options.only, options.widget, redis.url, log);

    if (options.only.has('cold')) {
      log(`\ncold start: node dist/main.js vs a bare node http server, ${options.coldRuns} runs each ...`);
      results.coldStart = await attempt('cold start', () => measureColdStart({ runs: options.coldRuns, redisUrl: redis.url, timeoutMs: 30_000 }));
      if (results.coldStart.ok) log(`  hub ${results.coldStart.value.hubMs.join(', ')} ms; bare ${results.coldStart.value.baselineMs.join(', ')} ms`);
    }
  } finally {
    // Each part cleans up after itself; this sweep catches what an interrupted part left behind.
    const leftovers = await deleteRedisMatching(redis.url, `${RUN_TAG}_*`).catch(() => 0);
    if (leftovers > 0) log(`removed ${leftovers} leftover Redis keys under ${RUN_TAG}_*`);
    if ('url' in postgres) {
      const schemas = await dropPostgresSchemasStartingWith(postgres.url, `${RUN_TAG}_`).catch(() => 0);
      if (schemas > 0) log(`dropped ${schemas} leftover PostgreSQL schemas`);
    }
    await redis.stop();
  }

  const rows: Row[] = [];
  for (const entry of results.engines) {
    if (entry.throughput) rows.push(...throughputRows(entry.engine, entry.throughput));
  }
  if (options.only.has('throughput') && !('url' in postgres)) {
    rows.push({ figure: 'ingest req/s (postgres)', switchboard: 'not measured', baseline: '', ratio: '', target: 'set BENCH_DATABASE_URL or TEST_DATABASE_URL', met: null });
  }
  for (const entry of results.engines) {
    if (entry.eventLatency) rows.push(...latencyRows(entry.engine, entry.eventLatency, results.redisPubSubLatency));
  }
  for (const entry of results.engines) {
    if (entry.replyThroughput) rows.push(...replyRows(entry.engine, entry.replyThroughput));
  }
  if (options.only.has('reply') && !('url' in postgres)) {
    rows.push({ figure: 'reply delivered/s (postgres)', switchboard: 'not measured', baseline: '', ratio: '', target: 'set BENCH_DATABASE_URL or TEST_DATABASE_URL', met: null });
  }
  for (const entry of results.engines) {
    if (entry.emailThroughput) rows.push(...emailRows(entry.engine, entry.emailThroughput));
  }
  if (options.only.has('email') && !('url' in postgres)) {
    rows.push({ figure: 'email inbound mails/s (postgres)', switchboard: 'not measured', baseline: '', ratio: '', target: 'set BENCH_DATABASE_URL or TEST_DATABASE_URL', met: null });
  }
  for (const entry of results.engines) {
    if (entry.webhooks) rows.push(...webhookRows(entry.engine, entry.webhooks));
  }
  if (options.only.has('webhooks') && !('url' in postgres)) {
    rows.push({ figure: 'webhooks delivered/s (postgres)', switchboard: 'not measured', baseline: '', ratio: '', target: 'set BENCH_DATABASE_URL or TEST_DATABASE_URL', met: null });
  }
  if (results.sseFanout) rows.push(...sseRows(results.sseFanout));
  rows.push(...widgetRows(results.widget, options.widget, TARGETS));
  if (results.coldStart) rows.push(...coldStartRows(results.coldStart));

  results.table = withBefore(rows);
  results.targetsMissed = rows.filter((row) => row.met === false).map((row) => row.figure);
  results.finishedAt = new Date().toISOString();
  results.elapsedS = round((nowMs() - started) / 1000, 1);

  log(`\n${formatTable(results.table)}\n`);
  log('baseline: ingest = bare express handler, one INSERT + one BullMQ add; event latency = raw Redis PUBLISH → SUBSCRIBE; cold start = `node -e` bare http server.');
  log('reply baseline = bare express handler doing one BullMQ add + a BullMQ Worker doing one HTTP POST per job to the same kind of receiver; delivered/s counts receiver hits while the load ran.');
  log('email baseline = bare smtp-server whose DATA handler parses the mail with mailparser simpleParser and does one INSERT into the same messages table, then answers 250; senders = nodemailer SMTP connections on their own thread.');
  log('webhooks baseline = one raw BullMQ add per (event, endpoint) + a BullMQ Worker (WORKER_CONCURRENCY jobs at once) doing one keep-alive HTTP POST per job to the same receivers; hub events are committed straight through its outbox; delivered/s counts receiver hits while the load ran; first attempt = event timestamp → arrival at the receiver.');
  log('SSE baseline = bare node:http SSE server process fed by Redis pub/sub; memory = its VmRSS (heap after a full GC) with the clients open minus idle, per client; latency = event sent (POST / PUBLISH) → received, over every client.');
  log('widget baselines: size = the 15 KB gzipped budget; sockets = bare ws server process answering hello with ready (memory = VmRSS and heap after a full GC with the sockets held minus idle, per socket); round trip = ws → Redis PUBLISH → SUBSCRIBE → ws echo on the same Redis.');
  log('before = the figures of the issue that set the targets, measured on 2 cores before the hot-path work (bench/lib/before.ts).');
  log('server busy µs/req = time the main thread (where both servers run; autocannon has its own thread) was busy, per request.');
  log(results.targetsMissed.length === 0 ? 'All targets met.' : `Targets missed: ${results.targetsMissed.join('; ')}.`);

  const dir = join(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'latest.json');
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  log(`Results written to ${file} (${results.elapsedS} s).`);

  const crashed =
    results.engines.some((e) => e.throughput?.ok === false || e.eventLatency?.ok === false || e.replyThroughput?.ok === false || e.emailThroughput?.ok === false || e.webhooks?.ok === false) ||
    results.coldStart?.ok === false ||
    results.redisPubSubLatency?.ok === false ||
    results.sseFanout?.ok === false ||
    widgetCrashed(results.widget);
  process.exitCode = crashed || (options.strict && results.targetsMissed.length > 0) ? 1 : 0;
}

main().then(
  // Open handles (BullMQ, pools) are all closed, but do not let a stray timer keep the bench alive.
  () => setTimeout(() => process.exit(), 200).unref(),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BatchReport } from '../core/group-commit';
import type { OutboxStats } from '../core/outbox';

export type JobCounts = Record<string, Record<'waiting' | 'active' | 'failed' | 'delayed', number>>;

export interface MetricSources {
  outboxStats?: () => Promise<OutboxStats>;
  jobCounts?: () => Promise<JobCounts>;
}

/** The hub's Prometheus metrics, on a registry of its own (so tests can build several hubs). */
export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly messagesIngested: Counter<'channel'>;
  private readonly batchSize: Histogram;
  private readonly batchWait: Histogram;
  private readonly retriedAlone: Counter;
  /** Outgoing webhook deliveries that ended, by how: succeeded, failed (for good), or disabled (the endpoint was). */
  readonly webhookDeliveries: Counter<'outcome'>;
  /** One POST to a webhook endpoint, by what came of it (2xx, retry, failed). */
  readonly webhookAttemptLatency: Histogram<'outcome'>;
  /** From the event's commit to its delivery's first attempt. */
  readonly webhookFirstAttemptDelay: Histogram;
  private sources: MetricSources = {};

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'switchboard_' });
    this.httpDuration = new Histogram({
      name: 'switchboard_http_request_duration_seconds',
      help: 'HTTP request duration by route template',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.messagesIngested = new Counter({
      name: 'switchboard_messages_ingested_total',
      help: 'Customer messages stored, by channel (duplicates not counted)',
      labelNames: ['channel'],
      registers: [this.registry],
    });
    this.batchSize = new Histogram({
      name: 'switchboard_db_group_commit_batch_size',
      help: 'Units of work (ingests, replies, receipts, ...) per group-commit transaction',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers: [this.registry],
    });
    this.batchWait = new Histogram({
      name: 'switchboard_db_group_commit_wait_seconds',
      help: 'How long the first unit of a group-commit batch waited for the batch to start',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers: [this.registry],
    });
    this.retriedAlone = new Counter({
      name: 'switchboard_db_group_commit_retried_alone_total',
      help: 'Units that failed inside a group-commit batch and ran again in a transaction of their own',
      registers: [this.registry],
    });
    this.webhookDeliveries = new Counter({
      name: 'switchboard_webhook_deliveries_total',
      help: 'Outgoing webhook deliveries that ended, by outcome (succeeded, failed, endpoint_disabled)',
      labelNames: ['outcome'],
      registers: [this.registry],
    });
    this.webhookAttemptLatency = new Histogram({
      name: 'switchboard_webhook_attempt_duration_seconds',
      help: "One outgoing webhook POST, until the receiver's answer or the error, by outcome (succeeded, retry, failed)",
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
      registers: [this.registry],
    });
    this.webhookFirstAttemptDelay = new Histogram({
      name: 'switchboard_webhook_first_attempt_delay_seconds',
      help: "From an event's commit to the first attempt of its webhook delivery",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60],
      registers: [this.registry],
    });
    const sources = () => this.sources;
    new Gauge({
      name: 'switchboard_jobs',
      help: 'Jobs by queue and state',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        const counts = await sources().jobCounts?.().catch(() => undefined);
        this.reset();
        for (const [queue, states] of Object.entries(counts ?? {})) {
          for (const [state, count] of Object.entries(states)) this.set({ queue, state }, count);
        }
      },
    });
    new Gauge({
      name: 'switchboard_outbox_waiting',
      help: 'Outbox rows committed but not yet published to Redis',
      registers: [this.registry],
      async collect() {
        const stats = await sources().outboxStats?.().catch(() => undefined);
        if (stats) this.set(stats.waiting);
      },
    });
    new Gauge({
      name: 'switchboard_outbox_oldest_age_seconds',
      help: 'Age of the oldest unpublished outbox row (0 when none)',
      registers: [this.registry],
      async collect() {
        const stats = await sources().outboxStats?.().catch(() => undefined);
        if (stats) this.set(stats.oldestAgeSeconds);
      },
    });
  }

  /** Records one group-commit batch. */
  groupCommitBatch(report: BatchReport): void {
    this.batchSize.observe(report.size);
    this.batchWait.observe(report.waitedMs / 1000);
    if (report.retriedAlone > 0) this.retriedAlone.inc(report.retriedAlone);
  }

  /** Where the gauges read their values; set once the database and queues exist. */
  setSources(sources: MetricSources): void {
    this.sources = sources;
  }
}

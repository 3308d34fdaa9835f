import { Queue, UnrecoverableError, Worker, type Job, type Processor } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Database } from '../core/database';
import type { EventBus } from '../core/events';
import type { DeliveryService } from '../core/messages/delivery';
import type { ChannelJobs } from '../core/ports/channel-jobs';
import type { EventSubscriber } from '../core/ports/event-subscriber';
import type { ConversationMirror } from '../core/ports/mirror';
import { DELIVERY_QUEUE, EVENTS_QUEUE, TIMERS_QUEUE, type EventsJob, type Outbox } from '../core/outbox';
import { attemptOf } from './attempt';
import { runJob } from './errors';
import { OutboxRelay } from './outbox-relay';
import { deliverMessageProcessor } from './processors/deliver-message';
import { DEFAULT_JOB_OPTIONS, type BullJobPublisher } from './job-publisher';
import { eventsPublisher, publishEventsProcessor, type MirrorFanOut } from './processors/publish-events';
import { MIRROR_QUEUE, syncMirrorProcessor, type MirrorJob } from './processors/sync-mirror';
import { wakeConversationProcessor } from './processors/wake-conversation';
import { notifySubscriberProcessor, SUBSCRIBERS_QUEUE, type SubscriberFanOut, type SubscriberJob } from './processors/notify-subscribers';

export interface WorkerOptions {
  connection: Redis;
  prefix: string;
  concurrency: number;
  /** The delivery queue's own concurrency: its jobs mostly wait on channels' APIs. */
  deliveryConcurrency: number;
  relayIntervalMs: number;
  db: Database;
  bus: EventBus;
  outbox: Outbox;
  /** The outbox's publisher: this process hands its own commits' events to the bus (see processHere). */
  publisher: BullJobPublisher;
  delivery: DeliveryService;
  /** Where agents see conversations besides the API (Slack): kept in step after every event. */
  mirrors: readonly ConversationMirror[];
  /** Channels' own queues (Slack's events, clicks and commands). */
  channelJobs: readonly ChannelJobs[];
  /** Channels that follow the domain events (a CRM's webhooks). */
  subscribers: readonly EventSubscriber[];
  logger: Logger;
}

export interface RunningWorkers {
  workers: Worker[];
  relay: OutboxRelay;
  /** Stops taking jobs and waits for running ones, at most `timeoutMs`, then stops the rest. */
  close(timeoutMs: number): Promise<void>;
}

/**
 * A job whose worker died (crash, SIGKILL, lost machine) stays "active" until its lock lapses and a stalled
 * check hands it to another worker. BullMQ's defaults (30 s lock, 30 s checks) leave it stranded for up to a
 * minute; these bring that under ~15 s. A worker that was only slow may see its job run again elsewhere,
 * which is harmless because processors are idempotent; a job is failed as "stalled" only after repeated crashes.
 */
const LOCK_DURATION_MS = 10_000;
const STALLED_INTERVAL_MS = 5_000;
const MAX_STALLED_COUNT = 3;

/** The processors of each queue. Adding a queue means adding a line here. */
function processors(options: WorkerOptions, publishEvents: ReturnType<typeof eventsPublisher>, mirrors: MirrorFanOut | undefined, subscribers: SubscriberFanOut | undefined): Record<string, Processor> {
  return {
    [EVENTS_QUEUE]: publishEventsProcessor(publishEvents),
    [DELIVERY_QUEUE]: deliverMessageProcessor(options.delivery),
    [TIMERS_QUEUE]: wakeConversationProcessor(options),
    ...(mirrors ? { [MIRROR_QUEUE]: syncMirrorProcessor(options.mirrors, options.connection, options.prefix) } : {}),
    ...(subscribers ? { [SUBSCRIBERS_QUEUE]: notifySubscriberProcessor(options.subscribers) } : {}),
    ...Object.fromEntries(options.channelJobs.map((jobs): [string, Processor] => [jobs.queue, (job: Job) => jobs.process(job.name, job.data, attemptOf(job))])),
  };
}

/** Mirror syncs and subscribers' jobs are retried for about an hour (a service down, rate limits), then failed. */
const FAN_OUT_ATTEMPTS = 12;

/** A queue of fan-out jobs that the events processor adds to, or none when nobody would take them. */
function fanOutQueue<T>(name: string, needed: boolean, options: WorkerOptions): Queue<T> | undefined {
  if (!needed) return undefined;
  const queue = new Queue<T>(name, { connection: options.connection, prefix: options.prefix, defaultJobOptions: { ...DEFAULT_JOB_OPTIONS, attempts: FAN_OUT_ATTEMPTS } });
  queue.on('error', (error) => options.logger.warn({ err: error, queue: name }, 'fan-out queue connection error'));
  return queue;
}

export function startWorkers(options: WorkerOptions): RunningWorkers {
  const { logger } = options;
  const mirrorQueue = fanOutQueue<MirrorJob>(MIRROR_QUEUE, options.mirrors.length > 0, options);
  const mirrorFanOut = mirrorQueue ? { queue: mirrorQueue, targets: options.mirrors.map((mirror) => mirror.target) } : undefined;
  const subscriberQueue = fanOutQueue<SubscriberJob>(SUBSCRIBERS_QUEUE, options.subscribers.length > 0, options);
  const subscriberFanOut = subscriberQueue ? { queue: subscriberQueue, subscribers: options.subscribers } : undefined;
  const publishEvents = eventsPublisher(options.bus, mirrorFanOut, subscriberFanOut);
  // Events committed here skip the events queue (a job's add, fetch and completion); events of processes
  // without workers still come as jobs.
  options.publisher.processHere(EVENTS_QUEUE, async (rows) => {
    await publishEvents(rows.flatMap((row) => (row.payload as EventsJob).events));
  });
  const workers = Object.entries(processors(options, publishEvents, mirrorFanOut, subscriberFanOut)).map(([queue, processor]) => {
    const worker = new Worker(queue, (job: Job, token?: string) => runJob(job, token, () => Promise.resolve(processor(job, token))), {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: queue === DELIVERY_QUEUE ? options.deliveryConcurrency : options.concurrency,
      lockDuration: LOCK_DURATION_MS,
      stalledInterval: STALLED_INTERVAL_MS,
      maxStalledCount: MAX_STALLED_COUNT,
    });
    worker.on('failed', (job, error) => {
      const conversationId = (job?.data as { conversationId?: string } | undefined)?.conversationId;
      const final = !job || error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
      logger[final ? 'error' : 'warn']({ queue, jobId: job?.id, conversationId, attempt: job?.attemptsMade, err: error }, final ? 'job failed for good' : 'job failed; will retry');
    });
    worker.on('error', (error) => logger.warn({ queue, err: error }, 'worker connection error'));
    return worker;
  });
  const relay = new OutboxRelay(options.outbox, options.relayIntervalMs, logger.child({ component: 'outbox-relay' }));
  relay.start();

  return {
    workers,
    relay,
    async close(timeoutMs) {
      options.publisher.processHere(EVENTS_QUEUE, undefined);
      await relay.stop();
      const graceful = Promise.all(workers.map((worker) => worker.close()));
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
      if ((await Promise.race([graceful, deadline])) === 'timeout') {
        logger.warn({ timeoutMs }, 'jobs still running at shutdown; they will be retried by another worker');
        await Promise.all(workers.map((worker) => worker.close(true)));
      }
      clearTimeout(timer);
      // After the workers: events published during shutdown still hand their syncs over.
      await Promise.all([mirrorQueue?.close(), subscriberQueue?.close()]);
    },
  };
}

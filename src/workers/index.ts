import { Worker, type ConnectionOptions, type Job, type Processor } from 'bullmq';
import type { Logger } from 'pino';
import type { EventBus } from '../core/events';
import { EVENTS_QUEUE, type Outbox } from '../core/outbox';
import { runJob } from './errors';
import { OutboxRelay } from './outbox-relay';
import { publishEventProcessor } from './processors/publish-event';

export interface WorkerOptions {
  connection: ConnectionOptions;
  prefix: string;
  concurrency: number;
  relayIntervalMs: number;
  bus: EventBus;
  outbox: Outbox;
  logger: Logger;
}

export interface RunningWorkers {
  workers: Worker[];
  relay: OutboxRelay;
  /** Stops taking jobs and waits for running ones, at most `timeoutMs`, then stops the rest. */
  close(timeoutMs: number): Promise<void>;
}

/** The processors of each queue. Adding a queue means adding a line here. */
function processors(options: WorkerOptions): Record<string, Processor> {
  return { [EVENTS_QUEUE]: publishEventProcessor(options.bus) };
}

export function startWorkers(options: WorkerOptions): RunningWorkers {
  const { logger } = options;
  const workers = Object.entries(processors(options)).map(([queue, processor]) => {
    const worker = new Worker(queue, (job: Job, token?: string) => runJob(job, token, () => Promise.resolve(processor(job, token))), {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
    });
    worker.on('failed', (job, error) => {
      const conversationId = (job?.data as { conversationId?: string } | undefined)?.conversationId;
      const final = !job || job.attemptsMade >= (job.opts.attempts ?? 1);
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
      await relay.stop();
      const graceful = Promise.all(workers.map((worker) => worker.close()));
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
      if ((await Promise.race([graceful, deadline])) === 'timeout') {
        logger.warn({ timeoutMs }, 'jobs still running at shutdown; they will be retried by another worker');
        await Promise.all(workers.map((worker) => worker.close(true)));
      }
      clearTimeout(timer);
    },
  };
}

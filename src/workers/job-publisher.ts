import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { JobPublisher } from '../core/outbox';
import type { OutboxEvent } from '../core/model/types';
import { withTimeout } from '../infra/redis/connection';

/** Jobs stay after completion long enough that a re-published outbox row finds its job and adds nothing. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 24 * 3600, count: 50_000 },
  removeOnFail: { age: 14 * 24 * 3600 },
};

const PUBLISH_TIMEOUT_MS = 3000;

/** BullMQ job ids must not look like integers nor contain ':'. */
export function outboxJobId(outboxId: string): string {
  return `outbox-${outboxId}`;
}

/** Does a queue's work in the publishing process, for the rows of one publish together. */
export type LocalProcessor = (rows: readonly OutboxEvent[]) => Promise<void>;

/**
 * Puts outbox rows on BullMQ queues, one queue object per queue name; or, for a queue whose work this
 * process does itself right after commit (see `processHere`), does it.
 */
export class BullJobPublisher implements JobPublisher {
  private readonly queues = new Map<string, Queue>();
  private readonly local = new Map<string, LocalProcessor>();

  constructor(
    private readonly connection: ConnectionOptions,
    private readonly prefix: string,
    /** Options of particular queues, over the defaults (e.g. the delivery queue's attempts). */
    private readonly queueOptions: Readonly<Record<string, JobsOptions>> = {},
  ) {}

  queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix, defaultJobOptions: { ...DEFAULT_JOB_OPTIONS, ...this.queueOptions[name] } });
      queue.on('error', () => undefined);
      this.queues.set(name, queue);
    }
    return queue;
  }

  /**
   * From now on the rows of `queue` are processed here, in publish, instead of becoming jobs; undefined
   * makes them jobs again. When the processor fails, publish fails and the rows stay in the outbox for the
   * relay, whose publish tries again: the work is as durable as a job, without a job's round trips.
   */
  processHere(queue: string, processor: LocalProcessor | undefined): void {
    if (processor) this.local.set(queue, processor);
    else this.local.delete(queue);
  }

  async publish(rows: readonly OutboxEvent[]): Promise<void> {
    const byQueue = new Map<string, OutboxEvent[]>();
    for (const row of rows) byQueue.set(row.queue, [...(byQueue.get(row.queue) ?? []), row]);
    // Processed here first: the events of a commit reach the bus before the jobs that follow them run.
    for (const [name, queued] of byQueue) {
      const processor = this.local.get(name);
      if (!processor) continue;
      await withTimeout(processor(queued), PUBLISH_TIMEOUT_MS, 'Redis');
      byQueue.delete(name);
    }
    const adds = [...byQueue].map(([name, queued]) =>
      this.queue(name).addBulk(
        queued.map((row) => ({
          name: row.name,
          data: row.payload,
          opts: { jobId: outboxJobId(row.id), ...(row.runAt ? { delay: Math.max(0, row.runAt.getTime() - Date.now()) } : {}) },
        })),
      ),
    );
    await withTimeout(Promise.all(adds), PUBLISH_TIMEOUT_MS, 'Redis');
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
  }
}

import type { Logger } from 'pino';
import type { Outbox } from '../core/outbox';

/** Rows younger than this are still being published by the request that wrote them. */
const MIN_AGE_MS = 2000;
const BATCH_SIZE = 500;

/**
 * Publishes outbox rows that were committed but never reached Redis (Redis was down, or the process died
 * between commit and publish). Every worker process runs one; job ids make concurrent relays harmless.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failing = false;

  constructor(
    private readonly outbox: Outbox,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.drain().finally(() => (this.running = undefined));
    }, this.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Publishes until no row is older than the minimum age. */
  async drain(): Promise<void> {
    try {
      let published = 0;
      for (let batch = await this.outbox.relay(BATCH_SIZE, MIN_AGE_MS); batch > 0; batch = await this.outbox.relay(BATCH_SIZE, MIN_AGE_MS)) {
        published += batch;
      }
      if (published > 0) this.logger.info({ published }, 'outbox relay published waiting rows');
      if (this.failing) this.logger.info('outbox relay reaches Redis again');
      this.failing = false;
    } catch (error) {
      // One line per outage, not one per tick; the waiting rows show in /metrics meanwhile.
      if (!this.failing) this.logger.warn({ err: error }, 'outbox relay cannot publish; rows wait in the database');
      this.failing = true;
    }
  }
}

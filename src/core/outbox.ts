import { In, LessThanOrEqual, type EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import type { Database } from './database';
import type { DomainEvent } from './events';
import { GroupCommit, type BatchReport, type GroupCommitSettings } from './group-commit';
import { newId } from './ids';
import { repo } from './model/schemas';
import { inList, Sql, type Statement } from './sql';
import { retryOnUniqueViolation } from './unique';
import type { OutboxEvent } from './model/types';

/** Fans domain events out to the event bus. */
export const EVENTS_QUEUE = 'events';
/** Sends outbound messages on their conversation's channel. */
export const DELIVERY_QUEUE = 'delivery';
/** Work that waits for its time, such as waking a snoozed conversation. */
export const TIMERS_QUEUE = 'timers';
export const QUEUES = [EVENTS_QUEUE, DELIVERY_QUEUE, TIMERS_QUEUE] as const;

export interface DeliveryJob {
  messageId: string;
  conversationId: string;
}

export interface WakeJob {
  conversationId: string;
  /** The snooze this job ends; a later snooze or an earlier reopening makes it a no-op. */
  snoozedUntil: string;
}

/** The events of one transaction, published in order by one job. */
export interface EventsJob {
  events: DomainEvent[];
}

export function eventsOutboxRow(happened: DomainEvent[], now: Date): OutboxEvent {
  const payload: EventsJob = { events: happened };
  return { id: newId(), queue: EVENTS_QUEUE, name: 'publish', payload, conversationId: happened.find((event) => event.conversationId !== null)?.conversationId ?? null, runAt: null, createdAt: now };
}

export function deliveryOutboxRow(job: DeliveryJob, now: Date): OutboxEvent {
  return { id: newId(), queue: DELIVERY_QUEUE, name: 'deliver', payload: job, conversationId: job.conversationId, runAt: null, createdAt: now };
}

export function wakeOutboxRow(job: WakeJob, now: Date): OutboxEvent {
  return { id: newId(), queue: TIMERS_QUEUE, name: 'wake', payload: job, conversationId: job.conversationId, runAt: new Date(job.snoozedUntil), createdAt: now };
}

/**
 * Puts outbox rows on their queues. Job ids derive from the outbox id, so publishing a row twice adds
 * one job.
 */
export interface JobPublisher {
  publish(rows: readonly OutboxEvent[]): Promise<void>;
}

/** What a unit of work's code sees of it (see Outbox.runUnit). */
export interface Unit {
  /** The unit's transaction, for the reads and writes of its change. */
  readonly manager: EntityManager;
  /**
   * Outbox rows of the unit, written in its transaction (with the rows of the units it shares the
   * transaction with, just before the commit) and published after it commits. Bound: may be passed on.
   */
  readonly write: (rows: readonly OutboxEvent[]) => Promise<void>;
}

export interface UnitOptions {
  /**
   * What the unit changes, for group commit (a sender's address, a conversation id): units with the same
   * key are batched in one lane, never in two batches running side by side.
   */
  key?: string;
}

export interface OutboxStats {
  waiting: number;
  oldestAgeSeconds: number;
}

/**
 * Published rows are deleted in the next unit's transaction (no commit of their own); when no unit comes
 * within this long, in a transaction of their own.
 */
const DELETE_BATCH_DELAY_MS = 200;
const DELETE_BATCH_SIZE = 500;

/** The outbox rows a unit of work wrote (with what it answered, see runUnit). */
interface UnitRows {
  rows: OutboxEvent[];
}

export interface OutboxOptions {
  /** Concurrent units share a transaction (see GroupCommit); off when either setting is 0. */
  groupCommit?: GroupCommitSettings;
  /** Told of every group-commit batch, for metrics. */
  onBatch?: (report: BatchReport) => void;
  /** How long published rows wait for a unit's transaction to delete them before one of their own does. */
  deleteAfterMs?: number;
}

/**
 * The transactional outbox: rows are written in the same transaction as the change they follow from,
 * published to the queues right after commit, and deleted once the queue has them. Whatever could not be
 * published (Redis down, process killed) stays in the table until `relay` publishes it; a row published
 * but not yet deleted is published again harmlessly, since its job id is its row id.
 */
export class Outbox {
  private published: string[] = [];
  private deleteTimer: NodeJS.Timeout | undefined;
  private deleting: Promise<void> = Promise.resolve();
  private readonly commits: GroupCommit<UnitRows>;
  /** Published rows a transaction deletes as it commits, by transaction: given back should it roll back. */
  private readonly deletedBy = new WeakMap<EntityManager, string[]>();
  private readonly deleteAfterMs: number;
  /** Publishes after commit that have not finished yet. */
  private readonly dispatching = new Set<Promise<void>>();

  constructor(
    private readonly db: Database,
    private readonly publisher: JobPublisher,
    private readonly logger: Logger,
    options: OutboxOptions = {},
  ) {
    this.deleteAfterMs = options.deleteAfterMs ?? DELETE_BATCH_DELAY_MS;
    this.commits = new GroupCommit<UnitRows>(
      db,
      options.groupCommit ?? { maxWaitMs: 0, maxBatch: 0 },
      {
        // The rows of every unit of a batch: written (with the deletes of rows published before) in one
        // statement on PostgreSQL before the commit, and published in one go after it.
        beforeCommit: (manager, results) => this.settle(manager, results.flatMap((result) => result.rows)),
        afterCommit: (manager, results) => {
          this.deletedBy.delete(manager);
          void this.dispatch(results.flatMap((result) => result.rows));
        },
        rolledBack: (manager) => {
          this.published.unshift(...(this.deletedBy.get(manager) ?? []));
          this.deletedBy.delete(manager);
        },
      },
      options.onBatch,
    );
  }

  /**
   * Runs one change in core as a unit of work: one transaction, and the outbox rows written in it through
   * `unit.write`, published once it commits and never when it fails. With group commit on, concurrent
   * units share a transaction; each resolves once that transaction has committed.
   */
  async runUnit<T>(work: (unit: Unit) => Promise<T>, options: UnitOptions = {}): Promise<T> {
    const result = await this.commits.run(async (manager): Promise<UnitRows & { value: T }> => {
      const rows: OutboxEvent[] = [];
      const value = await work({
        manager,
        write: (written) => {
          rows.push(...written);
          return Promise.resolve();
        },
      });
      return { value, rows };
    }, options.key);
    return result.value;
  }

  /**
   * One job for a queue of a channel's own (see ChannelModule.jobs), written in a unit of its own. Once
   * this resolves the job is durable: a crash or a Redis outage delays it.
   */
  async enqueue(queue: string, name: string, payload: unknown, conversationId: string | null = null): Promise<OutboxEvent> {
    const row: OutboxEvent = { id: newId(), queue, name, payload, conversationId, runAt: null, createdAt: new Date() };
    await this.runUnit((unit) => unit.write([row]));
    return row;
  }

  /**
   * Writes again rows whose jobs may be gone (Redis lost its data) and publishes them: a row still in the
   * table is kept as it is, and a job still on its queue is not added twice, since its job id is the row's
   * id. Callers give each row a stable id of their own, so that reconciling at every start-up is harmless.
   */
  async restore(rows: readonly OutboxEvent[]): Promise<void> {
    if (rows.length === 0) return;
    // Two processes reconciling at once race on the primary key; the loser's retry finds the winner's rows.
    await retryOnUniqueViolation(() =>
      this.db.transaction(async (manager) => {
        const kept = await repo(manager, 'OutboxEvent').find({ where: { id: In(rows.map((row) => row.id)) }, select: { id: true } });
        const present = new Set(kept.map((row) => row.id));
        await this.write(manager, rows.filter((row) => !present.has(row.id)));
      }),
    );
    await this.dispatch(rows);
  }

  /** Publishes rows older than `minAgeMs` that are still in the table. Returns how many it published. */
  async relay(batchSize: number, minAgeMs: number): Promise<number> {
    await this.flush();
    const rows = await repo(this.db.manager, 'OutboxEvent').find({
      where: { createdAt: LessThanOrEqual(new Date(Date.now() - minAgeMs)) },
      order: { createdAt: 'ASC' },
      take: batchSize,
    });
    if (rows.length > 0) await this.publishAndDelete(rows);
    return rows.length;
  }

  async stats(): Promise<OutboxStats> {
    const outbox = repo(this.db.manager, 'OutboxEvent');
    const [waiting, oldest] = await Promise.all([outbox.count(), outbox.find({ order: { createdAt: 'ASC' }, take: 1 })]);
    const oldestAt = oldest[0]?.createdAt;
    return { waiting, oldestAgeSeconds: oldestAt ? Math.max(0, (Date.now() - oldestAt.getTime()) / 1000) : 0 };
  }

  /** Deletes the rows published so far; called on shutdown so that a clean stop leaves none behind. */
  async flush(): Promise<void> {
    // Publishes still under way add the rows they published: they are deleted with the rest.
    await Promise.all([...this.dispatching]);
    clearTimeout(this.deleteTimer);
    this.deleteTimer = undefined;
    const ids = this.published;
    this.published = [];
    if (ids.length > 0) {
      this.deleting = this.deleting
        .then(() => this.db.transaction((manager) => repo(manager, 'OutboxEvent').delete({ id: In(ids) })))
        .then(
          () => undefined,
          (error: unknown) => this.logger.warn({ err: error, rows: ids.length }, 'deleting published outbox rows failed; the relay will publish them again'),
        );
    }
    await this.deleting;
  }

  private async write(manager: EntityManager, rows: readonly OutboxEvent[]): Promise<void> {
    const sql = new Sql(manager, this.db.engine);
    await sql.runAll(rows.length > 0 ? [this.insertOf(sql, rows)] : []);
  }

  /** A unit transaction's outbox work: its rows written, and rows published earlier deleted. */
  private async settle(manager: EntityManager, rows: readonly OutboxEvent[]): Promise<void> {
    const sql = new Sql(manager, this.db.engine);
    const deleted = this.published.splice(0, DELETE_BATCH_SIZE);
    if (deleted.length > 0) this.deletedBy.set(manager, deleted);
    await sql.runAll([
      ...(rows.length > 0 ? [this.insertOf(sql, rows)] : []),
      ...(deleted.length > 0 ? [{ text: `DELETE FROM outbox_events WHERE id IN (${inList(deleted)})`, params: deleted, varies: true }] : []),
    ]);
  }

  private insertOf(sql: Sql, rows: readonly OutboxEvent[]): Statement {
    return {
      text: `INSERT INTO outbox_events (id, queue, name, payload, "conversationId", "runAt", "createdAt") VALUES ${rows.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      params: rows.flatMap((row) => [row.id, row.queue, row.name, sql.json(row.payload), row.conversationId, sql.date(row.runAt), sql.date(row.createdAt)]),
      varies: rows.length > 1,
    };
  }

  /** Publishes rows that just committed; on failure they stay for the relay, so the caller need not wait. */
  private dispatch(rows: readonly OutboxEvent[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    const dispatched = this.publishAndDelete(rows)
      .catch((error: unknown) => {
        this.logger.warn({ err: error, outboxIds: rows.map((r) => r.id) }, 'outbox publish failed; the relay will retry');
      })
      .finally(() => this.dispatching.delete(dispatched));
    this.dispatching.add(dispatched);
    return dispatched;
  }

  private async publishAndDelete(rows: readonly OutboxEvent[]): Promise<void> {
    await this.publisher.publish(rows);
    this.published.push(...rows.map((row) => row.id));
    if (this.published.length >= DELETE_BATCH_SIZE) void this.flush();
    else this.deleteTimer ??= setTimeout(() => void this.flush(), this.deleteAfterMs);
  }
}

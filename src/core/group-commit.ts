import type { EntityManager } from 'typeorm';
import type { Database } from './database';
import { Sql } from './sql';

export interface GroupCommitSettings {
  /** How long the first unit of a batch waits for others before the batch starts; 0 turns group commit off. */
  maxWaitMs: number;
  /** A batch starts as soon as it holds this many units; 0 turns group commit off. */
  maxBatch: number;
}

/** What one batch was, for metrics. */
export interface BatchReport {
  size: number;
  /** How long its first unit waited before the batch started. */
  waitedMs: number;
  /** Units that failed inside the batch and were run again alone. */
  retriedAlone: number;
}

/**
 * A batch's transaction and the units in it: `beforeCommit` writes what the committed units have in
 * common (their outbox rows, in one statement) and `afterCommit` hands it on (one publish to Redis);
 * `rolledBack` is told of a transaction that did not commit, whatever its `beforeCommit` wrote.
 */
export interface BatchHooks<R> {
  beforeCommit(manager: EntityManager, results: readonly R[]): Promise<void>;
  afterCommit(manager: EntityManager, results: readonly R[]): void;
  rolledBack(manager: EntityManager): void;
}

interface Pending<R> {
  /** Runs the unit's work; may run twice (in a batch that failed, then alone). */
  work: (manager: EntityManager) => Promise<R>;
  /** Resolves the unit's promise with what its last run answered, once that run committed. */
  committed: () => void;
  failed: (error: unknown) => void;
  queuedAt: number;
}

type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

/**
 * Group commit: units of work that arrive close together run in one transaction, so that a burst pays
 * for one commit (and one publish) per batch instead of one per unit. Every unit still resolves only
 * after the transaction that holds its writes has committed.
 *
 * A batch starts when `maxBatch` units are waiting, or `maxWaitMs` after the first of them; the batches
 * of a lane run one at a time, and the units that arrive while one runs make up the next. A unit that
 * finds its lane quiet (no batch within the last `maxWaitMs`) starts at once, alone: at a trickle, group
 * commit adds no latency; in a burst, batches fill while the one before commits. SQLite has one
 * lane (its transactions take turns anyway); PostgreSQL a few, by key, so that batches that run side by
 * side seldom want the same rows (two that take them in opposite orders deadlock; PostgreSQL then
 * fails one, and its units run again alone).
 *
 * A unit that fails never takes its neighbours with it. On SQLite each unit runs inside a savepoint
 * (no round trip there), so the failed one is rolled back alone and the rest commit. On PostgreSQL a
 * savepoint would cost the round trips group commit saves, so a failure rolls the whole batch back.
 * Either way each failed unit (on PostgreSQL, each unit of the failed batch) runs again in a
 * transaction of its own, and what it answers then is its answer: a unit that lost a race to a
 * neighbour's insert finds the neighbour's row, a unit with a bad row fails with its own error.
 */
/** Units waiting for a batch, and whether a batch of theirs is running: batches of one lane run one at a time. */
interface Lane<R> {
  waiting: Pending<R>[];
  timer: NodeJS.Timeout | undefined;
  running: boolean;
  /** When its last batch ended: a lane quiet for longer has nobody to wait for. */
  lastEndedAt: number;
}

/**
 * Lanes on PostgreSQL: batches of different lanes run side by side on the pool. A unit's key (its sender,
 * its conversation) picks its lane, so that the units of one sender or conversation, which lock the same
 * rows, stay in one lane and never wait for each other across batches.
 */
const POSTGRES_LANES = 2;

export class GroupCommit<R> {
  private readonly lanes: Lane<R>[];
  private nextLane = 0;

  constructor(
    private readonly db: Database,
    private readonly settings: GroupCommitSettings,
    private readonly hooks: BatchHooks<R>,
    private readonly onBatch?: (report: BatchReport) => void,
  ) {
    const count = db.engine === 'postgres' ? POSTGRES_LANES : 1;
    this.lanes = Array.from({ length: count }, () => ({ waiting: [], timer: undefined, running: false, lastEndedAt: -Infinity }));
  }

  get enabled(): boolean {
    return this.settings.maxWaitMs > 0 && this.settings.maxBatch > 1;
  }

  /**
   * Runs `work` in a batch's transaction (or alone, when group commit is off); resolves after commit.
   * `key`: what the work locks (a sender, a conversation); units of one key share a lane.
   */
  run<T extends R>(work: (manager: EntityManager) => Promise<T>, key?: string): Promise<T> {
    if (!this.enabled) return this.alone(work);
    return new Promise<T>((resolve, reject) => {
      let answer = (): void => undefined;
      const attempt = async (manager: EntityManager): Promise<T> => {
        const value = await work(manager);
        answer = () => resolve(value);
        return value;
      };
      const lane = this.laneFor(key);
      lane.waiting.push({ work: attempt, committed: () => answer(), failed: reject, queuedAt: performance.now() });
      this.schedule(lane);
    });
  }

  private laneFor(key: string | undefined): Lane<R> {
    const count = this.lanes.length;
    const index = key === undefined ? this.nextLane++ % count : hashOf(key) % count;
    return this.lanes[index] ?? (this.lanes[0] as Lane<R>);
  }

  private schedule(lane: Lane<R>): void {
    if (lane.running || lane.waiting.length === 0) return;
    if (lane.waiting.length >= this.settings.maxBatch) {
      this.start(lane);
      return;
    }
    const first = lane.waiting[0];
    const now = performance.now();
    const waited = first ? now - first.queuedAt : 0;
    // A unit that comes to a quiet lane starts at once: waiting would only add to its latency.
    const quiet = now - lane.lastEndedAt > this.settings.maxWaitMs && lane.waiting.length === 1;
    if (quiet || waited >= this.settings.maxWaitMs) this.start(lane);
    else lane.timer ??= setTimeout(() => this.start(lane), this.settings.maxWaitMs - waited);
  }

  private start(lane: Lane<R>): void {
    clearTimeout(lane.timer);
    lane.timer = undefined;
    if (lane.running) return;
    const batch = lane.waiting.splice(0, this.settings.maxBatch);
    if (batch.length === 0) return;
    lane.running = true;
    void this.execute(batch).finally(() => {
      lane.running = false;
      lane.lastEndedAt = performance.now();
      this.schedule(lane);
    });
  }

  private async execute(batch: Pending<R>[]): Promise<void> {
    const waitedMs = performance.now() - (batch[0]?.queuedAt ?? performance.now());
    const outcomes = await this.together(batch).catch(() => undefined);
    const failed = outcomes ? batch.filter((_, i) => !outcomes[i]?.ok) : batch;
    if (outcomes) batch.forEach((item, i) => outcomes[i]?.ok && item.committed());
    this.onBatch?.({ size: batch.length, waitedMs, retriedAlone: failed.length });
    // Alone, one after another: they failed beside others, and must not fail beside each other again.
    for (const item of failed) await this.alone(item.work).then(item.committed, item.failed);
  }

  /** One transaction for the batch; a rejection means the batch rolled back as a whole. */
  private together(batch: readonly Pending<R>[]): Promise<Outcome<R>[]> {
    const savepoints = this.db.engine === 'sqlite';
    const units = async (manager: EntityManager): Promise<Outcome<R>[]> => {
      const sql = new Sql(manager, this.db.engine);
      const done: Outcome<R>[] = [];
      for (const item of batch) {
        if (!savepoints) {
          done.push({ ok: true, value: await item.work(manager) });
          continue;
        }
        await sql.run('SAVEPOINT unit', []);
        try {
          done.push({ ok: true, value: await item.work(manager) });
        } catch (error) {
          await sql.run('ROLLBACK TO SAVEPOINT unit', []);
          done.push({ ok: false, error });
        }
        await sql.run('RELEASE SAVEPOINT unit', []);
      }
      return done;
    };
    return this.transaction(units, committed);
  }

  private alone<T extends R>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.transaction(work, (value) => [value]);
  }

  /** A transaction with the hooks around it: `committedOf` tells which results it holds. */
  private async transaction<X>(work: (manager: EntityManager) => Promise<X>, committedOf: (result: X) => readonly R[]): Promise<X> {
    let transaction: EntityManager | undefined;
    const result = await this.db
      .transaction(async (manager) => {
        transaction = manager;
        const done = await work(manager);
        await this.hooks.beforeCommit(manager, committedOf(done));
        return done;
      })
      .catch((error: unknown) => {
        if (transaction) this.hooks.rolledBack(transaction);
        throw error;
      });
    if (transaction) this.hooks.afterCommit(transaction, committedOf(result));
    return result;
  }
}

function committed<R>(outcomes: readonly Outcome<R>[]): R[] {
  return outcomes.flatMap((outcome) => (outcome.ok ? [outcome.value] : []));
}

/** A cheap, stable hash of a key (FNV-1a), for picking its lane. */
function hashOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

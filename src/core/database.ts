import type { DataSource, EntityManager } from 'typeorm';
import type { DatabaseEngine } from './model/schemas';

/**
 * The database as core sees it: the entity manager and one way to run a transaction.
 *
 * TypeORM's SQLite drivers share a single connection, so two transactions started at once would nest
 * as savepoints of each other. Transactions on SQLite therefore take turns; PostgreSQL runs them in
 * parallel on its pool.
 */
export class Database {
  readonly engine: DatabaseEngine;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly dataSource: DataSource) {
    this.engine = dataSource.options.type === 'postgres' ? 'postgres' : 'sqlite';
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.engine === 'postgres') return this.dataSource.transaction(work);
    const run = this.queue.then(() => this.dataSource.transaction(work));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** True when the error is a unique-constraint violation, on either engine. */
  static isUniqueViolation(error: unknown): boolean {
    const driverError = (error as { driverError?: { code?: unknown } } | null)?.driverError;
    const code = driverError?.code ?? (error as { code?: unknown } | null)?.code;
    return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
  }
}

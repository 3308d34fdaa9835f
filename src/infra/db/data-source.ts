import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import type { Config } from '../../../config';
import { entitySchemas, type DatabaseEngine } from '../../core/model/schemas';
import { useSqlDriver } from '../../core/sql';
import { migrations } from './migrations';
import { sqlDriverOf } from './sql-driver';

/** What start-up uses of a better-sqlite3 connection. */
interface SqliteConnection {
  pragma(sql: string): unknown;
  function(name: string, options: { deterministic: boolean }, implementation: (value: unknown) => unknown): unknown;
}

export type DatabaseConfig = Pick<Config, 'databaseUrl' | 'databaseSchema' | 'dataDir'>;

export function databaseEngine(config: DatabaseConfig): DatabaseEngine {
  return config.databaseUrl ? 'postgres' : 'sqlite';
}

/** Where the data lives, for logs: the SQLite file, or the PostgreSQL host and schema (never credentials). */
export function describeDatabase(config: DatabaseConfig): string {
  if (!config.databaseUrl) return `sqlite:${join(config.dataDir, 'hub.sqlite')}`;
  const url = new URL(config.databaseUrl);
  return `postgres://${url.host}${url.pathname} (schema ${config.databaseSchema})`;
}

function createDataSource(config: DatabaseConfig): DataSource {
  const engine = databaseEngine(config);
  const common = { entities: entitySchemas(engine), migrations, synchronize: false, logging: false } as const;
  if (config.databaseUrl) {
    return new DataSource({
      ...common,
      type: 'postgres',
      url: config.databaseUrl,
      schema: config.databaseSchema,
      extra: { max: 20, options: `-c search_path=${config.databaseSchema}` },
    });
  }
  mkdirSync(config.dataDir, { recursive: true });
  return new DataSource({
    ...common,
    type: 'better-sqlite3',
    database: join(config.dataDir, 'hub.sqlite'),
    enableWAL: true,
    prepareDatabase: (db: SqliteConnection) => {
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      // SQLite's own LOWER() only lowers ASCII, so a search for "élodie" would miss "Élodie" that
      // PostgreSQL finds: searches lower both sides, so LOWER() lowers every script, as PostgreSQL's does.
      db.function('lower', { deterministic: true }, (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : value));
    },
  });
}

/**
 * Runs pending migrations. On PostgreSQL it first creates the schema, all under an advisory lock so that
 * processes starting together take turns.
 */
export async function migrate(dataSource: DataSource): Promise<string[]> {
  if (dataSource.options.type !== 'postgres') {
    return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
  }
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query(`SELECT pg_advisory_lock(hashtext('switchboard:migrations'))`);
    await lock.query(`CREATE SCHEMA IF NOT EXISTS "${String(dataSource.options.schema)}"`);
    return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
  } finally {
    await lock.query(`SELECT pg_advisory_unlock(hashtext('switchboard:migrations'))`).catch(() => undefined);
    await lock.release();
  }
}

/** Opens the database without migrating it; core's plain SQL then runs on the driver itself. */
export async function openDatabase(config: DatabaseConfig): Promise<DataSource> {
  const dataSource = await createDataSource(config).initialize();
  useSqlDriver(dataSource, sqlDriverOf(dataSource));
  return dataSource;
}

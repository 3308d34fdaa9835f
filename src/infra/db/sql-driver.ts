import { createHash } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { QueryFailedError, type DataSource, type EntityManager } from 'typeorm';
import type { SqlDriver } from '../../core/sql';

/** Fixed statement texts are few; should they run away all the same, the cache starts over rather than grow. */
const MAX_CACHED_STATEMENTS = 1000;

/**
 * better-sqlite3 straight: one prepared statement per text, reused, on the data source's one connection
 * (the transaction of any manager is on it too).
 */
function sqliteDriver(connection: BetterSqlite3.Database): SqlDriver {
  const statements = new Map<string, BetterSqlite3.Statement>();
  const statementOf = (text: string): BetterSqlite3.Statement => {
    let statement = statements.get(text);
    if (!statement) {
      if (statements.size >= MAX_CACHED_STATEMENTS) statements.clear();
      statement = connection.prepare(text);
      statements.set(text, statement);
    }
    return statement;
  };
  return {
    query(_manager, text, params, varies) {
      const statement = varies ? connection.prepare(text) : statementOf(text);
      // Like TypeORM, which the rest of the code writes through: better-sqlite3 binds no booleans.
      const values = params.map((value) => (typeof value === 'boolean' ? Number(value) : value));
      if (statement.reader) return Promise.resolve(statement.all(...values) as Record<string, unknown>[]);
      statement.run(...values);
      return Promise.resolve([]);
    },
  };
}

/** Something that runs a pg query config: the pool or a transaction's client. */
type Queryable = Pick<Pool | PoolClient, 'query'>;

/**
 * node-postgres straight, with named (prepared) statements: PostgreSQL parses and plans each text once per
 * connection. A manager in a transaction runs on its query runner's client, any other on the pool.
 */
function postgresDriver(pool: Queryable): SqlDriver {
  const names = new Map<string, string>();
  const nameOf = (text: string): string => {
    let name = names.get(text);
    if (!name) {
      if (names.size >= MAX_CACHED_STATEMENTS) names.clear();
      name = `sb_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
      names.set(text, name);
    }
    return name;
  };
  return {
    async query(manager: EntityManager, text, params, varies) {
      const runner = manager.queryRunner;
      const client: Queryable = runner ? ((await runner.connect()) as PoolClient) : pool;
      const result = await client.query<QueryResultRow>(varies ? { text, values: params } : { name: nameOf(text), text, values: params });
      return result.rows;
    },
  };
}

/**
 * Errors as `manager.query` raises them (a QueryFailedError with the driver's error and its code), so
 * that whatever handles a failed statement (a unique violation, say) need not know which way it ran.
 */
function failingAsTypeOrm(driver: SqlDriver): SqlDriver {
  return {
    async query(manager, text, params, varies) {
      try {
        return await driver.query(manager, text, params, varies);
      } catch (error) {
        // Not `instanceof Error`: a native driver's errors may come from another realm (jest's, in tests).
        if (typeof error !== 'object' || error === null) throw error;
        throw new QueryFailedError(text, params, error as Error);
      }
    },
  };
}

/** The driver under a data source TypeORM opened, for the statements of the hot path. */
export function sqlDriverOf(dataSource: DataSource): SqlDriver {
  if (dataSource.options.type === 'postgres') return failingAsTypeOrm(postgresDriver((dataSource.driver as unknown as { master: Pool }).master));
  return failingAsTypeOrm(sqliteDriver((dataSource.driver as unknown as { databaseConnection: BetterSqlite3.Database }).databaseConnection));
}

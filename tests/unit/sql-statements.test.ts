import type { DataSource, EntityManager } from 'typeorm';
import { Sql, useSqlDriver, type SqlDriver, type Statement } from '../../src/core/sql';

/**
 * How Sql hands statements to the driver: `?` become `$n` on PostgreSQL, several writes go as one
 * statement of CTEs there (one by one on SQLite), and a text that changes with its data is marked so
 * that the driver neither prepares nor caches it (PostgreSQL would keep one prepared statement of every
 * length on every connection).
 */

interface Call {
  text: string;
  params: unknown[];
  varies: boolean;
}

function sqlWithDriver(engine: 'sqlite' | 'postgres'): { sql: Sql; calls: Call[] } {
  const calls: Call[] = [];
  // Stand-ins: Sql reads nothing of them but the data source its driver is registered for.
  const dataSource = Object.create(null) as DataSource;
  const driver: SqlDriver = {
    query: (_manager, text, params, varies) => {
      calls.push({ text, params, varies });
      return Promise.resolve([]);
    },
  };
  useSqlDriver(dataSource, driver);
  const manager = Object.assign(Object.create(null) as EntityManager, { dataSource });
  return { sql: new Sql(manager, engine), calls };
}

/** A fixed write and one whose text varies with its ids. */
const WRITES: Statement[] = [
  { text: 'INSERT INTO a (x) VALUES (?)', params: [1] },
  { text: 'DELETE FROM b WHERE id IN (?, ?)', params: ['p', 'q'], varies: true },
];

describe('Sql', () => {
  it('numbers the placeholders for PostgreSQL and prepares fixed texts', async () => {
    const { sql, calls } = sqlWithDriver('postgres');
    await sql.run('UPDATE t SET a = ? WHERE id = ?', [1, 'x']);
    expect(calls).toEqual([{ text: 'UPDATE t SET a = $1 WHERE id = $2', params: [1, 'x'], varies: false }]);
  });

  it('sends several writes as one statement on PostgreSQL, unprepared when one of them varies', async () => {
    const { sql, calls } = sqlWithDriver('postgres');
    await sql.runAll(WRITES);
    expect(calls).toEqual([
      { text: 'WITH write0 AS (INSERT INTO a (x) VALUES ($1)), write1 AS (DELETE FROM b WHERE id IN ($2, $3)) SELECT 1', params: [1, 'p', 'q'], varies: true },
    ]);
  });

  it('runs the writes one by one on SQLite, each with its own mark', async () => {
    const { sql, calls } = sqlWithDriver('sqlite');
    await sql.runAll(WRITES);
    expect(calls).toEqual([
      { text: 'INSERT INTO a (x) VALUES (?)', params: [1], varies: false },
      { text: 'DELETE FROM b WHERE id IN (?, ?)', params: ['p', 'q'], varies: true },
    ]);
  });
});

import { Database } from '../../src/core/database';
import { migrate, openDatabase } from '../../src/infra/db/data-source';
import { createTestEnvironment, type Engine } from './env';

/** A migrated database of a test file's own (SQLite file or PostgreSQL schema), without a hub. */
export interface TestDatabase {
  db: Database;
  /** Closes it and removes what it left (the file, the schema, the Redis keys). */
  close(): Promise<void>;
}

export async function openTestDatabase(engine: Engine): Promise<TestDatabase> {
  const environment = createTestEnvironment(engine);
  const dataSource = await openDatabase(environment.config);
  await migrate(dataSource);
  return {
    db: new Database(dataSource),
    async close() {
      await dataSource.destroy();
      await environment.cleanup();
    },
  };
}

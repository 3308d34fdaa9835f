import type { DataSource } from 'typeorm';
import { migrate, openDatabase } from '../../src/infra/db/data-source';
import { createTestEnvironment, ENGINES, type TestEnvironment } from '../support/env';

/**
 * The migrations and the entity definitions describe the same schema: after every migration has run on
 * a fresh database, TypeORM finds nothing left to change. A change to an entity without its migration
 * (or a migration that differs from its entity) fails here rather than on a user's database.
 */

describe.each(ENGINES)('schema drift on %s', (engine) => {
  let environment: TestEnvironment;
  let dataSource: DataSource;

  beforeAll(async () => {
    environment = createTestEnvironment(engine);
    dataSource = await openDatabase(environment.config);
  });
  afterAll(async () => {
    await dataSource.destroy();
    await environment.cleanup();
  });

  it('runs every migration on a fresh database', async () => {
    const applied = await migrate(dataSource);
    expect(applied).toEqual(dataSource.migrations.map((migration) => migration.name));
    expect(applied.length).toBeGreaterThan(0);
  });

  it('leaves no pending change between the migrated schema and the entities', async () => {
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect({ up: pending.upQueries.map((query) => query.query) }).toEqual({ up: [] });
  });
});

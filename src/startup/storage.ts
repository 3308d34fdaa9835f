import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import type { Config } from '../../config';
import { Database } from '../core/database';
import { databaseEngine, describeDatabase, migrate, openDatabase } from '../infra/db/data-source';

export interface Storage {
  dataSource: DataSource;
  db: Database;
}

/** Opens the database and brings its schema up to date; a failed migration closes it again. */
export async function openStorage(config: Config, logger: Logger): Promise<Storage> {
  const dataSource = await openDatabase(config);
  let applied: string[];
  try {
    applied = await migrate(dataSource);
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  logger.info({ engine: databaseEngine(config), migrations: applied }, `database ${describeDatabase(config)}`);
  return { dataSource, db: new Database(dataSource) };
}

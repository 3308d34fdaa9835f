import type { DataSource, EntityManager } from 'typeorm';
import type { DatabaseEngine } from './model/schemas';

const placeholders = new Map<string, string>();

/** `?` placeholders become PostgreSQL's `$1, $2, …`; done once per fixed statement text. */
function forPostgres(text: string, varies: boolean): string {
  let converted = varies ? undefined : placeholders.get(text);
  if (converted === undefined) {
    let n = 0;
    converted = text.replace(/\?/g, () => `$${++n}`);
    if (!varies) placeholders.set(text, converted);
  }
  return converted;
}

/**
 * Runs a statement on the connection behind a manager (its transaction's, or any), with no ORM in between:
 * the database driver's own prepared statements. Rows come back as the driver reads them, as they do
 * through `manager.query`.
 */
export interface SqlDriver {
  /** `varies`: the text changes with its data (a row or an id per placeholder group), so is not prepared. */
  query(manager: EntityManager, text: string, params: unknown[], varies: boolean): Promise<Record<string, unknown>[]>;
}

const drivers = new WeakMap<DataSource, SqlDriver>();

/** One statement with `?` placeholders, to be run later or together with others (see Sql.runAll). */
export interface Statement {
  text: string;
  params: unknown[];
  /** Its text changes with its data (see Sql.rows). */
  varies?: boolean;
}

/** How a statement is run. */
export interface RunOptions {
  /**
   * The text changes with the data (one `(?, ?)` per row, one `?` per id): it is neither prepared nor
   * cached, which would keep one of every length for good. Fixed texts are prepared once and reused.
   */
  varies?: boolean;
}

/**
 * Lets Sql skip the ORM for a data source (set where the data source is opened). Without it, statements
 * go through `manager.query`, which runs the same SQL, only slower.
 */
export function useSqlDriver(dataSource: DataSource, driver: SqlDriver): void {
  drivers.set(dataSource, driver);
}

/**
 * Plain SQL for the few statements on the hot path of every message, where building queries through
 * TypeORM cost more than running them. Values are stored exactly as TypeORM stores them (SQLite dates as UTC text,
 * booleans as 0/1, JSON columns as text), so rows written here read back through the entities unchanged.
 */
export class Sql {
  constructor(
    private readonly manager: EntityManager,
    readonly engine: DatabaseEngine,
  ) {}

  async rows<T>(text: string, params: unknown[], options: RunOptions = {}): Promise<T[]> {
    const varies = options.varies ?? false;
    const statement = this.engine === 'postgres' ? forPostgres(text, varies) : text;
    const driver = drivers.get(this.manager.dataSource);
    // The caller names the columns it selects; the driver's rows are those columns.
    if (driver) return (await driver.query(this.manager, statement, params, varies)) as T[];
    return this.manager.query<T[]>(statement, params);
  }

  async run(text: string, params: unknown[], options: RunOptions = {}): Promise<void> {
    await this.rows(text, params, options);
  }

  /**
   * Runs writes in the order given. On PostgreSQL they go as one statement of data-modifying CTEs: one
   * round trip instead of one each. Its parts see one snapshot, so they must not touch the same rows.
   * On SQLite, where a statement costs no round trip, they run one after another.
   */
  async runAll(statements: readonly Statement[]): Promise<void> {
    if (this.engine !== 'postgres' || statements.length <= 1) {
      for (const statement of statements) await this.run(statement.text, statement.params, { varies: statement.varies });
      return;
    }
    await this.run(
      `WITH ${statements.map((statement, i) => `write${i} AS (${statement.text})`).join(', ')} SELECT 1`,
      statements.flatMap((statement) => statement.params),
      { varies: statements.some((statement) => statement.varies) },
    );
  }

  date(value: Date | null): Date | string | null {
    if (value === null || this.engine === 'postgres') return value;
    return value.toISOString().replace('T', ' ').replace('Z', '');
  }

  /** A timestamp column as a raw query returns it. */
  readDate(value: Date | string | null): Date | null {
    if (value === null || value instanceof Date) return value;
    return new Date(`${value.replace(' ', 'T')}Z`);
  }

  bool(value: boolean): boolean | number {
    return this.engine === 'postgres' ? value : value ? 1 : 0;
  }

  json(value: unknown): string {
    return JSON.stringify(value);
  }
}

/** `?, ?, ?`: the placeholders of an IN list of these values (a text that varies with their number). */
export function inList(values: readonly unknown[]): string {
  return values.map(() => '?').join(', ');
}

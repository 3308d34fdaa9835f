import { entitySchemas, type EntityName, type EntityTypes } from './schemas';
import type { Sql, Statement } from '../sql';

/** How a column is stored in plain SQL and read back, by its type in the entity schema. */
type Kind = 'plain' | 'date' | 'json' | 'bool';

interface Table {
  name: string;
  /** Every column in the schema's order, with its kind. */
  columns: Readonly<Record<string, Kind>>;
  /** The INSERT of a whole row, built once. */
  insert: string;
}

function kindOf(type: unknown): Kind {
  if (type === 'simple-json') return 'json';
  if (type === 'datetime' || type === 'timestamptz') return 'date';
  return type === 'boolean' ? 'bool' : 'plain';
}

/**
 * The tables as the entity schemas declare them, the one list of their columns: kinds do not depend on
 * the engine (timestamps are dates on both), so SQLite's schemas serve for both.
 */
const TABLES = new Map<string, Table>(
  entitySchemas('sqlite').map((schema) => {
    const name = schema.options.tableName ?? schema.options.name;
    const columns = Object.fromEntries(Object.entries(schema.options.columns).map(([column, options]) => [column, kindOf(options?.type)]));
    const names = Object.keys(columns);
    const insert = `INSERT INTO ${name} (${names.map((column) => `"${column}"`).join(', ')}) VALUES (${names.map(() => '?').join(', ')})`;
    return [schema.options.name, { name, columns, insert }];
  }),
);

function tableOf(entity: EntityName): Table {
  const table = TABLES.get(entity);
  if (!table) throw new Error(`no entity schema named ${entity}`);
  return table;
}

/** A value as the column stores it: SQLite dates as UTC text, booleans as 0/1, JSON as text. */
function stored(sql: Sql, kind: Kind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (kind === 'date') return sql.date(value as Date);
  if (kind === 'json') return sql.json(value);
  if (kind === 'bool') return sql.bool(value === true);
  return value;
}

export type Row = Record<string, unknown>;

/** The columns of an entity under a table alias, each as `alias_column`. */
export function selectList(alias: string, entity: EntityName): string {
  return Object.keys(tableOf(entity).columns)
    .map((column) => `${alias}."${column}" AS "${alias}_${column}"`)
    .join(', ');
}

/** The columns of an entity for a RETURNING clause, each as `alias_column` (read back with entityOf). */
export function returningList(alias: string, entity: EntityName): string {
  return Object.keys(tableOf(entity).columns)
    .map((column) => `"${column}" AS "${alias}_${column}"`)
    .join(', ');
}

/**
 * One entity from its aliased columns (see selectList), as TypeORM hydrates it: SQLite gives dates as
 * UTC text and booleans as 0/1, and both engines give simple-json columns as text.
 */
export function entityOf<K extends EntityName>(sql: Sql, row: Row, alias: string, entity: K): EntityTypes[K] {
  const mapped: Row = {};
  for (const [column, kind] of Object.entries(tableOf(entity).columns)) {
    const value = row[`${alias}_${column}`];
    if (value === null || value === undefined) mapped[column] = null;
    else if (kind === 'date') mapped[column] = sql.readDate(value as Date | string);
    else if (kind === 'json') mapped[column] = typeof value === 'string' ? JSON.parse(value) : value;
    else if (kind === 'bool') mapped[column] = value === true || value === 1;
    else mapped[column] = value;
  }
  // Every column of the schema, which declares one per field of the entity.
  return mapped as unknown as EntityTypes[K];
}

/** The INSERT of a whole row, every column of its schema, stored as TypeORM stores it. */
export function insertOf<K extends EntityName>(sql: Sql, entity: K, row: EntityTypes[K]): Statement {
  const { columns, insert } = tableOf(entity);
  const values = row as unknown as Row;
  return { text: insert, params: Object.entries(columns).map(([column, kind]) => stored(sql, kind, values[column])) };
}

/**
 * One INSERT of several whole rows (none: undefined). Its text changes with the number of rows, so it
 * is marked `varies` when there is more than one.
 */
export function insertAllOf<K extends EntityName>(sql: Sql, entity: K, rows: readonly EntityTypes[K][]): Statement | undefined {
  const [first, ...rest] = rows.map((row) => insertOf(sql, entity, row));
  if (!first) return undefined;
  if (rest.length === 0) return first;
  const values = first.text.slice(first.text.indexOf(' VALUES ') + ' VALUES '.length);
  return { text: `${first.text}${`, ${values}`.repeat(rest.length)}`, params: [first, ...rest].flatMap((insert) => insert.params), varies: true };
}

/** The UPDATE of some fields of a row by id. */
export function updateOf<K extends EntityName>(sql: Sql, entity: K, id: string, fields: Partial<EntityTypes[K]>): Statement {
  const { name, columns } = tableOf(entity);
  const entries = Object.entries(fields as Row);
  return {
    text: `UPDATE ${name} SET ${entries.map(([column]) => `"${column}" = ?`).join(', ')} WHERE id = ?`,
    params: [...entries.map(([column, value]) => stored(sql, columns[column] ?? 'plain', value)), id],
  };
}

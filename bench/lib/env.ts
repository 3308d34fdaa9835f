import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { resolveRedis } from '../../src/infra/redis/resolve';

/** A number from the environment (for quick trials: BENCH_DURATION_S=3 npm run bench), else the default. */
export function envNumber(name: string, fallback: number, min = 0): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number ≥ ${min} (got ${JSON.stringify(raw)})`);
  return value;
}

/** Every Redis prefix and PostgreSQL schema of this run starts with it, so one sweep finds leftovers. */
export const RUN_TAG = `bench_${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
let counter = 0;

/** A short, unique, lower-case identifier: usable as Redis prefix, PostgreSQL schema and id prefix. */
export function uniqueId(label: string): string {
  return `${RUN_TAG}_${label}${++counter}`;
}

export function tempDir(label: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `switchboard-bench-${label}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface BenchRedis {
  url: string;
  describe: string;
  stop(): Promise<void>;
}

/**
 * The Redis every figure of the run uses, found the way the hub finds it: REDIS_URL, else
 * redis://127.0.0.1:6379 when it answers, else a private redis-server started for the run.
 */
export async function benchRedis(): Promise<BenchRedis> {
  const dir = tempDir('redis');
  const resolved = await resolveRedis({ redisUrl: process.env.REDIS_URL || undefined, dataDir: dir.path }, process.env.PATH ?? '');
  return {
    url: resolved.url,
    describe: resolved.describe,
    async stop() {
      await resolved.stop();
      dir.remove();
    },
  };
}

/** The PostgreSQL to measure on, or why it is not measured. */
export function benchPostgres(): { url: string } | { skipped: string } {
  const url = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL;
  return url ? { url } : { skipped: 'neither BENCH_DATABASE_URL nor TEST_DATABASE_URL is set' };
}

/** Deletes every key under `prefix:`. */
export function deleteRedisKeys(url: string, prefix: string): Promise<number> {
  return deleteRedisMatching(url, `${prefix}:*`);
}

/** Deletes every key matching a SCAN pattern. */
export async function deleteRedisMatching(url: string, pattern: string): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

export async function dropPostgresSchema(url: string, schema: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Drops every schema whose name starts with `prefix` (the run's leftovers). Returns how many. */
export async function dropPostgresSchemasStartingWith(url: string, prefix: string): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)', [prefix]);
    for (const { nspname } of rows) await client.query(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`);
    return rows.length;
  } finally {
    await client.end();
  }
}

/** Where a PostgreSQL URL points, without credentials, for the report. */
export function describePostgres(url: string): string {
  const parsed = new URL(url);
  return `postgres://${parsed.host}${parsed.pathname}`;
}

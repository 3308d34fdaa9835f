import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../config';

export type Engine = 'sqlite' | 'postgres';

/** SQLite always; PostgreSQL too when TEST_DATABASE_URL is set (CI sets it). */
export const ENGINES: Engine[] = process.env.TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];

export function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is set by tests/support/global-setup.ts');
  return url;
}

/**
 * The isolated surroundings of one test hub: its own data folder, its own PostgreSQL schema, its own
 * Redis key prefix. `env` is what a child process needs; `config` is the same for in-process hubs.
 */
export interface TestEnvironment {
  engine: Engine;
  env: Record<string, string>;
  config: Config;
  dataDir: string;
  prefix: string;
  cleanup(): Promise<void>;
}

export function createTestEnvironment(engine: Engine, overrides: Record<string, string> = {}): TestEnvironment {
  const id = `t${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-test-'));
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    REDIS_URL: redisUrl(),
    REDIS_PREFIX: id,
    LOG_LEVEL: 'silent',
    PORT: '0',
    HOST: '127.0.0.1',
    OUTBOX_RELAY_INTERVAL_MS: '200',
    SHUTDOWN_TIMEOUT_MS: '2000',
    ...(engine === 'postgres' ? { DATABASE_URL: process.env.TEST_DATABASE_URL ?? '', DATABASE_SCHEMA: id } : {}),
    ...overrides,
  };
  return {
    engine,
    env,
    config: loadConfig(env),
    dataDir,
    prefix: id,
    async cleanup() {
      await deleteRedisPrefix(env.REDIS_URL ?? redisUrl(), id);
      if (engine === 'postgres') await dropSchema(env.DATABASE_URL ?? '', id);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function deleteRedisPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

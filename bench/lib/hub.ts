import { join } from 'node:path';
import { Queue } from 'bullmq';
import { loadConfig, type Config } from '../../config';
import { createApiKey } from '../../src/core/api-keys';
import { EVENTS_QUEUE } from '../../src/core/outbox';
import { startHub, type Hub } from '../../src/hub';
import { createLogger } from '../../src/infra/logger';
import { deleteRedisKeys, dropPostgresSchema, tempDir, uniqueId } from './env';
import { nowMs, sleep } from './stats';

export type Engine = 'sqlite' | 'postgres';

/** A hub started in this process on its own data folder, PostgreSQL schema and Redis prefix. */
export interface BenchHub {
  engine: Engine;
  hub: Hub;
  config: Config;
  url: string;
  apiKey: string;
  /** Redis prefix, also the PostgreSQL schema on PostgreSQL. */
  prefix: string;
  /** The SQLite file (sqlite) the baseline writes to as well. */
  sqlitePath: string;
  /** Jobs and outbox rows still waiting. */
  backlog(): Promise<{ jobs: number; outbox: number }>;
  /** Waits until every job and outbox row is processed; returns how long that took, in ms. */
  drain(timeoutMs: number): Promise<number>;
  stop(): Promise<void>;
}

/** `settings`: more environment settings for the hub (e.g. API_CHANNEL_WEBHOOK_URL), over the bench's own. */
export async function startBenchHub(engine: Engine, redisUrl: string, postgresUrl?: string, settings: Record<string, string> = {}): Promise<BenchHub> {
  const prefix = uniqueId(engine === 'postgres' ? 'pg' : 'lite');
  const dir = tempDir('hub');
  const config = loadConfig({
    DATA_DIR: dir.path,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    PORT: '0',
    HOST: '127.0.0.1',
    ...(engine === 'postgres' ? { DATABASE_URL: postgresUrl, DATABASE_SCHEMA: prefix } : {}),
    ...settings,
  });
  const cleanup = async () => {
    await deleteRedisKeys(redisUrl, prefix);
    if (engine === 'postgres' && postgresUrl) await dropPostgresSchema(postgresUrl, prefix);
    dir.remove();
  };

  let hub: Hub;
  try {
    hub = await startHub(config, 'all', createLogger('silent'), process.env.PATH ?? '');
  } catch (error) {
    await cleanup().catch(() => undefined);
    throw error;
  }
  const { key } = await createApiKey(hub.db, { name: 'bench', scopes: ['write'] });
  const events = new Queue(EVENTS_QUEUE, { connection: { url: redisUrl }, prefix });
  events.on('error', () => undefined);

  async function backlog(): Promise<{ jobs: number; outbox: number }> {
    const counts = await events.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    const jobs = Object.values(counts).reduce((sum, n) => sum + n, 0);
    const { waiting } = await hub.outbox.stats();
    return { jobs, outbox: waiting };
  }

  return {
    engine,
    hub,
    config,
    url: hub.url ?? '',
    apiKey: key,
    prefix,
    sqlitePath: join(config.dataDir, 'hub.sqlite'),
    backlog,
    async drain(timeoutMs) {
      const start = nowMs();
      for (;;) {
        const left = await backlog();
        if (left.jobs === 0 && left.outbox === 0) return nowMs() - start;
        if (nowMs() - start > timeoutMs) throw new Error(`the hub did not drain within ${timeoutMs} ms (${left.jobs} jobs, ${left.outbox} outbox rows left)`);
        await sleep(100);
      }
    },
    async stop() {
      await events.close().catch(() => undefined);
      try {
        await hub.stop();
      } finally {
        await cleanup();
      }
    },
  };
}

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pino from 'pino';
import { startHub } from '../../src/hub';
import { redisAnswers } from '../../src/infra/redis/connection';
import { isAlive, RedisNotInstalledError, startPrivateRedis } from '../../src/infra/redis/private-server';
import { resolveRedis } from '../../src/infra/redis/resolve';
import { createTestEnvironment, redisUrl } from '../support/env';
import { freePort, waitFor } from '../support/processes';

const PATH = process.env.PATH ?? '';

function pidIn(redisDir: string): number {
  return Number(readFileSync(join(redisDir, 'redis.pid'), 'utf8').trim());
}

describe('choosing Redis at start-up', () => {
  const dirs: string[] = [];
  /** Stops every private server a test started, in case it failed before stopping it. */
  const stops: (() => Promise<void>)[] = [];
  /** A local default address where nothing answers, whatever runs on this machine's 6379. */
  let nobodyHome: string;

  function dataDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-resolve-'));
    dirs.push(dir);
    return dir;
  }

  beforeAll(async () => {
    nobodyHome = `redis://127.0.0.1:${await freePort()}`;
  });

  afterAll(async () => {
    await Promise.all(stops.map((stop) => stop()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('uses REDIS_URL when it is set, and starts nothing', async () => {
    const dir = dataDir();
    const redis = await resolveRedis({ redisUrl: 'redis://example.invalid:6390', dataDir: dir }, PATH, nobodyHome);
    expect(redis).toMatchObject({ url: 'redis://example.invalid:6390', source: 'REDIS_URL' });
    expect(existsSync(join(dir, 'redis'))).toBe(false);
  });

  it('uses the Redis answering on the local default address when REDIS_URL is unset', async () => {
    const dir = dataDir();
    const local = redisUrl();
    const redis = await resolveRedis({ redisUrl: undefined, dataDir: dir }, PATH, local);
    expect(redis).toMatchObject({ url: local, source: 'local' });
    expect(redis.describe).toContain(local);
    expect(existsSync(join(dir, 'redis'))).toBe(false);
  });

  it('starts a private, append-only redis-server under $DATA_DIR/redis when nothing answers locally, and stops it', async () => {
    const dir = dataDir();
    const redis = await resolveRedis({ redisUrl: undefined, dataDir: dir }, PATH, nobodyHome);
    stops.push(() => redis.stop());
    expect(redis.source).toBe('private');
    expect(redis.describe).toMatch(/started a private redis-server/);
    expect(redis.url).not.toBe(nobodyHome);

    const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      const config = async (name: string) => ((await client.config('GET', name)) as string[])[1];
      expect(await config('appendonly')).toBe('yes');
      expect(await config('appendfsync')).toBe('everysec');
      expect(await config('maxmemory-policy')).toBe('noeviction');
      expect(await config('dir')).toBe(join(dir, 'redis'));
      expect(await config('bind')).toMatch(/127\.0\.0\.1/);
    } finally {
      client.disconnect();
    }

    const pid = pidIn(join(dir, 'redis'));
    expect(isAlive(pid)).toBe(true);
    await redis.stop();
    expect(isAlive(pid)).toBe(false);
    expect(await redisAnswers(redis.url)).toBe(false);
  });

  it('keeps what was written across a restart of the private server on the same folder', async () => {
    const dir = join(dataDir(), 'redis');
    const first = await startPrivateRedis(dir, PATH);
    const client = new Redis(first.url, { maxRetriesPerRequest: 1 });
    await client.set('survives', 'yes');
    client.disconnect();
    await first.stop();

    const second = await startPrivateRedis(dir, PATH);
    stops.push(() => second.stop());
    expect(second.adopted).toBe(false);
    const again = new Redis(second.url, { maxRetriesPerRequest: 1 });
    try {
      expect(await again.get('survives')).toBe('yes');
    } finally {
      again.disconnect();
    }
  });

  it('says how to install Redis when redis-server is not on PATH and nothing answers', async () => {
    const emptyPath = dataDir();
    const attempt = resolveRedis({ redisUrl: undefined, dataDir: dataDir() }, emptyPath, nobodyHome);
    await expect(attempt).rejects.toBeInstanceOf(RedisNotInstalledError);
    const message = await attempt.then(
      () => '',
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    expect(message).toContain('apt-get install redis-server');
    expect(message).toContain('brew install redis');
    expect(message).toContain('REDIS_URL');
    expect(message).not.toContain('\n');
  });

  it('does not need redis-server on PATH when REDIS_URL is set or a local Redis answers', async () => {
    const emptyPath = dataDir();
    await expect(resolveRedis({ redisUrl: redisUrl(), dataDir: dataDir() }, emptyPath, nobodyHome)).resolves.toMatchObject({ source: 'REDIS_URL' });
    await expect(resolveRedis({ redisUrl: undefined, dataDir: dataDir() }, emptyPath, redisUrl())).resolves.toMatchObject({ source: 'local' });
  });

  it('a hub with no REDIS_URL and nothing local runs on its private server, ready, and stops it when it stops', async () => {
    const t = createTestEnvironment('sqlite');
    try {
      const hub = await startHub({ ...t.config, redisUrl: undefined }, 'all', pino({ level: 'silent' }), PATH, nobodyHome);
      const pid = pidIn(join(t.dataDir, 'redis'));
      try {
        expect(hub.redisUrl).not.toBe(nobodyHome);
        expect(isAlive(pid)).toBe(true);
        // Ready once its Redis connections are up, which may be a moment after start-up returns.
        await waitFor('/readyz to answer 200', async () => (await fetch(`${hub.url ?? ''}/readyz`)).status === 200, 5000);
      } finally {
        await hub.stop();
      }
      await waitFor('the private redis-server to exit', () => !isAlive(pid), 5000);
      expect(await redisAnswers(hub.redisUrl)).toBe(false);
    } finally {
      await t.cleanup();
    }
  });
});

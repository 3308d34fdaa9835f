import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pino from 'pino';
import { repo } from '../../src/core/model/schemas';
import { startHub } from '../../src/hub';
import { openDatabase } from '../../src/infra/db/data-source';
import { redisAnswers } from '../../src/infra/redis/connection';
import { isAlive } from '../../src/infra/redis/private-server';
import { LOCAL_REDIS_URL } from '../../src/infra/redis/resolve';
import { createTestEnvironment, deleteRedisPrefix, ENGINES, type TestEnvironment } from '../support/env';
import { createApiKeyWithCli, freePort, HubProcess, killStartedProcesses, MAIN_JS, ROOT, runNode, waitFor, type LogLine } from '../support/processes';

const PATH = process.env.PATH ?? '';

const environments: TestEnvironment[] = [];
function environment(engine: (typeof ENGINES)[number] = 'sqlite', overrides: Record<string, string> = {}): TestEnvironment {
  const t = createTestEnvironment(engine, overrides);
  environments.push(t);
  return t;
}

afterAll(async () => {
  await killStartedProcesses();
  for (const t of environments) {
    // A private redis-server a failed test left behind.
    const pidFile = join(t.dataDir, 'redis', 'redis.pid');
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : NaN;
    if (Number.isInteger(pid) && isAlive(pid)) process.kill(pid, 'SIGKILL');
    await t.cleanup();
  }
});

describe('a bad setting', () => {
  const cases: [string, Record<string, string>, string[]][] = [
    ['PORT', { PORT: 'abc' }, []],
    ['PORT', { PORT: '70000' }, []],
    ['CONVERSATION_REOPEN_WINDOW_HOURS', { CONVERSATION_REOPEN_WINDOW_HOURS: '-1' }, []],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://user:hunter2@db.example/hub' }, []],
    ['REDIS_URL', { REDIS_URL: 'http://127.0.0.1:6379' }, []],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }, []],
    ['--role', {}, ['--role', 'everything']],
  ];

  it.each(cases)('%s (%j %j) stops start-up with exit code 1 and one line naming it', async (name, settings, args) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-bad-setting-'));
    try {
      const result = await runNode(MAIN_JS, args, { DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0', ...settings });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(name);
      // Secrets are not echoed back, even in the error.
      expect(result.stderr).not.toContain('hunter2');
      // Nothing was started: no database was created.
      expect(existsSync(join(dataDir, 'hub.sqlite'))).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('with no DATABASE_URL and no REDIS_URL', () => {
  it('starts on SQLite in DATA_DIR and a local or private Redis, answers /readyz 200, and stops cleanly on SIGTERM', async () => {
    const t = environment('sqlite');
    // Only what a first-time user sets (a port and a folder); the prefix keeps a shared local Redis clean.
    const hub = new HubProcess({ DATA_DIR: t.dataDir, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', REDIS_PREFIX: t.prefix });
    const url = await hub.running();

    expect(existsSync(join(t.dataDir, 'hub.sqlite'))).toBe(true);
    const database = hub.lines.find((line) => typeof line.msg === 'string' && line.msg.startsWith('database '));
    expect(database?.msg).toBe(`database sqlite:${join(t.dataDir, 'hub.sqlite')}`);
    // The log says which Redis was chosen.
    const chosen = hub.lines.find((line) => line.redis !== undefined);
    expect(['local', 'private']).toContain(chosen?.redis);

    await waitFor('/readyz to answer 200', async () => (await fetch(`${url}/readyz`)).status === 200, 10_000, 100);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    const privatePid = chosen?.redis === 'private' ? Number(readFileSync(join(t.dataDir, 'redis', 'redis.pid'), 'utf8')) : undefined;
    expect((await hub.stop('SIGTERM')).code).toBe(0);
    if (privatePid !== undefined) expect(isAlive(privatePid)).toBe(false);
    else await deleteRedisPrefix(LOCAL_REDIS_URL, t.prefix);
  }, 30_000);
});

describe.each(ENGINES)('SIGTERM on %s', (engine) => {
  it('stops accepting, lets the request in flight finish, and exits 0', async () => {
    const t = environment(engine, { LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: '10000' });
    const apiKey = await createApiKeyWithCli(t.env, 'sigterm');
    const hub = new HubProcess(t.env);
    const url = await hub.running();

    // A request whose headers the hub has taken (it answered "100 Continue") and whose body is still coming.
    const payload = JSON.stringify({ sourceId: 'in-flight-at-sigterm', contact: { email: 'late@example.com' }, body: 'sent across the shutdown' });
    const req = request(`${url}/api/v1/inbound`, {
      method: 'POST',
      agent: false,
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), expect: '100-continue' },
    });
    const response = new Promise<{ status: number; body: { messageId?: string } }>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { messageId?: string } }));
      });
      req.on('error', reject);
    });
    const continued = new Promise<void>((resolve) => req.on('continue', () => resolve()));
    req.flushHeaders();
    await continued;

    hub.child.kill('SIGTERM');
    await hub.waitForLog('"stopping"', (line: LogLine) => line.msg === 'stopping');
    // No new connections once stopping...
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    // ...but the one in flight is answered.
    req.end(payload);
    const answer = await response;
    expect(answer.status).toBe(202);

    const exit = await hub.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });

    const dataSource = await openDatabase(t.config);
    try {
      const stored = await repo(dataSource.manager, 'Message').findOneBy({ externalId: 'in-flight-at-sigterm' });
      expect(stored?.id).toBe(answer.body.messageId);
    } finally {
      await dataSource.destroy();
    }
  }, 30_000);
});

describe('a private redis-server left running by a SIGKILLed hub', () => {
  // A hub process like `node dist/main.js`, but told that nothing answers on the local default address,
  // so that it runs on a private redis-server whatever runs on this machine's 6379.
  const HUB_WITH_PRIVATE_REDIS = `
    const [root, localRedisUrl] = process.argv.slice(1);
    const { loadConfig } = require(root + '/dist/config/index.js');
    const { startHub } = require(root + '/dist/src/hub.js');
    const { createLogger } = require(root + '/dist/src/infra/logger.js');
    const logger = createLogger('info');
    startHub(loadConfig(), 'all', logger, process.env.PATH, localRedisUrl).then(
      () => logger.info('switchboard is running'),
      (error) => { logger.fatal({ err: error }, 'start-up failed'); process.exit(1); },
    );`;

  it('is taken over by the next hub on the same folder, not doubled, and stopped when that hub stops', async () => {
    const t = environment('sqlite');
    const nobodyHome = `redis://127.0.0.1:${await freePort()}`;
    const { REDIS_URL: _unset, ...env } = t.env;
    const redisDir = join(t.dataDir, 'redis');

    const first = new HubProcess({ ...env, LOG_LEVEL: 'info' }, [ROOT, nobodyHome], ['-e', HUB_WITH_PRIVATE_REDIS]);
    await first.running();
    const started = await first.waitForLog('the Redis choice', (line) => line.redis !== undefined);
    expect(started.msg).toMatch(/^started a private redis-server at redis:\/\/127\.0\.0\.1:\d+/);
    const pid = Number(readFileSync(join(redisDir, 'redis.pid'), 'utf8'));
    const port = readFileSync(join(redisDir, 'redis.port'), 'utf8');
    const privateUrl = `redis://127.0.0.1:${port}`;

    expect((await first.stop('SIGKILL')).signal).toBe('SIGKILL');
    // The server outlives the hub that started it.
    expect(isAlive(pid)).toBe(true);
    expect(await redisAnswers(privateUrl)).toBe(true);

    const lines: LogLine[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
    const second = await startHub({ ...t.config, redisUrl: undefined }, 'all', logger, PATH, nobodyHome);
    try {
      expect(lines.find((line) => line.redis !== undefined)?.msg).toMatch(/^took over the private redis-server left running at /);
      expect(second.redisUrl).toBe(privateUrl);
      // The same server process, not a second one on the same append-only file.
      expect(Number(readFileSync(join(redisDir, 'redis.pid'), 'utf8'))).toBe(pid);
      const client = new Redis(second.redisUrl, { maxRetriesPerRequest: 1 });
      try {
        expect(await client.info('server')).toContain(`process_id:${pid}`);
      } finally {
        client.disconnect();
      }
    } finally {
      await second.stop();
    }
    expect(isAlive(pid)).toBe(false);
  }, 30_000);
});

import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { freePort } from '../net';
import { redisAnswers } from './connection';

export class RedisNotInstalledError extends Error {
  constructor() {
    super('redis-server was not found on PATH: install it (apt-get install redis-server, or brew install redis) or set REDIS_URL');
    this.name = 'RedisNotInstalledError';
  }
}

export interface PrivateRedis {
  url: string;
  /** True when a server left running by an earlier hub in the same folder was taken over. */
  adopted: boolean;
  stop(): Promise<void>;
}

function findOnPath(binary: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

function stopper(pidFile: string): () => Promise<void> {
  return async () => {
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : NaN;
    if (!Number.isInteger(pid) || !isAlive(pid)) return;
    // SIGTERM makes Redis flush its append-only file before it exits.
    process.kill(pid, 'SIGTERM');
    if (!(await waitFor(() => !isAlive(pid), 10_000))) process.kill(pid, 'SIGKILL');
  };
}

/**
 * Starts a redis-server of the hub's own with append-only persistence in `dir`. If a hub was killed and
 * left its server running on the same folder, that server is taken over: two servers must never write
 * one append-only file. It listens on a free port unless `options.port` names one.
 */
export async function startPrivateRedis(dir: string, path: string, options: { port?: number } = {}): Promise<PrivateRedis> {
  const binary = findOnPath('redis-server', path);
  if (!binary) throw new RedisNotInstalledError();
  mkdirSync(dir, { recursive: true });
  const pidFile = join(dir, 'redis.pid');
  const portFile = join(dir, 'redis.port');

  if (existsSync(pidFile) && existsSync(portFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    const url = `redis://127.0.0.1:${readFileSync(portFile, 'utf8').trim()}`;
    if (Number.isInteger(pid) && isAlive(pid) && (await redisAnswers(url))) return { url, adopted: true, stop: stopper(pidFile) };
  }

  // A given port lets a server restarted on the same folder come back where its clients reconnect.
  const port = options.port ?? (await freePort());
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--pidfile', pidFile,
    '--logfile', join(dir, 'redis.log'),
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
    '--maxmemory-policy', 'noeviction',
    '--save', '',
    '--daemonize', 'no',
  ];
  const child = spawn(binary, args, { stdio: 'ignore', detached: true });
  child.unref();
  writeFileSync(portFile, String(port));
  const url = `redis://127.0.0.1:${port}`;
  const state = { exited: false };
  child.once('exit', () => (state.exited = true));
  const up = await waitFor(async () => state.exited || (await redisAnswers(url, 200)), 10_000);
  if (!up || state.exited) throw new Error(`the private redis-server did not start; see ${join(dir, 'redis.log')}`);
  writeFileSync(pidFile, String(child.pid));
  return { url, adopted: false, stop: stopper(pidFile) };
}

import { spawn } from 'node:child_process';
import { deleteRedisKeys, tempDir, uniqueId } from './lib/env';
import { statusOf } from './lib/http';
import { freePort, MAIN_JS, stopChild } from './lib/processes';
import { median, nowMs, round, sleep } from './lib/stats';

export interface ColdStartOptions {
  runs: number;
  redisUrl: string;
  /** Give up on one start after this long. */
  timeoutMs: number;
}

export interface ColdStartFigure {
  /** Spawn of `node dist/main.js` (fresh DATA_DIR: SQLite created and migrated) to the first 200 of /readyz. */
  hubMs: number[];
  /** Spawn of `node -e` with a bare http server to its first 200. */
  baselineMs: number[];
  hubMedianMs: number;
  baselineMedianMs: number;
  ratio: number;
}

const BARE_SERVER = "require('node:http').createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1')";
const POLL_INTERVAL_MS = 5;

/** Spawns `node <args>` and polls `url` until it answers 200; returns the milliseconds that took. */
async function timeToFirst200(args: string[], env: NodeJS.ProcessEnv, url: string, timeoutMs: number): Promise<number> {
  let stderr = '';
  const start = nowMs();
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  try {
    for (;;) {
      if ((await statusOf(url)) === 200) return nowMs() - start;
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited (${child.exitCode ?? child.signalCode}) before ${url} answered 200: ${stderr.trim()}`);
      if (nowMs() - start > timeoutMs) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms: ${stderr.trim()}`);
      await sleep(POLL_INTERVAL_MS);
    }
  } finally {
    await stopChild(child);
  }
}

/** The hub's environment for one start: nothing inherited that would change what is measured. */
function hubEnv(dataDir: string, port: number, redisUrl: string, prefix: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', REDIS_URL: redisUrl, REDIS_PREFIX: prefix, LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  delete env.DATABASE_SCHEMA;
  return env;
}

/** Cold start to /readyz, `runs` times each, hub and bare server alternating so drift hits both alike. */
export async function measureColdStart(options: ColdStartOptions): Promise<ColdStartFigure> {
  const hubMs: number[] = [];
  const baselineMs: number[] = [];
  for (let run = 0; run < options.runs; run++) {
    const basePort = await freePort();
    baselineMs.push(await timeToFirst200(['-e', BARE_SERVER], { ...process.env, PORT: String(basePort) }, `http://127.0.0.1:${basePort}/`, options.timeoutMs));

    const dir = tempDir('cold');
    const prefix = uniqueId('cold');
    try {
      const port = await freePort();
      hubMs.push(await timeToFirst200([MAIN_JS], hubEnv(dir.path, port, options.redisUrl, prefix), `http://127.0.0.1:${port}/readyz`, options.timeoutMs));
    } finally {
      await deleteRedisKeys(options.redisUrl, prefix);
      dir.remove();
    }
  }
  const hubMedianMs = round(median(hubMs), 0);
  const baselineMedianMs = round(median(baselineMs), 0);
  return { hubMs: hubMs.map((ms) => round(ms, 0)), baselineMs: baselineMs.map((ms) => round(ms, 0)), hubMedianMs, baselineMedianMs, ratio: round(hubMedianMs / baselineMedianMs, 2) };
}

import { Agent } from 'node:http';
import { loadConfig } from '../../config';
import { CLI } from '../../src/core/actor';
import { createApiKey } from '../../src/core/api-keys';
import { Database } from '../../src/core/database';
import { WIDGET_CHANNEL } from '../../src/channels/widget/name';
import { createWebsite } from '../../src/core/websites/websites';
import { migrate, openDatabase } from '../../src/infra/db/data-source';
import { WEBSITE_HEADER, type VisitorSession } from '../../src/channels/widget/protocol';
import { deleteRedisKeys, tempDir, uniqueId } from './env';
import { inParallel, postJson, waitFor200 } from './http';
import { freePort, MAIN_JS, ProbedChild } from './processes';

/** The page origin the bench's widget visitors claim (the website allows it). */
export const BENCH_ORIGIN = 'https://bench.example';

/** A hub child process (`node dist/main.js`, role all, SQLite in a temp DATA_DIR) with one website and one API key. */
export interface WidgetHub {
  child: ProbedChild;
  url: string;
  websiteKey: string;
  apiKey: string;
  /** `ws://…/widget/v1/socket?website=KEY`. */
  socketUrl: string;
  /** Headers of every widget HTTP request: the website and the page's origin. */
  widgetHeaders: Record<string, string>;
  /** Creates `count` visitors through `POST /widget/v1/visitors`; resolves with their tokens. */
  createVisitors(count: number, concurrency: number): Promise<string[]>;
  stop(): Promise<void>;
}

/** The website and the API key go into the hub's database before it starts (as `npm run hub -- website create` would). */
async function seed(env: NodeJS.ProcessEnv): Promise<{ websiteKey: string; apiKey: string }> {
  const dataSource = await openDatabase(loadConfig(env));
  try {
    await migrate(dataSource);
    const db = new Database(dataSource);
    const website = await createWebsite(db, WIDGET_CHANNEL, { name: 'Bench', allowedOrigins: [BENCH_ORIGIN], recordPageViews: false }, CLI);
    const { key } = await createApiKey(db, { name: 'bench-widget', scopes: ['read', 'write'] });
    return { websiteKey: website.key, apiKey: key };
  } finally {
    await dataSource.destroy();
  }
}

/** `settings`: more environment for the hub (rate limits raised for the bench, say). */
export async function startWidgetHub(redisUrl: string, settings: Record<string, string> = {}): Promise<WidgetHub> {
  const dir = tempDir('widget');
  const prefix = uniqueId('widget');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', DATA_DIR: dir.path, PORT: String(port), HOST: '127.0.0.1', REDIS_URL: redisUrl, REDIS_PREFIX: prefix, LOG_LEVEL: 'warn', ...settings };
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let child: ProbedChild | undefined;
  const stop = async () => {
    agent.destroy();
    await child?.stop();
    await deleteRedisKeys(redisUrl, prefix);
    dir.remove();
  };
  try {
    const { websiteKey, apiKey } = await seed(env);
    const hub = new ProbedChild([MAIN_JS], env);
    child = hub;
    await waitFor200(`${url}/readyz`, 30_000, () => hub.assertAlive());
    const widgetHeaders = { [WEBSITE_HEADER.toLowerCase()]: websiteKey, origin: BENCH_ORIGIN };
    return {
      child: hub,
      url,
      websiteKey,
      apiKey,
      socketUrl: `ws://127.0.0.1:${port}/widget/v1/socket?website=${encodeURIComponent(websiteKey)}`,
      widgetHeaders,
      createVisitors: (count, concurrency) =>
        inParallel(count, concurrency, async () => {
          const answer = await postJson(agent, `${url}/widget/v1/visitors`, widgetHeaders, '{}');
          if (answer.status !== 201) throw new Error(`POST /widget/v1/visitors answered ${answer.status}: ${answer.body.slice(0, 200)}`);
          return (JSON.parse(answer.body) as VisitorSession).token;
        }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

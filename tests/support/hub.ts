import pino from 'pino';
import { createApiKey } from '../../src/core/api-keys';
import type { ApiKeyScope } from '../../src/core/model/types';
import { startHub, type Hub, type Role } from '../../src/hub';
import { createTestEnvironment, type Engine, type TestEnvironment } from './env';

export interface TestHub {
  hub: Hub;
  environment: TestEnvironment;
  /** The hub's base URL (http://127.0.0.1:PORT). */
  url: string;
  /** A key with read, write and admin scopes. */
  apiKey: string;
  request(path: string, init?: RequestInit & { json?: unknown; key?: string | null }): Promise<{ status: number; body: unknown; headers: Headers }>;
  stop(): Promise<void>;
}

/** Starts a hub in this process on an isolated database, schema and Redis prefix. */
export async function startTestHub(engine: Engine, options: { role?: Role; env?: Record<string, string>; scopes?: ApiKeyScope[] } = {}): Promise<TestHub> {
  const environment = createTestEnvironment(engine, options.env);
  const hub = await startHub(environment.config, options.role ?? 'all', pino({ level: 'silent' }), process.env.PATH ?? '');
  const { key } = await createApiKey(hub.db, { name: 'test', scopes: options.scopes ?? ['read', 'write', 'admin'] });
  const url = hub.url ?? '';
  return {
    hub,
    environment,
    url,
    apiKey: key,
    async request(path, init = {}) {
      const { json, key: keyOverride, ...rest } = init;
      const headers = new Headers(rest.headers);
      const bearer = keyOverride === undefined ? key : keyOverride;
      if (bearer !== null) headers.set('authorization', `Bearer ${bearer}`);
      if (json !== undefined) headers.set('content-type', 'application/json');
      const response = await fetch(url + path, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, body, headers: response.headers };
    },
    async stop() {
      await hub.stop();
      await environment.cleanup();
    },
  };
}

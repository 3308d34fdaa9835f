import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { Config } from '../../config';
import packageJson from '../../package.json';
import { createApp } from '../api/app';
import { agentRoutes } from '../api/routes/agents';
import { auditRoutes } from '../api/routes/audit';
import { contactRoutes } from '../api/routes/contacts';
import { conversationRoutes } from '../api/routes/conversations';
import { eventRoutes } from '../api/routes/events';
import { fileRoutes, publicFileRoutes } from '../api/routes/files';
import { transcriptRoutes } from '../api/routes/transcripts';
import { typingRoutes } from '../api/routes/typing';
import type { ChannelHttp, ChannelModule, ChannelSockets } from '../channels/channel';
import type { ApiKeyAuthenticator } from '../core/api-keys';
import type { Database } from '../core/database';
import { answerClientErrors } from '../http/client-errors';
import { LiveEvents } from '../http/live-events';
import type { RouteSpec } from '../http/route';
import { withTimeout } from '../infra/redis/connection';
import type { CoreParts } from './core';
import type { RedisConnections } from './redis';

const READINESS_TIMEOUT_MS = 1000;

export interface HttpServer {
  app: Express;
  url: string;
  /** The REST routes the app mounts and documents, the channels' included. */
  routes: readonly RouteSpec[];
  /** Stops taking connections at once, closes sockets and live streams, then waits for open requests (bounded). */
  stop(): Promise<void>;
}

interface HttpDeps {
  config: Config;
  db: Database;
  apiKeys: ApiKeyAuthenticator;
  dataSource: DataSource;
  redis: RedisConnections;
  core: CoreParts;
  channels: readonly ChannelModule[];
  logger: Logger;
}

function restRoutes({ config, db, core }: HttpDeps, live: LiveEvents, channelHttp: readonly ChannelHttp[]): RouteSpec[] {
  const { outbox, storage, uploadPolicy, signals } = core;
  return [
    ...channelHttp.flatMap((http) => http.apiRoutes ?? []),
    ...conversationRoutes({ db, outbox, catalog: core.catalog, messageMaxLength: config.messageMaxLength, storage, publicUrl: config.publicUrl }),
    ...transcriptRoutes({ db }),
    ...fileRoutes({ storage, policy: uploadPolicy, publicUrl: config.publicUrl }),
    ...contactRoutes({ db, outbox, catalog: core.catalog, attributesMaxBytes: config.contactAttributesMaxBytes, defaultPhoneRegion: config.defaultPhoneRegion }),
    ...typingRoutes({ db, signals }),
    ...agentRoutes({ db }),
    ...auditRoutes({ db }),
    ...eventRoutes({ live }),
  ];
}

/** Hands each WebSocket upgrade to the channel that serves its path; any other upgrade is refused by closing the connection. */
function routeUpgrades(server: Server, sockets: readonly ChannelSockets[]): void {
  const byPath = new Map(sockets.map((endpoint) => [endpoint.path, endpoint]));
  server.on('upgrade', (req, socket, head) => {
    const endpoint = byPath.get((req.url ?? '').split('?')[0] ?? '');
    if (endpoint) endpoint.handleUpgrade(req, socket, head);
    else socket.destroy();
  });
}

function listen(app: Express, config: Config): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
    const listening = app.listen(config.port, config.host, (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
}

/** Stops accepting connections at once; resolves when those open have ended (cut after the shutdown timeout). */
async function closeServer(server: Server, timeoutMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
  await closed;
  clearTimeout(timer);
}

/**
 * The HTTP side of the api and all roles: the live events this process follows, the REST API, the
 * channels' webhooks and sockets, on one listening server.
 */
export async function startHttp(deps: HttpDeps): Promise<HttpServer> {
  const { config, core, logger } = deps;
  // Live events reach API streams and widget sockets, so only processes that serve HTTP follow them.
  const live = new LiveEvents(core.bus, config.sseHeartbeatSeconds * 1000, logger.child({ component: 'live-events' }), core.signals);
  const channelHttp = deps.channels.flatMap((channel) => (channel.http ? [channel.http(live)] : []));
  const sockets = channelHttp.flatMap((http) => (http.sockets ? [http.sockets] : []));
  await live.start();
  const routes = restRoutes(deps, live, channelHttp);
  const app = createApp({
    apiKeys: deps.apiKeys,
    logger,
    metrics: core.metrics,
    rootRoutes: [...channelHttp.flatMap((http) => (http.webhookRoutes ? [http.webhookRoutes] : [])), publicFileRoutes({ storage: core.storage, links: core.links })],
    routes,
    bodyLimitBytes: config.httpBodyLimitBytes,
    trustProxy: config.trustProxy,
    publicUrl: config.publicUrl,
    version: packageJson.version,
    integrations: () => core.integrationHealth.all(),
    readiness: {
      database: () => withTimeout(deps.dataSource.query('SELECT 1'), READINESS_TIMEOUT_MS, 'the database').then(() => undefined),
      redis: () => withTimeout(deps.redis.producer.ping(), READINESS_TIMEOUT_MS, 'Redis').then(() => undefined),
    },
  });
  let server: Server;
  try {
    server = await listen(app, config);
  } catch (error) {
    await live.stop();
    throw error;
  }
  routeUpgrades(server, sockets);
  answerClientErrors(server);
  const { port } = server.address() as AddressInfo;
  logger.info({ port, publicUrl: config.publicUrl }, `listening on ${config.host}:${port}`);
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    routes,
    async stop() {
      // No new connection from here on; requests in flight finish meanwhile.
      const serverClosed = closeServer(server, config.shutdownTimeoutMs);
      // The server's close does not end upgraded connections, and they follow the live events: sockets first.
      await Promise.all(sockets.map((endpoint) => endpoint.close()));
      await live.stop();
      await serverClosed;
    },
  };
}

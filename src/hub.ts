import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config';
import packageJson from '../package.json';
import { createApp } from './api/app';
import { LiveEvents } from './http/live-events';
import { agentRoutes } from './api/routes/agents';
import { auditRoutes } from './api/routes/audit';
import { contactRoutes } from './api/routes/contacts';
import { conversationRoutes } from './api/routes/conversations';
import { eventRoutes } from './api/routes/events';
import { fileRoutes, publicFileRoutes } from './api/routes/files';
import { typingRoutes } from './api/routes/typing';
import { websiteRoutes } from './api/routes/websites';
import type { RouteSpec } from './http/route';
import { startChannels } from './channels';
import type { ChannelModule } from './channels/channel';
import { WIDGET_CHANNEL } from './channels/widget/name';
import { Database } from './core/database';
import { FileLinks } from './core/files/links';
import type { UploadPolicy } from './core/files/uploads';
import { Ingestor } from './core/ingest';
import { DeliveryService } from './core/messages/delivery';
import { DeliveryReceipts } from './core/messages/receipts';
import { DELIVERY_QUEUE, Outbox, QUEUES } from './core/outbox';
import type { FileStorage } from './core/ports/file-storage';
import { hubSecret } from './core/secrets';
import { databaseEngine, describeDatabase, migrate, openDatabase } from './infra/db/data-source';
import { Metrics, type JobCounts } from './infra/metrics';
import { createFailFastRedis, createRedis, whenReady, withTimeout } from './infra/redis/connection';
import { RedisEventBus } from './infra/redis/event-bus';
import { IntegrationHealth } from './infra/redis/integration-health';
import { RedisRateLimits, type RateLimitSettings } from './infra/redis/rate-limits';
import { RedisSignals } from './infra/redis/signals';
import { LOCAL_REDIS_URL, resolveRedis } from './infra/redis/resolve';
import { LocalFileStorage } from './infra/storage/local-file-storage';
import { BullJobPublisher } from './workers/job-publisher';
import { startWorkers, type RunningWorkers } from './workers';
import { MIRROR_QUEUE } from './workers/processors/sync-mirror';

export type Role = 'api' | 'worker' | 'all';

export interface Hub {
  /** The address the HTTP server listens on (api and all roles). */
  url?: string;
  /** The express app the HTTP server runs (api and all roles): tests inspect its mounted routes. */
  app?: Express;
  /** The REST routes the app mounts and documents. */
  routes: readonly RouteSpec[];
  db: Database;
  bus: RedisEventBus;
  ingestor: Ingestor;
  outbox: Outbox;
  delivery: DeliveryService;
  /** Uploaded files (API uploads, widget uploads, MMS media). */
  storage: FileStorage;
  /** Signed links to stored files, for those without an API key (Twilio, visitors' browsers). */
  links: FileLinks;
  uploadPolicy: UploadPolicy;
  workers?: RunningWorkers;
  redisUrl: string;
  /** Graceful stop: no new requests or jobs, running ones finish (bounded), then every connection closes. */
  stop(): Promise<void>;
}

const READINESS_TIMEOUT_MS = 1000;
const REDIS_READY_TIMEOUT_MS = 5000;

/** The web chat's rate limits, from their settings. */
function widgetRateLimits(config: Config): RateLimitSettings {
  return {
    messages: { windowSeconds: 60, perVisitor: config.widgetMessagesPerMinutePerVisitor, perIp: config.widgetMessagesPerMinutePerIp },
    conversations: { windowSeconds: 3600, perVisitor: config.widgetConversationsPerHourPerVisitor, perIp: config.widgetConversationsPerHourPerIp },
    uploads: { windowSeconds: 3600, perVisitor: config.widgetUploadsPerHourPerVisitor, perIp: config.widgetUploadsPerHourPerIp },
    visitors: { windowSeconds: 3600, perIp: config.widgetVisitorsPerHourPerIp },
    pageViews: { windowSeconds: 3600, perVisitor: config.widgetPageViewsPerHourPerVisitor },
  };
}

/**
 * Hands each WebSocket upgrade to the channel that serves its path; any other upgrade is refused by
 * closing the connection.
 */
function routeUpgrades(server: Server, channels: readonly ChannelModule[]): void {
  const byPath = new Map(channels.flatMap((channel) => (channel.sockets ? [[channel.sockets.path, channel.sockets] as const] : [])));
  server.on('upgrade', (req, socket, head) => {
    const sockets = byPath.get((req.url ?? '').split('?')[0] ?? '');
    if (sockets) sockets.handleUpgrade(req, socket, head);
    else socket.destroy();
  });
}

/**
 * The composition root: opens storage, wires core to its adapters and starts the role's parts. `path` is
 * where a private redis-server is looked for; `localRedisUrl` is the default local Redis (a test seam).
 */
export async function startHub(config: Config, role: Role, logger: Logger, path = '', localRedisUrl = LOCAL_REDIS_URL): Promise<Hub> {
  const redis = await resolveRedis(config, path, localRedisUrl);
  logger.info({ redis: redis.source }, redis.describe);

  const dataSource = await openDatabase(config);
  const applied = await migrate(dataSource);
  const db = new Database(dataSource);
  logger.info({ engine: databaseEngine(config), migrations: applied }, `database ${describeDatabase(config)}`);

  const storage = new LocalFileStorage(config.dataDir);
  const uploadPolicy: UploadPolicy = { maxBytes: config.uploadMaxBytes, allowedTypes: config.uploadAllowedTypes };
  const links = new FileLinks(await hubSecret(db, 'file-links'), config.publicUrl, config.fileLinkTtlSeconds);

  // Producers fail fast while Redis is down (the outbox keeps the rows); consumers wait and reconnect.
  const producerRedis = createFailFastRedis(redis.url);
  const consumerRedis = createRedis(redis.url);
  for (const connection of [producerRedis, consumerRedis]) connection.on('error', (error) => logger.debug({ err: error }, 'redis connection error'));
  if (!(await whenReady(producerRedis, REDIS_READY_TIMEOUT_MS))) logger.warn('Redis is not answering yet; messages wait in the outbox until it does');

  const metrics = new Metrics();
  const publisher = new BullJobPublisher(producerRedis, config.redisPrefix, { [DELIVERY_QUEUE]: { attempts: config.deliveryAttempts } });
  const bus = new RedisEventBus(consumerRedis, config.redisPrefix, logger.child({ component: 'event-bus' }), config.eventRetentionMinutes * 60_000);
  const outbox = new Outbox(db, publisher, logger.child({ component: 'outbox' }));
  const ingestor = new Ingestor({
    db,
    outbox,
    logger,
    reopenWindowMs: config.reopenWindowHours * 3600_000,
    onStored: (channel) => metrics.messagesIngested.inc({ channel }),
  });
  metrics.setSources({
    outboxStats: () => outbox.stats(),
    jobCounts: async () => {
      const queues = [...QUEUES, MIRROR_QUEUE, ...channels.flatMap((channel) => (channel.jobs ? [channel.jobs.queue] : []))];
      const counts = await withTimeout(Promise.all(queues.map((name) => publisher.queue(name).getJobCounts('waiting', 'active', 'failed', 'delayed'))), READINESS_TIMEOUT_MS, 'Redis');
      return Object.fromEntries(queues.map((name, i) => [name, counts[i] ?? {}])) as JobCounts;
    },
  });

  const receipts = new DeliveryReceipts({ db, outbox });
  const integrationHealth = new IntegrationHealth(consumerRedis, config.redisPrefix);
  const signals = new RedisSignals({ publisher: producerRedis, subscriberSource: consumerRedis }, config.redisPrefix, logger.child({ component: 'signals' }));
  const rateLimits = new RedisRateLimits(producerRedis, config.redisPrefix, widgetRateLimits(config));
  // Live events reach API streams and widget sockets, so only processes that serve HTTP follow them.
  const live = role === 'worker' ? undefined : new LiveEvents(bus, config.sseHeartbeatSeconds * 1000, logger.child({ component: 'live-events' }), signals);
  const channels = await startChannels(config, { db, ingestor, outbox, receipts, storage, uploadPolicy, links, integrationHealth, rateLimits, signals, live, logger });
  const delivery = new DeliveryService(
    { db, receipts, logger: logger.child({ component: 'delivery' }), timeoutMs: config.deliveryTimeoutMs },
    channels.flatMap((channel) => (channel.adapter ? [channel.adapter] : [])),
  );
  await live?.start();

  const routes: RouteSpec[] = [
    ...channels.flatMap((channel) => channel.apiRoutes ?? []),
    ...conversationRoutes({ db, outbox, messageMaxLength: config.messageMaxLength, storage, publicUrl: config.publicUrl }),
    ...fileRoutes({ storage, policy: uploadPolicy, publicUrl: config.publicUrl }),
    ...contactRoutes({ db, attributesMaxBytes: config.contactAttributesMaxBytes, defaultPhoneRegion: config.defaultPhoneRegion }),
    ...typingRoutes({ db, signals }),
    ...agentRoutes({ db }),
    ...websiteRoutes({ db, publicUrl: config.publicUrl, channel: WIDGET_CHANNEL }),
    ...auditRoutes({ db }),
    ...(live ? eventRoutes({ live }) : []),
  ];

  let server: Server | undefined;
  let url: string | undefined;
  let app: Express | undefined;
  if (role !== 'worker') {
    const created = createApp({
      db,
      logger,
      metrics,
      rootRoutes: [...channels.flatMap((channel) => (channel.webhookRoutes ? [channel.webhookRoutes] : [])), publicFileRoutes({ storage, links })],
      routes,
      bodyLimitBytes: config.httpBodyLimitBytes,
      trustProxy: config.trustProxy,
      publicUrl: config.publicUrl,
      version: packageJson.version,
      integrations: () => integrationHealth.all(),
      readiness: {
        database: async () => {
          await withTimeout(dataSource.query('SELECT 1'), READINESS_TIMEOUT_MS, 'the database');
        },
        redis: async () => {
          await withTimeout(producerRedis.ping(), READINESS_TIMEOUT_MS, 'Redis');
        },
      },
    });
    app = created;
    server = await new Promise<Server>((resolve, reject) => {
      const listening = created.listen(config.port, config.host, (error?: Error) => (error ? reject(error) : resolve(listening)));
    });
    routeUpgrades(server, channels);
    const { port } = server.address() as AddressInfo;
    url = `http://127.0.0.1:${port}`;
    logger.info({ port, publicUrl: config.publicUrl }, `listening on ${config.host}:${port}`);
  }

  const workers =
    role === 'api'
      ? undefined
      : startWorkers({
          connection: consumerRedis,
          prefix: config.redisPrefix,
          concurrency: config.workerConcurrency,
          relayIntervalMs: config.outboxRelayIntervalMs,
          db,
          bus,
          outbox,
          delivery,
          mirrors: channels.flatMap((channel) => (channel.mirror ? [channel.mirror] : [])),
          channelJobs: channels.flatMap((channel) => (channel.jobs ? [channel.jobs] : [])),
          logger,
        });

  /** Stops accepting connections at once; resolves when those open have ended (cut after the shutdown timeout). */
  async function stopServer(): Promise<void> {
    const listening = server;
    if (!listening) return;
    const closed = new Promise<void>((resolve) => listening.close(() => resolve()));
    listening.closeIdleConnections();
    const timer = setTimeout(() => listening.closeAllConnections(), config.shutdownTimeoutMs);
    await closed;
    clearTimeout(timer);
  }

  return {
    url,
    app,
    routes,
    db,
    bus,
    ingestor,
    outbox,
    delivery,
    storage,
    links,
    uploadPolicy,
    workers,
    redisUrl: redis.url,
    async stop() {
      // No new connection from here on; requests in flight finish meanwhile.
      const serverStopped = stopServer();
      // The server's close does not end upgraded connections, and they follow the live events: sockets first.
      await Promise.all(channels.flatMap((channel) => (channel.sockets ? [channel.sockets.close()] : [])));
      await live?.stop();
      await serverStopped;
      await workers?.close(config.shutdownTimeoutMs);
      await outbox.flush();
      await publisher.close().catch(() => undefined);
      await Promise.all([producerRedis.quit(), consumerRedis.quit()].map((quit) => quit.catch(() => undefined)));
      await dataSource.destroy();
      await redis.stop();
    },
  };
}

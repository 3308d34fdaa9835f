import type { Express } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { CHANNELS } from './channels';
import { ApiKeyAuthenticator } from './core/api-keys';
import type { ChannelDefinition, ChannelModule } from './channels/channel';
import type { Database } from './core/database';
import type { FileLinks } from './core/files/links';
import type { UploadPolicy } from './core/files/uploads';
import type { Ingestor } from './core/ingest';
import { DeliveryService } from './core/messages/delivery';
import { QUEUES, type Outbox } from './core/outbox';
import type { FileStorage } from './core/ports/file-storage';
import type { RouteSpec } from './http/route';
import type { JobCounts } from './infra/metrics';
import { withTimeout } from './infra/redis/connection';
import type { RedisEventBus } from './infra/redis/event-bus';
import { LOCAL_REDIS_URL } from './infra/redis/resolve';
import { createChannels } from './startup/channels';
import { buildCore, stopCore, type CoreParts } from './startup/core';
import { startHttp, type HttpServer } from './startup/http';
import { connectRedis } from './startup/redis';
import { StartedParts } from './startup/steps';
import { openStorage } from './startup/storage';
import { startWorkerRole } from './startup/workers';
import type { RunningWorkers } from './workers';
import { SUBSCRIBERS_QUEUE } from './workers/processors/notify-subscribers';
import { MIRROR_QUEUE } from './workers/processors/sync-mirror';

export type Role = 'api' | 'worker' | 'all';

export interface Hub {
  /** The address the HTTP server listens on (api and all roles). */
  url?: string;
  /** The express app the HTTP server runs (api and all roles): tests inspect its mounted routes. */
  app?: Express;
  /** The REST routes the app mounts and documents (none in the worker role). */
  routes: readonly RouteSpec[];
  db: Database;
  /** Checks API keys for this process's HTTP server; revoke through it so that the revocation takes effect here at once. */
  apiKeys: ApiKeyAuthenticator;
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

const QUEUE_COUNTS_TIMEOUT_MS = 1000;

/** Every queue this hub's jobs go to, for the metrics: core's, the fan-outs' and the channels' own. */
function queueNames(channels: readonly ChannelModule[]): string[] {
  return [...QUEUES, MIRROR_QUEUE, SUBSCRIBERS_QUEUE, ...channels.flatMap((channel) => (channel.jobs ? [channel.jobs.queue] : []))];
}

function watchQueues(core: CoreParts, channels: readonly ChannelModule[]): void {
  core.metrics.setSources({
    outboxStats: () => core.outbox.stats(),
    jobCounts: async () => {
      const queues = queueNames(channels);
      const counts = await withTimeout(Promise.all(queues.map((name) => core.publisher.queue(name).getJobCounts('waiting', 'active', 'failed', 'delayed'))), QUEUE_COUNTS_TIMEOUT_MS, 'Redis');
      return Object.fromEntries(queues.map((name, i) => [name, counts[i] ?? {}])) as JobCounts;
    },
  });
}

/** The sending channels go into core's catalog, which replies and the delivery worker read. */
function deliveryService(config: Config, db: Database, core: CoreParts, channels: readonly ChannelModule[], logger: Logger): DeliveryService {
  core.catalog.add(channels.flatMap((channel) => (channel.adapter ? [channel.adapter] : [])));
  return new DeliveryService({ db, receipts: core.receipts, catalog: core.catalog, logger: logger.child({ component: 'delivery' }), timeoutMs: config.deliveryTimeoutMs });
}

/**
 * The composition root: starts the role's parts in steps, each of which knows how to stop what it
 * started. A step that fails stops everything before it (the database, a private redis-server) and the
 * error names the step. The worker role serves no HTTP; the api role runs no workers. `path` is where a
 * private redis-server is looked for; `localRedisUrl` is the default local Redis (a test seam).
 */
export async function startHub(config: Config, role: Role, logger: Logger, path = '', localRedisUrl = LOCAL_REDIS_URL, definitions: readonly ChannelDefinition[] = CHANNELS): Promise<Hub> {
  const parts = new StartedParts();
  const redis = await parts.step('connecting to Redis', () => connectRedis(config, logger, path, localRedisUrl), (started) => started.stop());
  const { dataSource, db } = await parts.step('opening the database', () => openStorage(config, logger), (started) => started.dataSource.destroy());
  const core = await parts.step('starting core', () => buildCore(config, db, redis, logger), (started) => stopCore(started));
  const channels = await parts.step('creating the channels', () => createChannels(definitions, config, db, core, logger));
  watchQueues(core, channels);
  const delivery = deliveryService(config, db, core, channels, logger);
  const apiKeys = new ApiKeyAuthenticator(db, { ttlMs: config.apiKeyCacheTtlMs });

  const workers =
    role === 'api'
      ? undefined
      : await parts.step('starting the workers', () => startWorkerRole(config, { db, redis, core, delivery, channels, logger }), (started) => started.close(config.shutdownTimeoutMs));
  let http: HttpServer | undefined;
  if (role !== 'worker') {
    // One part each, so that they stop in reverse order, and a listener that cannot start stops those before it.
    for (const listener of channels.flatMap((channel) => channel.listeners ?? [])) {
      await parts.step("starting the channels' listeners", () => listener.start().then(() => logger.info({ listener: listener.name }, 'listener started')), () => listener.stop());
    }
    http = await parts.step('starting the HTTP server', () => startHttp({ config, db, apiKeys, dataSource, redis, core, channels, logger }), (started) => started.stop());
  }

  return {
    url: http?.url,
    app: http?.app,
    routes: http?.routes ?? [],
    db,
    apiKeys,
    bus: core.bus,
    ingestor: core.ingestor,
    outbox: core.outbox,
    delivery,
    storage: core.storage,
    links: core.links,
    uploadPolicy: core.uploadPolicy,
    workers,
    redisUrl: redis.url,
    stop: () => parts.stopAll(),
  };
}

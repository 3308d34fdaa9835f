import type { Logger } from 'pino';
import type { Config } from '../../config';
import type { Database } from '../core/database';
import { ChannelCatalog } from '../core/channels/catalog';
import { FileLinks } from '../core/files/links';
import type { UploadPolicy } from '../core/files/uploads';
import { Inbound } from '../core/inbound';
import { Ingestor } from '../core/ingest';
import { DeliveryReceipts } from '../core/messages/receipts';
import { DELIVERY_QUEUE, Outbox } from '../core/outbox';
import type { FileStorage } from '../core/ports/file-storage';
import { hubSecret } from '../core/secrets';
import { Metrics } from '../infra/metrics';
import { RedisEventBus } from '../infra/redis/event-bus';
import { IntegrationHealth } from '../infra/redis/integration-health';
import { RedisRateLimits, type RateLimitSettings } from '../infra/redis/rate-limits';
import { RedisSignals } from '../infra/redis/signals';
import { LocalFileStorage } from '../infra/storage/local-file-storage';
import { BullJobPublisher } from '../workers/job-publisher';
import type { RedisConnections } from './redis';

/** Core wired to its adapters: what every role and every channel shares. */
export interface CoreParts {
  metrics: Metrics;
  publisher: BullJobPublisher;
  bus: RedisEventBus;
  outbox: Outbox;
  ingestor: Ingestor;
  receipts: DeliveryReceipts;
  inbound: Inbound;
  /** The sending channels and what they carry, filled once the channels exist. */
  catalog: ChannelCatalog;
  integrationHealth: IntegrationHealth;
  signals: RedisSignals;
  rateLimits: RedisRateLimits;
  storage: FileStorage;
  uploadPolicy: UploadPolicy;
  links: FileLinks;
}

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

export async function buildCore(config: Config, db: Database, redis: RedisConnections, logger: Logger): Promise<CoreParts> {
  const metrics = new Metrics();
  const publisher = new BullJobPublisher(redis.producer, config.redisPrefix, { [DELIVERY_QUEUE]: { attempts: config.deliveryAttempts } });
  const bus = new RedisEventBus(redis.consumer, config.redisPrefix, logger.child({ component: 'event-bus' }), config.eventRetentionMinutes * 60_000);
  const outbox = new Outbox(db, publisher, logger.child({ component: 'outbox' }), {
    groupCommit: { maxWaitMs: config.dbGroupCommitMaxWaitMs, maxBatch: config.dbGroupCommitMaxBatch },
    onBatch: (report) => metrics.groupCommitBatch(report),
  });
  const ingestor = new Ingestor({
    db,
    outbox,
    logger,
    reopenWindowMs: config.reopenWindowHours * 3600_000,
    onStored: (channel) => metrics.messagesIngested.inc({ channel }),
  });
  const receipts = new DeliveryReceipts({ db, outbox });
  return {
    metrics,
    publisher,
    bus,
    outbox,
    ingestor,
    receipts,
    inbound: new Inbound({ ingestor, receipts }),
    catalog: new ChannelCatalog(),
    integrationHealth: new IntegrationHealth(redis.consumer, config.redisPrefix),
    signals: new RedisSignals({ publisher: redis.producer, subscriberSource: redis.consumer }, config.redisPrefix, logger.child({ component: 'signals' })),
    rateLimits: new RedisRateLimits(redis.producer, config.redisPrefix, widgetRateLimits(config)),
    storage: new LocalFileStorage(config.dataDir),
    uploadPolicy: { maxBytes: config.uploadMaxBytes, allowedTypes: config.uploadAllowedTypes },
    links: new FileLinks(await hubSecret(db, 'file-links'), config.publicUrl, config.fileLinkTtlSeconds),
  };
}

/** What stopping core leaves clean: published outbox rows deleted, the job publisher's queues closed. */
export async function stopCore(core: CoreParts): Promise<void> {
  await core.outbox.flush();
  await core.publisher.close().catch(() => undefined);
}

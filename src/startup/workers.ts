import type { Logger } from 'pino';
import type { Config } from '../../config';
import type { ChannelModule } from '../channels/channel';
import type { Database } from '../core/database';
import type { DeliveryService } from '../core/messages/delivery';
import { startWorkers, type RunningWorkers } from '../workers';
import type { CoreParts } from './core';
import type { RedisConnections } from './redis';

/** The worker role's part: core's queues, the channels' mirrors, jobs and event subscribers, the outbox relay. */
export function startWorkerRole(config: Config, deps: { db: Database; redis: RedisConnections; core: CoreParts; delivery: DeliveryService; channels: readonly ChannelModule[]; logger: Logger }): RunningWorkers {
  const { channels } = deps;
  return startWorkers({
    connection: deps.redis.consumer,
    prefix: config.redisPrefix,
    concurrency: config.workerConcurrency,
    relayIntervalMs: config.outboxRelayIntervalMs,
    db: deps.db,
    bus: deps.core.bus,
    outbox: deps.core.outbox,
    delivery: deps.delivery,
    mirrors: channels.flatMap((channel) => (channel.mirror ? [channel.mirror] : [])),
    channelJobs: channels.flatMap((channel) => (channel.jobs ? [channel.jobs] : [])),
    subscribers: channels.flatMap((channel) => channel.subscribers ?? []),
    logger: deps.logger,
  });
}

import type { Logger } from 'pino';
import type { Config } from '../../config';
import type { ChannelModule } from '../channels/channel';
import type { Database } from '../core/database';
import type { DeliveryService } from '../core/messages/delivery';
import { startWorkers, type RunningWorkers } from '../workers';
import type { CoreParts } from './core';
import type { RedisConnections } from './redis';

/**
 * The worker role's part: core's queues, the channels' mirrors, jobs and event subscribers, the outbox
 * relay; then each channel reconciles its delayed jobs with the database (after Redis lost its data,
 * they are due again).
 */
export async function startWorkerRole(config: Config, deps: { db: Database; redis: RedisConnections; core: CoreParts; delivery: DeliveryService; channels: readonly ChannelModule[]; logger: Logger }): Promise<RunningWorkers> {
  const { channels } = deps;
  const workers = startWorkers({
    connection: deps.redis.consumer,
    prefix: config.redisPrefix,
    concurrency: config.workerConcurrency,
    deliveryConcurrency: config.deliveryConcurrency,
    relayIntervalMs: config.outboxRelayIntervalMs,
    db: deps.db,
    bus: deps.core.bus,
    outbox: deps.core.outbox,
    publisher: deps.core.publisher,
    delivery: deps.delivery,
    mirrors: channels.flatMap((channel) => (channel.mirror ? [channel.mirror] : [])),
    channelJobs: channels.flatMap((channel) => (channel.jobs ? [channel.jobs] : [])),
    subscribers: channels.flatMap((channel) => channel.subscribers ?? []),
    logger: deps.logger,
  });
  try {
    for (const channel of channels) await channel.jobs?.reconcile?.();
  } catch (error) {
    await workers.close(config.shutdownTimeoutMs);
    throw error;
  }
  return workers;
}

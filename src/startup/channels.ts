import type { Logger } from 'pino';
import { isChannelOn, type Config } from '../../config';
import type { ChannelDefinition, ChannelModule } from '../channels/channel';
import type { Database } from '../core/database';
import { hubSecret } from '../core/secrets';
import type { CoreParts } from './core';

/** Creates the channels whose config section is on, in the list's order, each with its own logger. */
export async function createChannels(definitions: readonly ChannelDefinition[], config: Config, db: Database, core: CoreParts, logger: Logger): Promise<ChannelModule[]> {
  const channels: ChannelModule[] = [];
  for (const definition of definitions) {
    if (!isChannelOn(config, definition.section)) continue;
    const name = definition.section.channel;
    channels.push(
      await definition.create({
        config,
        db,
        inbound: core.inbound,
        outbox: core.outbox,
        catalog: core.catalog,
        storage: core.storage,
        uploadPolicy: core.uploadPolicy,
        links: core.links,
        rateLimits: core.rateLimits,
        signals: core.signals,
        secret: (secretName) => hubSecret(db, secretName),
        reportHealth: (problem) => core.integrationHealth.report(name, problem),
        metrics: core.metrics,
        logger: logger.child({ channel: name }),
      }),
    );
  }
  return channels;
}

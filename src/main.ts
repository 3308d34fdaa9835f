import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config';
import { startHub, type Role } from './hub';
import { createLogger } from './infra/logger';
import { RedisNotInstalledError } from './infra/redis/private-server';
import { StartupError } from './startup/steps';

const ROLES: readonly Role[] = ['api', 'worker', 'all'];

function fail(message: string): never {
  process.stderr.write(`switchboard: ${message}\n`);
  process.exit(1);
}

/** `node dist/main.js [--role api|worker|all]`: starts the hub until SIGTERM or SIGINT. */
export async function main(): Promise<void> {
  let role: Role = 'all';
  try {
    const { values } = parseArgs({ options: { role: { type: 'string', default: 'all' } }, strict: true });
    if (!ROLES.includes(values.role as Role)) fail(`--role must be one of ${ROLES.join(', ')} (got ${values.role})`);
    role = values.role as Role;
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }

  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }

  const logger = createLogger(config.logLevel);
  let hub;
  try {
    hub = await startHub(config, role, logger, process.env.PATH ?? '');
  } catch (error) {
    const cause = error instanceof StartupError ? error.cause : error;
    if (cause instanceof RedisNotInstalledError) fail(cause.message);
    logger.fatal({ err: error }, 'start-up failed');
    fail(error instanceof Error ? error.message : String(error));
  }
  logger.info({ role }, 'switchboard is running');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    hub.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'stopping failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, configTableMarkdown, describeConfig, loadConfig, type Config } from '../../config';
import { CLI } from '../core/actor';
import { API_KEY_SCOPES, createApiKey, listApiKeys, revokeApiKey } from '../core/api-keys';
import { Database } from '../core/database';
import { AppError } from '../core/errors';
import type { ApiKeyScope } from '../core/model/types';
import { describeDatabase, migrate, openDatabase } from '../infra/db/data-source';
import { createAgent, findAgent, listAgents } from '../core/agents/agents';
import { DEMO_WEBSITE_KEY } from '../core/websites/demo';
import { SLACK_TARGET } from '../channels/slack/name';
import { seedDemo } from './seed-demo';
import { websiteCommands } from './websites';

function write(line: string): void {
  process.stdout.write(`${line}\n`);
}

function parseScopes(value: string): ApiKeyScope[] {
  const scopes = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = scopes.filter((s) => !(API_KEY_SCOPES as readonly string[]).includes(s));
  if (scopes.length === 0 || unknown.length > 0) throw new InvalidArgumentError(`scopes are a comma-separated list of ${API_KEY_SCOPES.join(', ')}`);
  return scopes as ApiKeyScope[];
}

/** Opens and migrates the database for one command, and closes it afterwards. */
async function withDatabase<T>(config: Config, work: (db: Database) => Promise<T>): Promise<T> {
  const dataSource = await openDatabase(config);
  try {
    await migrate(dataSource);
    return await work(new Database(dataSource));
  } finally {
    await dataSource.destroy();
  }
}

// Long on purpose: the command table of the CLI, one short declaration per command.
export function buildCli(config: () => Config): Command {
  const program = new Command('hub').description('Switchboard administration: npm run hub -- <command>').showHelpAfterError();

  program
    .command('migrate')
    .description('apply pending database migrations (the hub also does this at start)')
    .action(async () => {
      const dataSource = await openDatabase(config());
      try {
        const applied = await migrate(dataSource);
        write(applied.length ? `applied ${applied.join(', ')} to ${describeDatabase(config())}` : `${describeDatabase(config())} is up to date`);
      } finally {
        await dataSource.destroy();
      }
    });

  const apiKey = program.command('api-key').description('create, list and revoke API keys');
  apiKey
    .command('create')
    .description('create an API key; the key is printed once and only its hash is stored')
    .requiredOption('--name <name>', 'what the key is for, e.g. "CRM sync"')
    .option('--scopes <scopes>', `comma-separated: ${API_KEY_SCOPES.join(', ')}`, parseScopes, ['read', 'write'] as ApiKeyScope[])
    .option('--agent <id-or-email>', 'the agent the key acts as (assignee "me", replies signed by them)')
    .action(async (options: { name: string; scopes: ApiKeyScope[]; agent?: string }) => {
      const { key, apiKey: created } = await withDatabase(config(), async (db) => {
        const agentId = options.agent ? (await findAgent(db, options.agent)).id : null;
        return createApiKey(db, { name: options.name, scopes: options.scopes, agentId });
      });
      write(key);
      process.stderr.write(`API key "${created.name}" (id ${created.id}, scopes ${created.scopes.join(',')}). Store it now: it cannot be shown again.\n`);
    });
  apiKey
    .command('list')
    .description('list API keys (prefix, name, scopes, last use; never the keys)')
    .action(async () => {
      const keys = await withDatabase(config(), listApiKeys);
      if (keys.length === 0) write('no API keys; create one with: npm run hub -- api-key create --name NAME');
      for (const key of keys) {
        const state = key.revokedAt ? `revoked ${key.revokedAt.toISOString()}` : 'active';
        write([key.id, `${key.prefix}…`, JSON.stringify(key.name), key.scopes.join(','), state, `last used ${key.lastUsedAt?.toISOString() ?? 'never'}`].join('  '));
      }
    });
  apiKey
    .command('revoke')
    .description('revoke an API key by its id or visible prefix; requests with it get 401 once running hubs read it again (API_KEY_CACHE_TTL_MS)')
    .argument('<id-or-prefix>')
    .action(async (idOrPrefix: string) => {
      const revoked = await withDatabase(config(), (db) => revokeApiKey(db, idOrPrefix));
      write(`revoked ${revoked.prefix}… (${revoked.name})`);
    });

  const agent = program.command('agent').description('add and list agents');
  agent
    .command('add')
    .description('add an agent (then: api-key create --agent EMAIL for a key that acts as them)')
    .requiredOption('--name <name>', "the agent's name")
    .requiredOption('--email <email>', "the agent's email")
    .option('--slack-user <id>', 'their Slack user id, e.g. U012AB3CD')
    .action(async (options: { name: string; email: string; slackUser?: string }) => {
      const created = await withDatabase(config(), (db) =>
        createAgent(db, { name: options.name, email: options.email.toLowerCase(), ...(options.slackUser ? { accounts: { [SLACK_TARGET]: options.slackUser } } : {}) }, CLI),
      );
      write(`added agent ${created.name} <${created.email}> (id ${created.id})`);
    });
  agent
    .command('list')
    .description('list agents')
    .action(async () => {
      const agents = await withDatabase(config(), listAgents);
      if (agents.length === 0) write('no agents; add one with: npm run hub -- agent add --name NAME --email EMAIL');
      for (const a of agents) write([a.id, JSON.stringify(a.name), a.email, a.status, a.accounts[SLACK_TARGET] ?? '-'].join('  '));
    });

  websiteCommands(program, config, withDatabase);

  program
    .command('config')
    .description('print the effective configuration, secrets redacted')
    .option('--markdown', "print the table of every setting, its default and description (the README's table)")
    .action((options: { markdown?: boolean }) => {
      if (options.markdown) {
        write(configTableMarkdown());
        return;
      }
      for (const { env, value } of describeConfig(config())) write(`${env}=${value}`);
    });

  program
    .command('seed-demo')
    .description('add a few demo contacts and conversations, and the demo website of /demo (safe to run twice)')
    .action(async () => {
      const cfg = config();
      const added = await withDatabase(cfg, (db) => seedDemo(db, { publicUrl: cfg.publicUrl, port: cfg.port }));
      const what = [...(added.messages > 0 ? [`${added.messages} demo messages`] : []), ...(added.website ? [`the demo website (key ${DEMO_WEBSITE_KEY})`] : [])];
      write(`${what.length > 0 ? `added ${what.join(' and ')}` : 'the demo data is already there'}; start the hub and open ${cfg.publicUrl}/demo`);
    });

  return program;
}

export async function main(): Promise<void> {
  const config = () => {
    try {
      return loadConfig();
    } catch (error) {
      if (error instanceof ConfigError) {
        process.stderr.write(`hub: ${error.message}\n`);
        process.exit(1);
      }
      throw error;
    }
  };
  try {
    await buildCli(config).parseAsync(process.argv);
  } catch (error) {
    process.stderr.write(`hub: ${error instanceof AppError || error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

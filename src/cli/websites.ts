import { InvalidArgumentError, type Command } from 'commander';
import type { Config } from '../../config';
import { parseInput } from '../http/validation';
import { websiteCreateInput } from '../channels/widget/http/website-input';
import { CLI } from '../core/actor';
import { listTeams } from '../core/agents/teams';
import type { Database } from '../core/database';
import { NotFoundError } from '../core/errors';
import { WIDGET_CHANNEL } from '../channels/widget/name';
import { createWebsite, listWebsites, widgetSnippet } from '../core/websites/websites';

type WithDatabase = <T>(config: Config, work: (db: Database) => Promise<T>) => Promise<T>;

interface CreateOptions {
  name: string;
  origin: string[];
  color?: string;
  team?: string;
  greeting?: string;
  awayMessage?: string;
  position?: string;
  locale?: string;
  requireVerifiedIdentity?: boolean;
  preChatForm?: boolean;
  pageViews: boolean;
}

function write(line: string): void {
  process.stdout.write(`${line}\n`);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A team by id or by name, for `--team`. */
async function teamIdOf(db: Database, idOrName: string): Promise<string> {
  if (UUID.test(idOrName)) return idOrName.toLowerCase();
  const team = (await listTeams(db)).find((t) => t.name === idOrName);
  if (!team) throw new NotFoundError(`Team ${idOrName}`);
  return team.id;
}

/** `website create` and `website list`: the sites that embed the chat widget. */
export function websiteCommands(program: Command, config: () => Config, withDatabase: WithDatabase): void {
  const website = program.command('website').description('create and list the websites that embed the chat widget');
  website
    .command('create')
    .description('create a website; prints its key, its identity secret and the script tag to put on its pages')
    .requiredOption('--name <name>', 'what the site is called, e.g. "Shop"')
    .option('--origin <url>', 'a page origin that may use the widget (repeat for several), e.g. https://shop.example.com or https://*.example.com', collect, [])
    .option('--color <#rrggbb>', 'the launcher colour')
    .option('--team <id-or-name>', "the team that gets the site's conversations (and whose agents make it online)")
    .option('--greeting <text>', 'shown when the panel opens')
    .option('--away-message <text>', 'shown with the offline form when nobody is online')
    .option('--position <left|right>', 'corner of the launcher (default right)')
    .option('--locale <en|fr>', "the widget's language (default: the page's, then the browser's)")
    .option('--require-verified-identity', 'refuse identify without a valid hash')
    .option('--pre-chat-form', 'ask for name and email before the first message')
    .option('--no-page-views', 'do not record the pages visitors see')
    .action(async (options: CreateOptions) => {
      if (options.origin.length === 0) throw new InvalidArgumentError('--origin is required: the page origins that may use the widget, e.g. --origin https://shop.example.com');
      const cfg = config();
      const created = await withDatabase(cfg, async (db) => {
        const input = parseInput(
          websiteCreateInput,
          {
            name: options.name,
            allowedOrigins: options.origin,
            color: options.color,
            teamId: options.team === undefined ? undefined : await teamIdOf(db, options.team),
            greeting: options.greeting,
            awayMessage: options.awayMessage,
            position: options.position,
            locale: options.locale,
            requireVerifiedIdentity: options.requireVerifiedIdentity,
            preChatForm: options.preChatForm,
            recordPageViews: options.pageViews,
          },
          'Website',
        );
        return createWebsite(db, WIDGET_CHANNEL, input, CLI);
      });
      write(`created website ${JSON.stringify(created.name)} (id ${created.id}) for ${created.allowedOrigins.join(', ')}`);
      write(`key: ${created.key}`);
      write(`identity secret: ${created.identitySecret}  (keep it on your server: it signs user ids for identify)`);
      write("put this tag on the website's pages:");
      write(widgetSnippet(cfg.publicUrl, created.key));
    });
  website
    .command('list')
    .description('list websites (id, key, name, allowed origins, team)')
    .action(async () => {
      const websites = await withDatabase(config(), listWebsites);
      if (websites.length === 0) write('no websites; create one with: npm run hub -- website create --name NAME --origin https://shop.example.com');
      for (const w of websites) write([w.id, w.key, JSON.stringify(w.name), w.allowedOrigins.join(','), w.teamId ?? '-'].join('  '));
    });
}

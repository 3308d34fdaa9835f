import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import pino from 'pino';
import { In } from 'typeorm';
import { settings } from '../../config';
import { insertRows, repo } from '../../src/core/model/schemas';
import { startHub, type Hub } from '../../src/hub';
import { createTestEnvironment, ENGINES, type TestEnvironment } from '../support/env';

/**
 * `npm run hub -- <command>` as users run it: `node dist/cli.js` in a child process, with nothing but
 * the test environment's settings and PATH (`npm test` builds dist/ first).
 */

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.length > 0);
}

const COMMANDS = [[], ['migrate'], ['api-key'], ['api-key', 'create'], ['api-key', 'list'], ['api-key', 'revoke'], ['website'], ['website', 'create'], ['website', 'list'], ['config'], ['seed-demo']];

describe('hub CLI, without a database', () => {
  it('every command and subcommand has --help: exit 0, usage and a description, with no settings at all', async () => {
    const runs = await Promise.all(COMMANDS.map((command) => cli([...command, '--help'], {})));
    runs.forEach((run, i) => {
      const command = COMMANDS[i] ?? [];
      expect({ command, code: run.code, stderr: run.stderr }).toEqual({ command, code: 0, stderr: '' });
      const usage = /^Usage: hub(.*)\n\n(.+)\n/.exec(run.stdout);
      expect(usage?.[1]).toContain(command.join(' '));
      expect(usage?.[2]?.length).toBeGreaterThan(10);
    });
  });

  it('lists every command in the top-level help', async () => {
    const run = await cli(['--help'], {});
    for (const command of ['migrate', 'api-key', 'website', 'config', 'seed-demo']) expect(run.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
  });

  it('config prints every setting with secrets redacted', async () => {
    const environment = createTestEnvironment('sqlite');
    try {
      const run = await cli(['config'], {
        ...environment.env,
        DATABASE_URL: 'postgres://hub:hunter2@db.internal:5432/hub',
        REDIS_URL: 'redis://:s3cret@cache.internal:6379',
        PORT: '4321',
      });
      expect(run).toMatchObject({ code: 0, stderr: '' });
      const printed = new Map(lines(run.stdout).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
      expect([...printed.keys()]).toEqual(Object.values(settings).map((s) => s.env));
      expect(printed.get('DATABASE_URL')).toBe('postgres://hub:***@db.internal:5432/hub');
      expect(printed.get('REDIS_URL')).toBe('redis://:***@cache.internal:6379');
      expect(printed.get('PORT')).toBe('4321');
      expect(printed.get('PUBLIC_URL')).toBe('http://localhost:4321');
      expect(printed.get('DATA_DIR')).toBe(environment.dataDir);
      expect(run.stdout).not.toMatch(/hunter2|s3cret/);
    } finally {
      await environment.cleanup();
    }
  });

  it('a bad setting makes any command exit 1 with one line naming the setting', async () => {
    const cases: [string[], Record<string, string>, string][] = [
      [['migrate'], { PORT: 'abc' }, 'PORT'],
      [['config'], { LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
      [['api-key', 'list'], { DATABASE_URL: 'mysql://hub:hunter2@db/hub' }, 'DATABASE_URL'],
      [['seed-demo'], { MESSAGE_MAX_LENGTH: '0' }, 'MESSAGE_MAX_LENGTH'],
    ];
    const environment = createTestEnvironment('sqlite');
    try {
      const runs = await Promise.all(cases.map(([command, bad]) => cli(command, { ...environment.env, ...bad })));
      runs.forEach((run, i) => {
        const [command, , name] = cases[i] ?? [[], {}, ''];
        expect({ command, code: run.code, stdout: run.stdout, lines: lines(run.stderr).length }).toEqual({ command, code: 1, stdout: '', lines: 1 });
        expect(run.stderr).toContain(name);
        expect(run.stderr).not.toContain('hunter2');
        expect(run.stderr).not.toMatch(/\n\s+at\s/);
      });
    } finally {
      await environment.cleanup();
    }
  });
});

describe.each(ENGINES)('hub CLI on %s', (engine) => {
  let environment: TestEnvironment;
  let hub: Hub | undefined;
  let key = '';

  beforeAll(() => {
    // The CLI revokes from another process, which the hub hears of once its cached keys expire: with no
    // cache that is the next request (tests/integration/api-key-cache.test.ts covers the TTL).
    environment = createTestEnvironment(engine, { API_KEY_CACHE_TTL_MS: '0' });
  });
  afterAll(async () => {
    await hub?.stop();
    await environment.cleanup();
  });

  /** A hub on the same database and Redis prefix as the CLI, started once the CLI has migrated it. */
  async function runningHub(): Promise<Hub> {
    hub ??= await startHub(environment.config, 'api', pino({ level: 'silent' }), process.env.PATH ?? '');
    return hub;
  }

  async function inbound(bearer: string, sourceId: string): Promise<number> {
    const { url } = await runningHub();
    const res = await fetch(`${url ?? ''}/api/v1/inbound`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sourceId, contact: { email: 'cli@example.com' }, body: 'from the CLI test' }),
    });
    await res.arrayBuffer();
    return res.status;
  }

  it('migrate applies the migrations, and the second time says the database is up to date', async () => {
    const first = await cli(['migrate'], environment.env);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(engine === 'sqlite' ? /^applied \S.* to sqlite:/ : /^applied \S.* to postgres:/);
    const second = await cli(['migrate'], environment.env);
    expect(second).toMatchObject({ code: 0, stderr: '' });
    expect(lines(second.stdout)).toEqual([expect.stringMatching(/ is up to date$/) as unknown]);
  });

  it('api-key create prints exactly one line, the key, which a hub on the same database accepts', async () => {
    const run = await cli(['api-key', 'create', '--name', 'CRM sync'], environment.env);
    expect(run.code).toBe(0);
    expect(lines(run.stdout)).toHaveLength(1);
    expect(run.stdout).toMatch(/^sb_[A-Za-z0-9_-]{20,}\n$/);
    key = run.stdout.trim();
    // What the key is and that it is shown once goes to stderr, so `$(npm run hub -- api-key create ...)` is the key.
    expect(run.stderr).toContain('CRM sync');
    expect(run.stderr).not.toContain(key);
    expect(await inbound(key, 'cli-1')).toBe(202);
    const stored = await repo((await runningHub()).db.manager, 'ApiKey').findOneByOrFail({ name: 'CRM sync' });
    expect(stored.hash).not.toContain(key);
    expect(key.startsWith(stored.prefix)).toBe(true);
  });

  it('api-key create --scopes read makes a key that may not write; --scopes bogus exits 1 and creates nothing', async () => {
    const reader = await cli(['api-key', 'create', '--name', 'reader', '--scopes', 'read'], environment.env);
    expect(reader.code).toBe(0);
    expect(await inbound(reader.stdout.trim(), 'cli-read')).toBe(403);

    const [bogus, missingName] = await Promise.all([cli(['api-key', 'create', '--name', 'bogus', '--scopes', 'bogus'], environment.env), cli(['api-key', 'create'], environment.env)]);
    expect(bogus.code).toBe(1);
    expect(bogus.stdout).toBe('');
    expect(bogus.stderr).toMatch(/scopes/);
    expect(missingName.code).toBe(1);
    expect(missingName.stderr).toMatch(/--name/);
    expect(await repo((await runningHub()).db.manager, 'ApiKey').countBy({ name: 'bogus' })).toBe(0);
  });

  it('api-key list shows each key by its prefix, never the key itself', async () => {
    const run = await cli(['api-key', 'list'], environment.env);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const line = lines(run.stdout).find((l) => l.includes('"CRM sync"'));
    expect(line).toBeDefined();
    expect(line).toContain(key.slice(0, 12));
    expect(line).toContain('active');
    expect(run.stdout).not.toContain(key);
    expect(lines(run.stdout).some((l) => l.includes('"reader"'))).toBe(true);
  });

  it('api-key revoke <prefix> makes the key get 401 from then on', async () => {
    const prefix = key.slice(0, 12);
    const run = await cli(['api-key', 'revoke', prefix], environment.env);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain(prefix);
    expect(await inbound(key, 'cli-2')).toBe(401);
    const [listed, unknown] = await Promise.all([cli(['api-key', 'list'], environment.env), cli(['api-key', 'revoke', 'sb_nosuchkey'], environment.env)]);
    expect(lines(listed.stdout).find((l) => l.includes('"CRM sync"'))).toMatch(/revoked/);

    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/not found/);
    expect(unknown.stderr).not.toMatch(/\n\s+at\s/);
  });

  it('seed-demo adds demo conversations and the demo website once; the second run says they are already there', async () => {
    // The demo website allows the origins the hub is reached at: PUBLIC_URL's, and localhost on PORT.
    const env = { ...environment.env, PUBLIC_URL: 'https://support.example.com', PORT: '4321' };
    const first = await cli(['seed-demo'], env);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/^added \d+ demo messages and the demo website \(key wk_demo\); start the hub and open https:\/\/support\.example\.com\/demo\n$/);
    const second = await cli(['seed-demo'], env);
    expect(second).toMatchObject({ code: 0, stderr: '' });
    expect(second.stdout).toMatch(/already there/);
    const websites = await repo((await runningHub()).db.manager, 'Website').findBy({ key: 'wk_demo' });
    expect(websites).toHaveLength(1);
    expect(websites[0]).toMatchObject({ name: 'Demo shop', allowedOrigins: ['https://support.example.com', 'http://localhost:4321', 'http://127.0.0.1:4321'] });
    const audit = await repo((await runningHub()).db.manager, 'AuditEntry').findBy({ entityType: 'website', entityId: websites[0]?.id });
    expect(audit.map((entry) => [entry.action, entry.actorType])).toEqual([['website.created', 'cli']]);

    const manager = (await runningHub()).db.manager;
    const messages = await repo(manager, 'Message').find({ where: { externalId: In(['demo-1', 'demo-2', 'demo-3', 'demo-4']) } });
    expect(messages).toHaveLength(Number(/^added (\d+)/.exec(first.stdout)?.[1]));
    const contacts = await repo(manager, 'Contact').findBy({ id: In(messages.map((m) => m.senderId ?? '')) });
    expect(contacts.length).toBeGreaterThanOrEqual(2);
    expect(contacts.every((c) => c.name !== null)).toBe(true);
    const conversations = await repo(manager, 'Conversation').findBy({ id: In(messages.map((m) => m.conversationId)) });
    expect(conversations.length).toBeGreaterThanOrEqual(2);
    // A second message of the same person joined that person's conversation.
    expect(conversations.length).toBeLessThan(messages.length);
  });

  it('website create prints the key, the identity secret and the script tag, and stores the website with its team', async () => {
    const manager = (await runningHub()).db.manager;
    const now = new Date();
    await insertRows(manager, 'Team', { id: randomUUID(), name: 'Web support', followUpDelayHours: null, transcriptOnResolve: null, createdAt: now, updatedAt: now });
    const env = { ...environment.env, PUBLIC_URL: 'https://hub.example.com' };
    const run = await cli(
      ['website', 'create', '--name', 'Shop', '--origin', 'https://Shop.example.com', '--origin', 'https://*.example.com', '--color', '#0F766E', '--team', 'Web support', '--greeting', 'Hi!', '--away-message', 'Back at 9', '--position', 'left', '--locale', 'fr', '--require-verified-identity', '--pre-chat-form', '--no-page-views'],
      env,
    );
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const key = /^key: (wk_[A-Za-z0-9_-]{24})$/m.exec(run.stdout)?.[1] ?? '';
    const secret = /^identity secret: ([0-9a-f]{64})\b/m.exec(run.stdout)?.[1] ?? '';
    expect(key).not.toBe('');
    expect(secret).not.toBe('');
    expect(lines(run.stdout)).toContain(`<script src="https://hub.example.com/widget.js" data-website="${key}" async></script>`);

    const website = await repo(manager, 'Website').findOneByOrFail({ key });
    const team = await repo(manager, 'Team').findOneByOrFail({ name: 'Web support' });
    expect(website).toMatchObject({
      name: 'Shop',
      allowedOrigins: ['https://shop.example.com', 'https://*.example.com'],
      color: '#0f766e',
      teamId: team.id,
      greeting: 'Hi!',
      awayMessage: 'Back at 9',
      position: 'left',
      locale: 'fr',
      identitySecret: secret,
      requireVerifiedIdentity: true,
      preChatForm: true,
      recordPageViews: false,
      keepQueryStrings: false,
    });
    expect(await repo(manager, 'Inbox').findOneByOrFail({ channel: 'widget', address: website.id })).toMatchObject({ teamId: team.id });
    const audit = await repo(manager, 'AuditEntry').findBy({ entityType: 'website', entityId: website.id });
    expect(audit.map((entry) => [entry.action, entry.actorType])).toEqual([['website.created', 'cli']]);
    expect(JSON.stringify(audit)).not.toContain(secret);

    const listed = await cli(['website', 'list'], env);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect(lines(listed.stdout).find((line) => line.includes(key))).toBe([website.id, key, '"Shop"', 'https://shop.example.com,https://*.example.com', team.id].join('  '));
    expect(listed.stdout).not.toContain(secret);
  });

  it('website create refuses bad input with exit 1 and one line naming it, creating nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['--name', 'Bad'], /--origin/],
      [['--name', 'Bad', '--origin', 'https://shop.example.com/checkout'], /allowedOrigins\.0: "https:\/\/shop\.example\.com\/checkout" is not an origin/],
      [['--name', 'Bad', '--origin', 'https://shop.example.com', '--origin', 'shop'], /allowedOrigins\.1/],
      [['--name', 'Bad', '--origin', 'https://shop.example.com', '--color', 'teal'], /color/],
      [['--name', 'Bad', '--origin', 'https://shop.example.com', '--position', 'top'], /position/],
      [['--name', 'Bad', '--origin', 'https://shop.example.com', '--locale', 'de'], /locale/],
      [['--name', 'Bad', '--origin', 'https://shop.example.com', '--team', 'No such team'], /Team No such team was not found/],
      [['--name', 'Bad', '--origin', 'https://shop.example.com', '--team', randomUUID()], /teamId/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(['website', 'create', ...args], environment.env)));
    runs.forEach((run, i) => {
      const [args, message] = cases[i] ?? [[], /./];
      expect({ args, code: run.code, stdout: run.stdout, lines: lines(run.stderr).length }).toEqual({ args, code: 1, stdout: '', lines: 1 });
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at\s/);
    });
    expect(await repo((await runningHub()).db.manager, 'Website').countBy({ name: 'Bad' })).toBe(0);
  });
});

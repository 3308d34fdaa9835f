import { isAbsolute, resolve } from 'node:path';
import type { SectionRules } from './setting';
import { channelSections, settings, type Setting, type SettingName, type Settings } from './settings';

export { channelSections, settings } from './settings';
export type { ChannelSection, SectionRules } from './setting';

type ParsedSettings = { [K in SettingName]: Settings[K] extends Setting<infer T> ? T : never };

export type Config = Omit<ParsedSettings, 'publicUrl' | 'dataDir'> & {
  /** Always set: derived from PORT when PUBLIC_URL is not given. */
  readonly publicUrl: string;
  /** Absolute path. */
  readonly dataDir: string;
};

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    detail: string,
  ) {
    super(`Invalid setting ${setting}: ${detail}`);
    this.name = 'ConfigError';
  }
}

type Environment = Readonly<Record<string, string | undefined>>;

function parseSetting<T>(definition: Setting<T>, env: Environment): T {
  const raw = env[definition.env];
  const input = raw === undefined || raw === '' ? definition.default : raw;
  const result = definition.schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const detail = issue?.code === 'invalid_type' && input === undefined ? 'is required' : (issue?.message ?? 'is invalid');
    throw new ConfigError(definition.env, `${detail} (got ${raw === undefined ? 'nothing' : JSON.stringify(definition.secret ? '***' : raw)})`);
  }
  return result.data;
}

const envOf = (name: string): string => (settings as Record<string, Setting<unknown>>)[name]?.env ?? name;

/** Refuses a channel's settings given in part: some of those that turn it on, or one without those it needs. */
function checkSection(section: SectionRules, values: Readonly<Record<string, unknown>>): void {
  const isSet = (name: string) => values[name] !== undefined;
  const given = section.turnsOn.filter(isSet);
  const missing = section.turnsOn.find((name) => !isSet(name));
  if (given.length > 0 && missing) throw new ConfigError(envOf(missing), `is required with ${given.map(envOf).join(' and ')} (the ${section.channel} channel)`);
  for (const [name, needed = []] of Object.entries(section.requiredWith ?? {})) {
    const absent = isSet(name) ? needed.find((other) => !isSet(other)) : undefined;
    if (absent) throw new ConfigError(envOf(absent), `is required when ${envOf(name)} is set`);
  }
}

/** Whether the configuration turns a channel on: every setting that turns it on is set. */
export function isChannelOn(config: Config, section: SectionRules): boolean {
  return section.turnsOn.every((name) => (config as unknown as Record<string, unknown>)[name] !== undefined);
}

/**
 * Builds the one typed configuration of the hub from the environment. This is the only place that
 * reads `process.env`; everything else receives the Config object.
 */
export function loadConfig(env: Environment = process.env, cwd: string = process.cwd()): Config {
  const parsed = {} as Record<string, unknown>;
  for (const [name, definition] of Object.entries(settings) as [SettingName, Setting<unknown>][]) {
    parsed[name] = parseSetting(definition, env);
  }
  const values = parsed as ParsedSettings;
  for (const section of channelSections) checkSection(section, values);
  return {
    ...values,
    publicUrl: values.publicUrl ?? `http://localhost:${values.port}`,
    dataDir: isAbsolute(values.dataDir) ? values.dataDir : resolve(cwd, values.dataDir),
  };
}

function redactUrlPassword(value: string): string {
  // Only a URL keeps what is not its password; any other secret (`user:password`, a token) is hidden whole.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return '***';
  try {
    const url = new URL(value);
    // pg and ioredis also take the password as a query parameter.
    const passwordParams = [...url.searchParams.keys()].filter((key) => key.toLowerCase() === 'password');
    if (!url.password && passwordParams.length === 0) return value;
    if (url.password) url.password = '***';
    for (const key of passwordParams) url.searchParams.set(key, '***');
    return url.toString();
  } catch {
    return '***';
  }
}

/** The effective configuration as `ENV_NAME → value`, with secrets redacted, for `hub config`. */
export function describeConfig(config: Config): { env: string; value: string; description: string }[] {
  return (Object.entries(settings) as [SettingName, Setting<unknown>][]).map(([name, definition]) => {
    const value: unknown = config[name];
    const text = value === undefined ? '' : definition.show ? definition.show(value) : typeof value === 'string' ? value : JSON.stringify(value);
    return {
      env: definition.env,
      value: definition.secret && text ? redactUrlPassword(text) : text,
      description: definition.description,
    };
  });
}

/** The settings as a Markdown table (env var, default, description): the README's configuration table. */
export function configTableMarkdown(): string {
  const rows = (Object.values(settings) as Setting<unknown>[]).map((definition) => {
    const fallback = definition.default === undefined ? '(unset)' : definition.default === '' ? '(empty)' : `\`${definition.default}\``;
    return `| \`${definition.env}\` | ${fallback} | ${definition.description.replace(/\|/g, '\\|')} |`;
  });
  return ['| Variable | Default | What it does |', '| --- | --- | --- |', ...rows].join('\n');
}

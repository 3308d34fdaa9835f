import { isAbsolute, resolve } from 'node:path';
import { settings, type Setting, type SettingName, type Settings } from './settings';

export { settings } from './settings';

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
  if (values.apiChannelWebhookUrl && !values.apiChannelWebhookSecret) {
    throw new ConfigError('API_CHANNEL_WEBHOOK_SECRET', 'is required when API_CHANNEL_WEBHOOK_URL is set');
  }
  if (Boolean(values.twilioAccountSid) !== Boolean(values.twilioAuthToken)) {
    throw new ConfigError(values.twilioAccountSid ? 'TWILIO_AUTH_TOKEN' : 'TWILIO_ACCOUNT_SID', 'is required with the other Twilio credential');
  }
  const slack = [values.slackBotToken, values.slackSigningSecret, values.slackDefaultChannel];
  if (slack.some(Boolean) && !slack.every(Boolean)) {
    const missing = (['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_DEFAULT_CHANNEL'] as const).filter((_, i) => !slack[i]);
    throw new ConfigError(missing[0] ?? 'SLACK_BOT_TOKEN', 'is required with the other Slack settings');
  }
  return {
    ...values,
    publicUrl: values.publicUrl ?? `http://localhost:${values.port}`,
    dataDir: isAbsolute(values.dataDir) ? values.dataDir : resolve(cwd, values.dataDir),
  };
}

function redactUrlPassword(value: string): string {
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

import { z } from 'zod';

/**
 * Every setting of the hub: the environment variable that sets it, its default (written as one would
 * type it in the environment) and what it does. The README's configuration table is generated from this
 * list and a test keeps the two in step.
 */
export interface Setting<T> {
  readonly env: string;
  readonly description: string;
  readonly schema: z.ZodType<T, string | undefined>;
  readonly default?: string;
  /** Secrets are redacted by `hub config` and never logged. */
  readonly secret?: boolean;
  /** How `hub config` writes a parsed value that is not a plain string, number or boolean. */
  readonly show?: (value: T) => string;
}

function setting<T>(definition: Setting<T>): Setting<T> {
  return definition;
}

const boolean = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v));
const integer = (min: number, max: number) => z.string().regex(/^-?\d+$/, 'expected a whole number').transform(Number).pipe(z.number().min(min).max(max));
const url = (protocols: string[]) =>
  z.url({ protocol: new RegExp(`^(${protocols.join('|')})$`), error: `expected a ${protocols.join(' or ')} URL` });

export const settings = {
  port: setting({ env: 'PORT', description: 'HTTP port the API, widget and webhooks listen on.', schema: integer(0, 65535), default: '3000' }),
  host: setting({ env: 'HOST', description: 'Interface to listen on.', schema: z.string().min(1), default: '0.0.0.0' }),
  publicUrl: setting({
    env: 'PUBLIC_URL',
    description: 'Address the outside world uses to reach the hub (webhook signatures are computed on it). Defaults to http://localhost:PORT.',
    schema: url(['http', 'https']).transform((v) => v.replace(/\/+$/, '')).optional(),
  }),
  trustProxy: setting({
    env: 'TRUST_PROXY',
    description: 'Trust X-Forwarded-* headers from a reverse proxy in front of the hub.',
    schema: boolean,
    default: 'false',
  }),
  dataDir: setting({ env: 'DATA_DIR', description: 'Folder for the embedded SQLite database, the private Redis and uploads.', schema: z.string().min(1), default: './data' }),
  databaseUrl: setting({
    env: 'DATABASE_URL',
    description: 'PostgreSQL URL (postgres://user:pass@host/db). Unset: SQLite at $DATA_DIR/hub.sqlite.',
    schema: url(['postgres', 'postgresql']).optional(),
    secret: true,
  }),
  databaseSchema: setting({
    env: 'DATABASE_SCHEMA',
    description: 'PostgreSQL schema that holds the tables (created when missing).',
    schema: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'expected a lower-case SQL identifier'),
    default: 'public',
  }),
  redisUrl: setting({
    env: 'REDIS_URL',
    description: 'Redis URL. Unset: redis://127.0.0.1:6379 when it answers, else a private redis-server under $DATA_DIR/redis.',
    schema: url(['redis', 'rediss']).optional(),
    secret: true,
  }),
  redisPrefix: setting({
    env: 'REDIS_PREFIX',
    description: 'Prefix of every Redis key, queue and channel, so several hubs can share one Redis.',
    schema: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected letters, digits, dot, dash or underscore'),
    default: 'switchboard',
  }),
  logLevel: setting({
    env: 'LOG_LEVEL',
    description: 'Log level: fatal, error, warn, info, debug, trace or silent.',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    default: 'info',
  }),
  httpBodyLimitBytes: setting({
    env: 'HTTP_BODY_LIMIT_BYTES',
    description: 'Largest accepted JSON request body, in bytes; larger ones get 413.',
    schema: integer(1024, 50 * 1024 * 1024),
    default: '1048576',
  }),
  messageMaxLength: setting({
    env: 'MESSAGE_MAX_LENGTH',
    description: 'Longest accepted message text, in characters.',
    schema: integer(1, 1_000_000),
    default: '10000',
  }),
  defaultPhoneRegion: setting({
    env: 'DEFAULT_PHONE_REGION',
    description: 'ISO country (e.g. US, DE) for phone numbers written without +country code. Unset: such numbers are refused.',
    schema: z.string().regex(/^[A-Z]{2}$/, 'expected a two-letter ISO country code').optional(),
  }),
  reopenWindowHours: setting({
    env: 'CONVERSATION_REOPEN_WINDOW_HOURS',
    description: 'A customer message within this many hours of resolution reopens the conversation; later ones open a new one.',
    schema: integer(0, 24 * 365),
    default: '24',
  }),
  contactAttributesMaxBytes: setting({
    env: 'CONTACT_ATTRIBUTES_MAX_BYTES',
    description: "Largest size of a contact's custom attributes, as JSON, in bytes.",
    schema: integer(256, 1024 * 1024),
    default: '16384',
  }),
  eventRetentionMinutes: setting({
    env: 'EVENT_RETENTION_MINUTES',
    description: 'How long live events are kept so that a client reconnecting with Last-Event-ID gets what it missed.',
    schema: integer(1, 7 * 24 * 60),
    default: '10',
  }),
  sseHeartbeatSeconds: setting({
    env: 'SSE_HEARTBEAT_SECONDS',
    description: 'Interval of the heartbeat comments that keep proxies from closing idle event streams.',
    schema: integer(1, 300),
    default: '15',
  }),
  apiChannelWebhookUrl: setting({
    env: 'API_CHANNEL_WEBHOOK_URL',
    description: 'Where agent replies to API-channel conversations are POSTed (signed per Standard Webhooks). Unset: replies are only on the event stream.',
    schema: url(['http', 'https']).optional(),
  }),
  apiChannelWebhookSecret: setting({
    env: 'API_CHANNEL_WEBHOOK_SECRET',
    description: 'Standard Webhooks signing secret (whsec_ followed by base64) for API-channel deliveries; required with API_CHANNEL_WEBHOOK_URL.',
    schema: z.string().regex(/^(whsec_)?[A-Za-z0-9+/]{16,}={0,2}$/, 'expected whsec_ followed by base64').optional(),
    secret: true,
  }),
  uploadMaxBytes: setting({
    env: 'UPLOAD_MAX_BYTES',
    description: 'Largest file the hub stores (widget uploads, MMS media, API uploads), in bytes.',
    schema: integer(1024, 100 * 1024 * 1024),
    default: '10485760',
  }),
  uploadAllowedTypes: setting({
    env: 'UPLOAD_ALLOWED_TYPES',
    description: 'Comma-separated file types the hub stores, checked on the bytes, not the name. SVG and HTML are always refused.',
    schema: z
      .string()
      .transform((v) => v.split(',').map((type) => type.trim().toLowerCase()).filter(Boolean))
      .pipe(z.array(z.string().regex(/^[a-z]+\/[a-z0-9.+-]+$/, 'expected MIME types like image/png')).min(1)),
    show: (types) => types.join(','),
    default: 'image/jpeg,image/png,image/gif,image/webp,application/pdf,text/plain,audio/mpeg,video/mp4,application/vnd.openxmlformats-officedocument.wordprocessingml.document,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  }),
  fileLinkTtlSeconds: setting({
    env: 'FILE_LINK_TTL_SECONDS',
    description: 'How long a signed link to a stored file (e.g. an MMS attachment handed to Twilio) stays valid.',
    schema: integer(10, 7 * 24 * 3600),
    default: '900',
  }),
  demoPage: setting({
    env: 'DEMO_PAGE',
    description: 'Serve GET /demo: a page with the chat widget of the demo website (wk_demo, created when missing) and how to answer as an agent.',
    schema: boolean,
    default: 'true',
  }),
  widgetMessagesPerMinutePerVisitor: setting({
    env: 'WIDGET_MESSAGES_PER_MINUTE_PER_VISITOR',
    description: 'Web chat: messages (and offline-form messages) one visitor may send per minute; more get 429 with Retry-After.',
    schema: integer(1, 100_000),
    default: '20',
  }),
  widgetMessagesPerMinutePerIp: setting({
    env: 'WIDGET_MESSAGES_PER_MINUTE_PER_IP',
    description: 'Web chat: messages all visitors behind one IP address may send per minute.',
    schema: integer(1, 1_000_000),
    default: '60',
  }),
  widgetConversationsPerHourPerVisitor: setting({
    env: 'WIDGET_CONVERSATIONS_PER_HOUR_PER_VISITOR',
    description: 'Web chat: messages that open a conversation (the visitor has none open) one visitor may send per hour.',
    schema: integer(1, 100_000),
    default: '5',
  }),
  widgetConversationsPerHourPerIp: setting({
    env: 'WIDGET_CONVERSATIONS_PER_HOUR_PER_IP',
    description: 'Web chat: messages that open a conversation, per hour, from one IP address.',
    schema: integer(1, 1_000_000),
    default: '20',
  }),
  widgetUploadsPerHourPerVisitor: setting({
    env: 'WIDGET_UPLOADS_PER_HOUR_PER_VISITOR',
    description: 'Web chat: attachments one visitor may upload per hour.',
    schema: integer(1, 100_000),
    default: '20',
  }),
  widgetUploadsPerHourPerIp: setting({
    env: 'WIDGET_UPLOADS_PER_HOUR_PER_IP',
    description: 'Web chat: attachments uploaded per hour from one IP address.',
    schema: integer(1, 1_000_000),
    default: '60',
  }),
  widgetVisitorsPerHourPerIp: setting({
    env: 'WIDGET_VISITORS_PER_HOUR_PER_IP',
    description: 'Web chat: new anonymous visitors (a browser opening the chat for the first time) per hour from one IP address.',
    schema: integer(1, 1_000_000),
    default: '30',
  }),
  widgetPageViewsPerHourPerVisitor: setting({
    env: 'WIDGET_PAGE_VIEWS_PER_HOUR_PER_VISITOR',
    description: 'Web chat: page views one visitor may record per hour; more are refused (and not recorded).',
    schema: integer(1, 100_000),
    default: '600',
  }),
  twilioAccountSid: setting({
    env: 'TWILIO_ACCOUNT_SID',
    description: 'Twilio account SID (AC...). With TWILIO_AUTH_TOKEN it turns the SMS channel on.',
    schema: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'expected AC followed by 32 hex digits').optional(),
  }),
  twilioAuthToken: setting({
    env: 'TWILIO_AUTH_TOKEN',
    description: "Twilio auth token: signs Twilio's webhooks and authenticates the hub's requests to Twilio.",
    schema: z.string().regex(/^[0-9a-zA-Z]{16,64}$/, 'expected the 32-character auth token').optional(),
    secret: true,
  }),
  twilioNumbers: setting({
    env: 'TWILIO_NUMBERS',
    description: 'Comma-separated Twilio numbers in E.164, each optionally =Team name (e.g. +15550100=Support,+15550101). Also managed with /api/v1/sms-numbers.',
    schema: z
      .string()
      .transform((v) => v.split(',').map((entry) => entry.trim()).filter(Boolean))
      .pipe(
        z.array(
          z
            .string()
            .regex(/^\+[1-9]\d{6,14}(=.{1,200})?$/, 'expected +E.164 numbers, each optionally =Team name')
            .transform((entry) => {
              const [address = '', teamName] = entry.split(/=(.*)/s, 2);
              return { address, teamName: teamName?.trim() || undefined };
            }),
        ),
      ),
    default: '',
    show: (numbers) => numbers.map(({ address, teamName }) => (teamName ? `${address}=${teamName}` : address)).join(','),
  }),
  twilioApiUrl: setting({
    env: 'TWILIO_API_URL',
    description: "Base URL of Twilio's REST API; tests point it at a local emulator.",
    schema: url(['http', 'https']).transform((v) => v.replace(/\/+$/, '')),
    default: 'https://api.twilio.com',
  }),
  smsHelpReply: setting({
    env: 'SMS_HELP_REPLY',
    description: 'The answer to a customer texting HELP (carriers require one).',
    schema: z.string().min(1).max(1600),
    default: 'You are texting our support team; we answer here. Reply STOP to stop messages, START to resume.',
  }),
  slackBotToken: setting({
    env: 'SLACK_BOT_TOKEN',
    description: "The Slack app's bot token (xoxb-...). With SLACK_SIGNING_SECRET and SLACK_DEFAULT_CHANNEL it turns the Slack channel on.",
    schema: z.string().regex(/^xox[bp]-[A-Za-z0-9-]{10,}$/, 'expected a bot token like xoxb-...').optional(),
    secret: true,
  }),
  slackSigningSecret: setting({
    env: 'SLACK_SIGNING_SECRET',
    description: "The Slack app's signing secret: requests to /slack/events are checked with it.",
    schema: z.string().regex(/^[0-9a-fA-F]{16,64}$/, 'expected the hex signing secret').optional(),
    secret: true,
  }),
  slackDefaultChannel: setting({
    env: 'SLACK_DEFAULT_CHANNEL',
    description: "Slack channel id (C...) where conversations get their thread, unless their team has a channel of its own.",
    schema: z.string().regex(/^[CG][A-Z0-9]{6,20}$/, 'expected a channel id like C0123ABCD').optional(),
  }),
  slackApiUrl: setting({
    env: 'SLACK_API_URL',
    description: "Base URL of Slack's Web API; tests point it at a local emulator.",
    schema: url(['http', 'https']).transform((v) => (v.endsWith('/') ? v : `${v}/`)),
    default: 'https://slack.com/api/',
  }),
  slackAutoCreateAgents: setting({
    env: 'SLACK_AUTO_CREATE_AGENTS',
    description: "Make anyone who answers in a conversation's Slack thread an agent (name and email from their Slack profile) when no agent has their Slack user id or email. Off: they are told to ask an admin.",
    schema: boolean,
    default: 'false',
  }),
  slackNotePrefix: setting({
    env: 'SLACK_NOTE_PREFIX',
    description: "A message in a conversation's Slack thread that starts with this (any case) is a private note, not sent to the customer.",
    schema: z.string().trim().min(1).max(32),
    default: 'note:',
  }),
  slackCommand: setting({
    env: 'SLACK_COMMAND',
    description: "The slash command agents type in Slack (list, resolve, reopen, assign, snooze); create it with the same name in the Slack app.",
    schema: z.string().regex(/^\/[a-z0-9_-]{1,31}$/, 'expected a slash command like /switchboard'),
    default: '/switchboard',
  }),
  deliveryTimeoutMs: setting({
    env: 'DELIVERY_TIMEOUT_MS',
    description: 'How long one delivery attempt to a channel may take before it counts as failed and is retried.',
    schema: integer(100, 120_000),
    default: '10000',
  }),
  deliveryAttempts: setting({
    env: 'DELIVERY_ATTEMPTS',
    description: 'Attempts to deliver a reply (with exponential backoff) before it is marked failed.',
    schema: integer(1, 50),
    default: '8',
  }),
  outboxRelayIntervalMs: setting({
    env: 'OUTBOX_RELAY_INTERVAL_MS',
    description: 'How often the relay looks for outbox rows that were not published to Redis.',
    schema: integer(50, 60_000),
    default: '1000',
  }),
  workerConcurrency: setting({
    env: 'WORKER_CONCURRENCY',
    description: 'Jobs each worker process runs at once, per queue.',
    schema: integer(1, 1000),
    default: '20',
  }),
  shutdownTimeoutMs: setting({
    env: 'SHUTDOWN_TIMEOUT_MS',
    description: 'On SIGTERM, how long running requests and jobs may take to finish.',
    schema: integer(0, 600_000),
    default: '10000',
  }),
};

export type Settings = typeof settings;
export type SettingName = keyof Settings;

import { z } from 'zod';
import { apiChannelSection } from './channels/api';
import { crmSection } from './channels/crm';
import { emailSection } from './channels/email';
import { slackSection } from './channels/slack';
import { smsSection } from './channels/sms';
import { widgetSection } from './channels/widget';
import { boolean, decimal, integer, setting, url } from './setting';

export type { Setting } from './setting';

/**
 * Every setting of the hub: the environment variable that sets it, its default (written as one would
 * type it in the environment) and what it does; each channel's own settings come from its section in
 * config/channels/. The README's configuration table is generated from this list and a test keeps the
 * two in step.
 */

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
  dbGroupCommitMaxWaitMs: setting({
    env: 'DB_GROUP_COMMIT_MAX_WAIT_MS',
    description: 'Group commit: how long a write waits for others to share its transaction (and its commit) with; 0 turns group commit off.',
    schema: integer(0, 100),
    default: '2',
  }),
  dbGroupCommitMaxBatch: setting({
    env: 'DB_GROUP_COMMIT_MAX_BATCH',
    description: 'Group commit: the most writes one transaction takes; a batch that is full starts at once. 0 turns group commit off.',
    schema: integer(0, 1000),
    default: '64',
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
  followUpDelayHours: setting({
    env: 'FOLLOW_UP_DELAY_HOURS',
    description: "Hours after resolution until the customer gets a follow-up asking how we did (fractions allowed), unless the conversation's team or website says otherwise; 0: none.",
    schema: decimal(0, 720),
    default: '24',
  }),
  followUpLinkTtlDays: setting({
    env: 'FOLLOW_UP_LINK_TTL_DAYS',
    description: "How long the one-click rating links of a follow-up keep working, in days (unsubscribe links never expire).",
    schema: integer(1, 365),
    default: '30',
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
  apiKeyCacheTtlMs: setting({
    env: 'API_KEY_CACHE_TTL_MS',
    description: 'How long each process trusts an API key it has checked before reading it again; 0: every request reads it. A key revoked from another process (the CLI) may keep working on this one for up to this long.',
    schema: integer(0, 600_000),
    default: '5000',
  }),
  ...apiChannelSection.settings,
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
  ...widgetSection.settings,
  ...smsSection.settings,
  ...slackSection.settings,
  ...emailSection.settings,
  ...crmSection.settings,
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
  deliveryConcurrency: setting({
    env: 'DELIVERY_CONCURRENCY',
    description: "Replies each worker process sends at once. A send mostly waits on the channel's API, so this is set apart from (and higher than) WORKER_CONCURRENCY.",
    schema: integer(1, 1000),
    default: '64',
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

/** Each channel's section of the settings, in the order of the channel list. */
export const channelSections = [apiChannelSection, widgetSection, smsSection, slackSection, emailSection, crmSection] as const;

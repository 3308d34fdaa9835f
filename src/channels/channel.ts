import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { Config, SectionRules } from '../../config';
import type { ChannelCatalog } from '../core/channels/catalog';
import type { Database } from '../core/database';
import type { FileLinks } from '../core/files/links';
import type { UploadPolicy } from '../core/files/uploads';
import type { Inbound } from '../core/inbound';
import type { Outbox } from '../core/outbox';
import type { ChannelAdapter } from '../core/ports/channel-adapter';
import type { ChannelJobs } from '../core/ports/channel-jobs';
import type { EventSubscriber } from '../core/ports/event-subscriber';
import type { FileStorage } from '../core/ports/file-storage';
import type { LiveFeed } from '../core/ports/live-feed';
import type { ConversationMirror } from '../core/ports/mirror';
import type { RateLimits } from '../core/ports/rate-limits';
import type { Signals } from '../core/ports/signals';
import type { RouteSpec } from '../http/route';
import type { Metrics } from '../infra/metrics';

/** What the composition root hands every channel it creates. */
export interface ChannelContext {
  config: Config;
  db: Database;
  /** Where the channel hands what it received, once verified: messages, receipts, ignored events. */
  inbound: Inbound;
  /** For the channel's own durable jobs (`enqueue` onto its `jobs` queue). */
  outbox: Outbox;
  /** What each sending channel can carry (complete once every channel is created). */
  catalog: ChannelCatalog;
  storage: FileStorage;
  uploadPolicy: UploadPolicy;
  links: FileLinks;
  rateLimits: RateLimits;
  signals: Signals;
  /** A secret of the hub's own, the same in every process (signing tokens, links). */
  secret: (name: string) => Promise<Buffer>;
  /** Reports an outside service's trouble (undefined: all well) for /readyz; true when it changed. */
  reportHealth: (problem: string | undefined) => Promise<boolean>;
  /** The hub's Prometheus metrics, where a channel counts what only it sees (webhook deliveries). */
  metrics: Metrics;
  /** The channel's logger (with `channel` set). */
  logger: Logger;
}

/** WebSocket endpoints a channel serves; the HTTP server hands it the upgrade requests for its path. */
export interface ChannelSockets {
  /** The exact pathname upgrades are accepted on. */
  readonly path: string;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every socket; the hub calls it right after the HTTP server stops taking connections. */
  close(): Promise<void>;
}

/** What a channel serves over HTTP, built only in the processes that serve HTTP. */
export interface ChannelHttp {
  /** REST routes under /api/v1, behind API-key authentication and documented in the OpenAPI document. */
  readonly apiRoutes?: readonly RouteSpec[];
  /** Routes mounted at the root, for webhooks and browsers that carry their own checks. */
  readonly webhookRoutes?: Router;
  readonly sockets?: ChannelSockets;
}

/**
 * Something long-lived a channel runs to receive (an SMTP server, a poller): started in the processes
 * that receive (not the worker role) after migrations, stopped in reverse order before the database.
 */
export interface ChannelListener {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A channel as the composition root runs it. Each part is optional: a channel verifies and normalizes
 * what it receives and hands it to core as InboundEvents; nothing outside its folder knows its vendor.
 */
export interface ChannelModule {
  readonly name: string;
  /** Sends replies to customers on this channel, and says what the channel can carry. */
  readonly adapter?: ChannelAdapter;
  /** Keeps a copy of every conversation where agents work (Slack threads). */
  readonly mirror?: ConversationMirror;
  /** Work this channel does in the workers rather than in a request. */
  readonly jobs?: ChannelJobs;
  /** Domain events the channel follows in the workers (a CRM's webhooks). */
  readonly subscribers?: readonly EventSubscriber[];
  readonly listeners?: readonly ChannelListener[];
  /** Its HTTP side; `live` follows this process's live events (for sockets). */
  http?(live: LiveFeed): ChannelHttp;
}

/**
 * One line of the channel list: the channel's config section (which settings turn it on) and how to
 * create it. `create` runs only when the section is on, so a vendor's SDK is loaded only then.
 */
export interface ChannelDefinition {
  readonly section: SectionRules;
  create(context: ChannelContext): Promise<ChannelModule>;
}

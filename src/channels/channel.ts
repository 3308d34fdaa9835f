import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Router } from 'express';
import type { RouteSpec } from '../http/route';
import type { ChannelAdapter } from '../core/ports/channel-adapter';
import type { ChannelJobs } from '../core/ports/channel-jobs';
import type { ConversationMirror } from '../core/ports/mirror';

/** WebSocket endpoints a channel serves; the HTTP server hands it the upgrade requests for its path. */
export interface ChannelSockets {
  /** The exact pathname upgrades are accepted on. */
  readonly path: string;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every socket; the hub calls it before it closes the HTTP server. */
  close(): Promise<void>;
}

/**
 * A channel as the composition root registers it: its inbound HTTP routes. Each channel verifies and
 * normalizes its own requests and hands them to core; nothing outside its folder knows its vendor.
 */
export interface ChannelModule {
  readonly name: string;
  /** REST routes under /api/v1, behind API-key authentication and documented in the OpenAPI document. */
  readonly apiRoutes?: readonly RouteSpec[];
  /** Routes mounted at the root, for webhooks that carry their own signatures. */
  readonly webhookRoutes?: Router;
  /** Sends replies to customers on this channel. */
  readonly adapter?: ChannelAdapter;
  /** Keeps a copy of every conversation where agents work (Slack threads). */
  readonly mirror?: ConversationMirror;
  /** Work this channel does in the workers rather than in a request. */
  readonly jobs?: ChannelJobs;
  /** WebSocket endpoints (processes that serve HTTP only). */
  readonly sockets?: ChannelSockets;
}

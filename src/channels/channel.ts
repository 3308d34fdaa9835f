import type { Router } from 'express';

/**
 * A channel as the composition root registers it: its inbound HTTP routes. Each channel verifies and
 * normalizes its own requests and hands them to core; nothing outside its folder knows its vendor.
 */
export interface ChannelModule {
  readonly name: string;
  /** Routes mounted under /api/v1, behind API-key authentication. */
  readonly apiRoutes?: Router;
  /** Routes mounted at the root, for webhooks that carry their own signatures. */
  readonly webhookRoutes?: Router;
}

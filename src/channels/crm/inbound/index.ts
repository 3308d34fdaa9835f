import { Router } from 'express';
import type { ChannelContext } from '../../channel';

// Placeholder until the inbound side lands.
export function crmInboundRoutes(_context: ChannelContext): Router {
  return Router();
}

import { Router } from 'express';
import { jsonBody } from '../../../http/json-body';
import { pageOrigin } from '../page-origin';
import { conversationRoutes } from './conversations';
import type { WidgetHttpDeps } from './deps';
import { messageRoutes } from './messages';
import { pageViewRoutes } from './page-views';
import { visitorRoutes } from './visitors';
import { requireVisitor } from './visitor-auth';

export const WIDGET_HTTP_PREFIX = '/widget/v1';

/**
 * `/widget/v1`: what a visitor's browser asks of the hub. Every request is checked against its website's
 * allowed origins first, then (but for `settings` and `visitors`) its visitor token.
 */
export function widgetRouter(deps: WidgetHttpDeps & { bodyLimitBytes: number }): Router {
  const use = { json: jsonBody(deps.bodyLimitBytes), visitor: requireVisitor(deps.db, deps.tokens) };
  const router = Router();
  router.use(WIDGET_HTTP_PREFIX, pageOrigin(deps.db), visitorRoutes(deps, use), messageRoutes(deps, use), pageViewRoutes(deps, use), conversationRoutes(deps, use));
  return router;
}

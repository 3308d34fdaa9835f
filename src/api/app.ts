import express, { Router, type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { ApiKeyAuthenticator } from '../core/api-keys';
import type { Metrics } from '../infra/metrics';
import { healthRoutes, type ReadinessCheck } from './health';
import { requireApiKey } from '../http/auth';
import { errorHandler, notFound } from '../http/errors';
import { requestLineGuard } from '../http/input-guards';
import { requestLog } from '../http/request-log';
import { jsonBody } from '../http/json-body';
import { ApiRoutes, type RouteSpec } from '../http/route';
import { buildOpenApi, OPENAPI_PATH } from './openapi';

export interface AppOptions {
  /** Checks the bearer key of every /api/v1 request. */
  apiKeys: ApiKeyAuthenticator;
  logger: Logger;
  metrics: Metrics;
  readiness: Record<string, ReadinessCheck>;
  /** What the outside integrations' (Slack's) last calls found: listed by /readyz, never making it fail. */
  integrations?: () => Promise<Record<string, string>>;
  /** Routers mounted at the root that carry their own checks: channels' webhooks, signed file links. */
  rootRoutes?: readonly Router[];
  /** Every REST route under /api/v1, the channels' included. */
  routes: readonly RouteSpec[];
  bodyLimitBytes: number;
  trustProxy: boolean;
  publicUrl: string;
  version: string;
}

/** Records request durations by route template (`/api/v1/conversations/:id`, not each id). */
function httpMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const end = metrics.httpDuration.startTimer({ method: req.method });
    res.on('finish', () => {
      // API routes name their template when they match: an error leaving a router restores req.baseUrl,
      // so by now a failed POST /api/v1/inbound would read as "/inbound".
      const matched = req.route as { path: string } | undefined;
      const route = res.locals.routeTemplate ?? (matched ? `${req.baseUrl}${matched.path}` : 'unmatched');
      end({ route, status: String(res.statusCode) });
    });
    next();
  };
}

export function createApp(options: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy);
  app.use(requestLog(options.logger));
  app.use(httpMetrics(options.metrics));
  app.use(helmet());
  // Before every router, the channels' included: no route sees a path or query it cannot decode.
  app.use(requestLineGuard);
  app.use(healthRoutes(options.readiness, options.metrics, options.integrations));

  for (const router of options.rootRoutes ?? []) app.use(router);

  const routes = new ApiRoutes().add(...options.routes);
  const openApi = buildOpenApi(routes, options.version, options.publicUrl);

  app.get(OPENAPI_PATH, (_req, res) => {
    res.json(openApi);
  });
  const v1 = Router();
  v1.use(requireApiKey(options.apiKeys));
  v1.use(routes.uploadParsers('/api/v1'));
  v1.use(jsonBody(options.bodyLimitBytes));
  v1.use(routes.router('/api/v1'));
  app.use('/api/v1', v1);

  app.use(notFound);
  app.use(errorHandler);
  return app;
}

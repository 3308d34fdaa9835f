import { Router } from 'express';
import type { Metrics } from '../infra/metrics';

export type ReadinessCheck = () => Promise<void>;

/**
 * `/healthz` (the process answers), `/readyz` (its database and Redis answer) and `/metrics`. Outside
 * integrations (Slack) are listed under `integrations` in /readyz: their trouble is shown there, but
 * does not make the hub unready, since customers' messages still flow.
 */
export function healthRoutes(checks: Record<string, ReadinessCheck>, metrics: Metrics, integrations?: () => Promise<Record<string, string>>): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await check();
          return [name, 'ok'] as const;
        } catch (error) {
          return [name, error instanceof Error ? error.message : String(error)] as const;
        }
      }),
    );
    const failed = results.filter(([, result]) => result !== 'ok').map(([name]) => name);
    const details = Object.fromEntries(results);
    if (failed.length === 0) {
      res.json({ status: 'ready', checks: details, ...(integrations ? { integrations: await integrations().catch(() => ({})) } : {}) });
      return;
    }
    res.status(503).json({ error: { code: 'not_ready', message: `Not ready: ${failed.join(', ')} not answering.`, details } });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}

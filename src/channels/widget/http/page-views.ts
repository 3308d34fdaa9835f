import { Router } from 'express';
import { recordPageView, recordTimeOnPage } from '../../../core/page-views/record';
import { parseInput } from '../../../http/validation';
import type { WidgetHttpDeps, WidgetMiddleware } from './deps';
import { idParams, pageViewInput, timeOnPageInput } from './inputs';
import { clientIp, visitorOf } from './visitor-auth';

/** `page-views`: the pages a visitor browses, so that agents see where they were. */
export function pageViewRoutes(deps: WidgetHttpDeps, use: WidgetMiddleware): Router {
  const { db, rateLimits } = deps;
  const router = Router();

  router.post('/page-views', use.visitor, ...use.json, async (req, res) => {
    const visitor = visitorOf(res);
    const input = parseInput(pageViewInput, req.body);
    // A website that records no page views costs its visitors no rate-limit points for them.
    if (visitor.website.recordPageViews) await rateLimits.take(['pageViews'], { visitorId: visitor.identity.id, ip: clientIp(req) });
    const view = await recordPageView(db, visitor, { url: input.url, title: input.title, referrer: input.referrer || undefined });
    if (view) res.status(201).json({ id: view.id });
    else res.status(204).end();
  });

  router.patch('/page-views/:id', use.visitor, ...use.json, async (req, res) => {
    const { id } = parseInput(idParams, req.params, 'Path parameters');
    const { seconds } = parseInput(timeOnPageInput, req.body);
    await recordTimeOnPage(db, visitorOf(res), id, seconds);
    res.status(204).end();
  });

  return router;
}

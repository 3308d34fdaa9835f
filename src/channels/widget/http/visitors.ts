import { Router } from 'express';
import type { Website } from '../../../core/model/types';
import { identifyVisitor } from '../../../core/visitors/identify';
import { saveVisitorProfile } from '../../../core/visitors/profile';
import { createVisitor } from '../../../core/visitors/visitors';
import { WIDGET_CHANNEL } from '../name';
import { isWebsiteOnline } from '../../../core/websites/presence';
import { parseInput } from '../../../http/validation';
import type { VisitorSession, WidgetSettings } from '../protocol';
import type { WidgetHttpDeps, WidgetMiddleware } from './deps';
import { identifyInput, profileInput } from './inputs';
import { rateLimited, visitorOf, websiteOf } from './visitor-auth';

/** What the offline form says when the website wrote nothing of its own, in the website's language. */
const DEFAULT_AWAY_MESSAGE = {
  en: 'We are away right now. Leave your email and your question, and we will answer by email.',
  fr: 'Nous sommes absents pour le moment. Laissez votre e-mail et votre question : nous vous répondrons par e-mail.',
};

function settingsOf(website: Website, online: boolean, { uploadPolicy }: WidgetHttpDeps): WidgetSettings {
  return {
    name: website.name,
    color: website.color,
    greeting: website.greeting,
    position: website.position,
    locale: website.locale,
    preChatForm: website.preChatForm,
    requireVerifiedIdentity: website.requireVerifiedIdentity,
    recordPageViews: website.recordPageViews,
    online,
    awayMessage: website.awayMessage ?? DEFAULT_AWAY_MESSAGE[website.locale ?? 'en'],
    attachments: { maxBytes: uploadPolicy.maxBytes, allowedTypes: [...uploadPolicy.allowedTypes] },
  };
}

/** `settings`, `visitors`, `identify` and `profile`: who the visitor is. */
export function visitorRoutes(deps: WidgetHttpDeps, use: WidgetMiddleware): Router {
  const { db, tokens } = deps;
  const router = Router();

  router.get('/settings', async (_req, res) => {
    const website = websiteOf(res);
    res.json(settingsOf(website, await isWebsiteOnline(db, website), deps));
  });

  router.post('/visitors', rateLimited(deps.rateLimits, 'visitors'), async (_req, res) => {
    const website = websiteOf(res);
    const identity = await createVisitor(deps, WIDGET_CHANNEL);
    const session: VisitorSession = { token: tokens.issue({ identityId: identity.id, websiteId: website.id, userId: null }), visitorId: identity.address, userId: null };
    res.status(201).json(session);
  });

  router.post('/identify', use.visitor, ...use.json, async (req, res) => {
    const visitor = visitorOf(res);
    const input = parseInput(identifyInput, req.body);
    const { userId } = await identifyVisitor({ db, outbox: deps.outbox }, visitor, { userId: input.id, hash: input.hash, name: input.name, email: input.email });
    const session: VisitorSession = { token: tokens.issue({ identityId: visitor.identity.id, websiteId: visitor.website.id, userId }), visitorId: visitor.identity.address, userId };
    res.json(session);
  });

  router.post('/profile', use.visitor, ...use.json, async (req, res) => {
    const visitor = visitorOf(res);
    const profile = parseInput(profileInput, req.body);
    await saveVisitorProfile(deps, visitor.contactId, profile);
    res.status(204).end();
  });

  return router;
}

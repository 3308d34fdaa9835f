import { Router } from 'express';
import { actorOfContact } from '../../../core/actor';
import { rateConversation } from '../../../core/conversations/ratings';
import { conversationTranscript } from '../../../core/conversations/transcript';
import { findVisibleConversation } from '../../../core/visitors/scope';
import { parseInput } from '../../../http/validation';
import type { WidgetHttpDeps, WidgetMiddleware } from './deps';
import { idParams, ratingInput } from './inputs';
import { visitorOf } from './visitor-auth';

/** `conversations/:id/rating` and `conversations/:id/transcript`: what the visitor does once a conversation is resolved. */
export function conversationRoutes(deps: WidgetHttpDeps, use: WidgetMiddleware): Router {
  const { db } = deps;
  const router = Router();

  router.put('/conversations/:id/rating', use.visitor, ...use.json, async (req, res) => {
    const visitor = visitorOf(res);
    const { id } = parseInput(idParams, req.params, 'Path parameters');
    const input = parseInput(ratingInput, req.body);
    const conversation = await findVisibleConversation(db, visitor.scope, id);
    res.locals.conversationId = id;
    const rating = await rateConversation(db, conversation.id, { score: input.score, comment: input.comment ?? null }, actorOfContact(visitor.contactId));
    res.json({ rating: { score: rating.score, comment: rating.comment } });
  });

  router.get('/conversations/:id/transcript', use.visitor, async (req, res) => {
    const visitor = visitorOf(res);
    const { id } = parseInput(idParams, req.params, 'Path parameters');
    const conversation = await findVisibleConversation(db, visitor.scope, id);
    res.locals.conversationId = id;
    const html = await conversationTranscript(db, conversation, visitor.website.name);
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="transcript-${conversation.id}.html"`);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // Opened from disk or in a tab, the page runs nothing and loads nothing; its own inline styles only.
    res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox");
    res.status(200).send(html);
  });

  return router;
}

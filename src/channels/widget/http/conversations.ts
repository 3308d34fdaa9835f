import { Router } from 'express';
import { actorOfContact } from '../../../core/actor';
import { rateConversation } from '../../../core/conversations/ratings';
import { conversationTranscript } from '../../../core/conversations/transcript';
import { ConflictError } from '../../../core/errors';
import { requestTranscript } from '../../../core/follow-ups/transcript-requests';
import { repo } from '../../../core/model/schemas';
import { findVisibleConversation } from '../../../core/visitors/scope';
import { sendTranscript } from '../../../http/send-file';
import { parseInput } from '../../../http/validation';
import type { TranscriptEmailed } from '../protocol';
import type { WidgetHttpDeps, WidgetMiddleware } from './deps';
import { idParams, ratingInput } from './inputs';
import { rateLimited, visitorOf } from './visitor-auth';

/**
 * `conversations/:id/rating`, `conversations/:id/transcript` and `conversations/:id/transcript/email`:
 * what the visitor does once a conversation is resolved.
 */
export function conversationRoutes(deps: WidgetHttpDeps, use: WidgetMiddleware): Router {
  const { db } = deps;
  const router = Router();

  router.put('/conversations/:id/rating', use.visitor, ...use.json, async (req, res) => {
    const visitor = visitorOf(res);
    const { id } = parseInput(idParams, req.params, 'Path parameters');
    const input = parseInput(ratingInput, req.body);
    const conversation = await findVisibleConversation(db, visitor.scope, id);
    res.locals.conversationId = id;
    const rating = await rateConversation({ db, outbox: deps.outbox }, conversation.id, { score: input.score, comment: input.comment ?? null }, actorOfContact(visitor.contactId));
    res.json({ rating: { score: rating.score, comment: rating.comment } });
  });

  router.get('/conversations/:id/transcript', use.visitor, async (req, res) => {
    const visitor = visitorOf(res);
    const { id } = parseInput(idParams, req.params, 'Path parameters');
    const conversation = await findVisibleConversation(db, visitor.scope, id);
    res.locals.conversationId = id;
    sendTranscript(res, conversation.id, { format: 'html', text: await conversationTranscript(db, conversation, visitor.website.name) });
  });

  // Each request is a mail: counted like a message, so a button pressed in a loop mails nobody a hundred times.
  router.post('/conversations/:id/transcript/email', use.visitor, rateLimited(deps.rateLimits, 'messages'), async (req, res) => {
    const visitor = visitorOf(res);
    const { id } = parseInput(idParams, req.params, 'Path parameters');
    const conversation = await findVisibleConversation(db, visitor.scope, id);
    res.locals.conversationId = id;
    if (!deps.transcriptByEmail) throw new ConflictError('email_off', 'This hub sends no email: download the transcript instead.');
    const contact = await repo(db.manager, 'Contact').findOne({ where: { id: visitor.contactId }, select: { email: true } });
    if (!contact?.email) throw new ConflictError('no_email', 'Tell us your email address first: the transcript goes there.');
    await requestTranscript({ db, outbox: deps.outbox }, conversation.id, contact.email, actorOfContact(visitor.contactId));
    const body: TranscriptEmailed = { sentTo: contact.email };
    res.status(202).json(body);
  });

  return router;
}

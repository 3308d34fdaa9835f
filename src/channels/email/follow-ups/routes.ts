import express, { Router, type ErrorRequestHandler, type Request } from 'express';
import { z } from 'zod';
import { actorOfContact } from '../../../core/actor';
import { rateConversation, ratingsOf } from '../../../core/conversations/ratings';
import { AppError, ConflictError } from '../../../core/errors';
import { escapeHtml } from '../../../core/html';
import { recordUnsubscribe } from '../../../core/follow-ups/unsubscribes';
import { repo } from '../../../core/model/schemas';
import type { Rating } from '../../../core/model/types';
import { httpStatusOf } from '../../../http/errors';
import { storedText } from '../../../http/inputs';
import { parseInput } from '../../../http/validation';
import { ratingLink, RATINGS_PATH, UNSUBSCRIBE_PATH, type FollowUpContext } from './deps';
import { ratedPage, sendPage, unsubscribeConfirmPage, unsubscribedPage } from './pages';
import type { LinkCheck } from './tokens';

/** A link of the hub's mail that is not (or no longer) one: answered 404, whichever way it is wrong. */
class LinkError extends AppError {
  constructor(why: 'invalid' | 'expired') {
    super('not_found', why === 'expired' ? 'link_expired' : 'link_invalid', why === 'expired' ? 'This link has expired.' : 'This link is not valid.');
  }
}

function checked<T>(check: LinkCheck<T>): T {
  if (!check.ok) throw new LinkError(check.why);
  return check.value;
}

const tokenParams = z.object({ token: z.string().min(1).max(1000) });
const scoreQuery = z.object({ score: z.coerce.number().int().min(1).max(5) });
const commentForm = z.object({
  score: z.coerce.number().int().min(1).max(5),
  comment: storedText().trim().max(2000).optional(),
});

/** Forms as browsers post them; one-click unsubscribes too (RFC 8058: `List-Unsubscribe=One-Click`). */
const form = express.urlencoded({ extended: false, limit: '16kb' });

/** A browser (which asked for HTML) gets a page; anything else gets the JSON error shape from the app's one handler. */
const errorPages: ErrorRequestHandler = (error: unknown, req, res, next) => {
  if (!(error instanceof AppError) || req.accepts(['json', 'html']) !== 'html') {
    next(error);
    return;
  }
  const status = httpStatusOf(error);
  if (status >= 500) {
    next(error);
    return;
  }
  sendPage(res, status, error instanceof LinkError ? 'This link does not work' : 'That did not work', `<p>${escapeHtml(error.message)}</p>`);
};

/**
 * The pages the links of follow-up mail open, at the root (a browser follows them without any key; the
 * signed token is the authority): a score link records the rating (a second click with the same score
 * changes nothing, another score changes it) and offers the comment form; the unsubscribe link asks
 * to confirm, and its POST (the page's button, or a mail client's one-click) records it.
 */
export function followUpRoutes(context: FollowUpContext): Router {
  const { db, tokens } = context;
  const router = Router();

  async function followUpOf(req: Request): Promise<{ token: string; conversationId: string; contactId: string; rating: Rating | undefined }> {
    const { token } = parseInput(tokenParams, req.params, 'Path parameters');
    const followUpId = checked(tokens.checkRating(token));
    const followUp = await repo(db.manager, 'FollowUp').findOne({ where: { id: followUpId }, select: { conversationId: true } });
    const conversation = followUp ? await repo(db.manager, 'Conversation').findOne({ where: { id: followUp.conversationId }, select: { id: true, contactId: true } }) : null;
    if (!conversation) throw new LinkError('invalid');
    const rating = (await ratingsOf(db, [conversation])).get(conversation.id);
    return { token, conversationId: conversation.id, contactId: conversation.contactId, rating };
  }

  async function rate(conversationId: string, contactId: string, score: number, comment: string | null): Promise<Rating> {
    try {
      return await rateConversation(context, conversationId, { score, comment }, actorOfContact(contactId));
    } catch (error) {
      if (error instanceof ConflictError && error.code === 'conversation_not_resolved') {
        throw new ConflictError('conversation_not_resolved', 'This conversation was reopened; it can be rated again once it is resolved.');
      }
      throw error;
    }
  }

  const link = (token: string) => (score: number) => ratingLink('', token, score);

  router.get(`${RATINGS_PATH}/:token`, async (req, res) => {
    const { score } = parseInput(scoreQuery, req.query, 'Query parameters');
    const { token, conversationId, contactId, rating } = await followUpOf(req);
    res.locals.conversationId = conversationId;
    const kept = rating?.score === score ? rating : await rate(conversationId, contactId, score, rating?.comment ?? null);
    ratedPage(res, { action: `${RATINGS_PATH}/${token}`, ratingUrl: link(token), score: kept.score, comment: kept.comment, commented: false });
  });

  router.post(`${RATINGS_PATH}/:token`, form, async (req, res) => {
    const input = parseInput(commentForm, req.body ?? {}, 'Form');
    const { token, conversationId, contactId } = await followUpOf(req);
    res.locals.conversationId = conversationId;
    const rating = await rate(conversationId, contactId, input.score, input.comment || null);
    ratedPage(res, { action: `${RATINGS_PATH}/${token}`, ratingUrl: link(token), score: rating.score, comment: rating.comment, commented: true });
  });

  router.get(`${UNSUBSCRIBE_PATH}/:token`, (req, res) => {
    const { token } = parseInput(tokenParams, req.params, 'Path parameters');
    const address = checked(tokens.checkUnsubscribe(token));
    unsubscribeConfirmPage(res, { action: `${UNSUBSCRIBE_PATH}/${token}`, address });
  });

  router.post(`${UNSUBSCRIBE_PATH}/:token`, form, async (req, res) => {
    const { token } = parseInput(tokenParams, req.params, 'Path parameters');
    const address = checked(tokens.checkUnsubscribe(token));
    if (await recordUnsubscribe(db, context.sender.channel, address)) context.logger.info('an address unsubscribed from automatic mail');
    unsubscribedPage(res, address);
  });

  router.use([RATINGS_PATH, UNSUBSCRIBE_PATH], errorPages);
  return router;
}

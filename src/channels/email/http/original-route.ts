import type { Database } from '../../../core/database';
import { NotFoundError } from '../../../core/errors';
import { repo } from '../../../core/model/schemas';
import { idParams } from '../../../http/params';
import { route, type RouteSpec } from '../../../http/route';
import { sendDownload } from '../../../http/send-file';

/** `GET /api/v1/messages/:id/original`: a received mail exactly as it came, quoted history, signature and all. */
export function originalMailRoute({ db }: { db: Database }): RouteSpec {
  return route({
    method: 'get',
    path: '/messages/:id/original',
    operationId: 'getOriginalMail',
    summary: 'Download the original of a received email (raw MIME)',
    tag: 'Email',
    scope: 'read',
    params: idParams,
    errors: [404],
    responses: { 200: { description: 'The mail as received, with every header and part', contentType: 'message/rfc822' } },
    async handler({ params, req, res }) {
      const [message, original] = await Promise.all([
        repo(db.manager, 'Message').findOne({ where: { id: params.id }, select: { id: true, conversationId: true } }),
        repo(db.manager, 'MessageOriginal').findOneBy({ messageId: params.id }),
      ]);
      if (!message || !original) throw new NotFoundError('The original mail of this message');
      res.locals.conversationId = message.conversationId;
      await sendDownload(req, res, { name: `message-${message.id}.eml`, contentType: original.contentType, size: original.content.length, body: original.content });
      return undefined;
    },
  });
}

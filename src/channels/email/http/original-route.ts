import type { Database } from '../../../core/database';
import { NotFoundError } from '../../../core/errors';
import { repo } from '../../../core/model/schemas';
import type { FileStorage } from '../../../core/ports/file-storage';
import { idParams } from '../../../http/params';
import { route, type RouteSpec } from '../../../http/route';
import { sendStoredFile } from '../../../http/send-file';

/** `GET /api/v1/messages/:id/original`: a received mail exactly as it came, quoted history, signature and all. */
export function originalMailRoute({ db, storage }: { db: Database; storage: FileStorage }): RouteSpec {
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
      const message = await repo(db.manager, 'Message').findOneBy({ id: params.id });
      const key = message?.metadata.originalFileKey;
      const file = typeof key === 'string' ? await storage.open(key) : undefined;
      if (!message || !file) throw new NotFoundError('The original mail of this message');
      res.locals.conversationId = message.conversationId;
      await sendStoredFile(req, res, file, `message-${message.id}.eml`);
      return undefined;
    },
  });
}

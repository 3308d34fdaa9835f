import { pipeline } from 'node:stream/promises';
import type { Database } from '../../../core/database';
import { NotFoundError } from '../../../core/errors';
import { repo } from '../../../core/model/schemas';
import type { FileStorage } from '../../../core/ports/file-storage';
import { idParams } from '../../../http/params';
import { route, type RouteSpec } from '../../../http/route';

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
      res.setHeader('Content-Type', 'message/rfc822');
      res.setHeader('Content-Length', String(file.meta.size));
      res.setHeader('Content-Disposition', `attachment; filename="message-${message.id}.eml"`);
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
      res.status(200);
      try {
        await pipeline(file.stream, res);
      } catch (error) {
        req.log.debug({ err: error }, 'original mail download ended early');
      }
      return undefined;
    },
  });
}

import express, { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import { FileTooLargeError } from '../../../core/errors';
import { newId } from '../../../core/ids';
import { storeUpload } from '../../../core/files/uploads';
import { parseInput } from '../../../http/validation';
import { visitorHistory } from '../history';
import type { UploadedFile, WidgetHistory } from '../protocol';
import type { WidgetHttpDeps, WidgetMiddleware } from './deps';
import { historyQuery, offlineMessageInput, sendMessageInput, uploadQuery } from './inputs';
import { clientIp, rateLimited, visitorOf } from './visitor-auth';

/** `messages`, `history`, `uploads` and `offline`: what the visitor writes and reads. */
export function messageRoutes(deps: WidgetHttpDeps, use: WidgetMiddleware): Router {
  const { db, messages, views, links, uploadPolicy } = deps;
  const router = Router();
  const sendSchema = sendMessageInput(deps.messageMaxLength);
  const offlineSchema = offlineMessageInput(deps.messageMaxLength);

  router.post('/messages', use.visitor, ...use.json, async (req, res) => {
    const visitor = visitorOf(res);
    const input = parseInput(sendSchema, req.body);
    const sent = await messages.send(
      visitor,
      { clientId: input.clientId, body: input.body, fileKeys: input.attachments.map((a) => a.fileKey), metadata: input.pageUrl ? { pageUrl: input.pageUrl } : {} },
      clientIp(req),
    );
    res.locals.conversationId = sent.message.conversationId;
    res.status(sent.created ? 201 : 200).json({ message: sent.message });
  });

  router.get('/history', use.visitor, async (req, res) => {
    const { after } = parseInput(historyQuery, req.query, 'Query parameters');
    const history = await visitorHistory(db, views, visitorOf(res).scope, after);
    const body: WidgetHistory = { conversations: history.conversations, messages: history.messages };
    res.json(body);
  });

  const tooLarge: ErrorRequestHandler = (error: unknown, _req, _res, next) => {
    next((error as { type?: unknown } | null)?.type === 'entity.too.large' ? new FileTooLargeError(uploadPolicy.maxBytes) : error);
  };
  const upload: RequestHandler = async (req, res) => {
    const { name } = parseInput(uploadQuery, req.query, 'Query parameters');
    const bytes: unknown = req.body;
    const stored = await storeUpload(deps.storage, uploadPolicy, Buffer.isBuffer(bytes) ? bytes : Buffer.alloc(0), { name, contentType: req.get('content-type') });
    const file: UploadedFile = { fileKey: stored.fileKey, name: stored.name, contentType: stored.contentType, size: stored.size, url: links.signedUrl(stored.fileKey) };
    res.status(201).json(file);
  };
  // Counted before the body is read, so that a refused upload is not even received.
  router.post('/uploads', use.visitor, rateLimited(deps.rateLimits, 'uploads'), express.raw({ type: () => true, limit: uploadPolicy.maxBytes }), tooLarge, upload);

  router.post('/offline', use.visitor, ...use.json, async (req, res) => {
    const visitor = visitorOf(res);
    const input = parseInput(offlineSchema, req.body);
    const sent = await messages.send(
      visitor,
      // The offline form has no clientId of its own: each form sent is a message.
      { clientId: `offline-${newId()}`, body: input.message, fileKeys: [], metadata: { offline: true, email: input.email }, profile: { name: input.name, email: input.email } },
      clientIp(req),
    );
    res.locals.conversationId = sent.message.conversationId;
    res.status(201).json({ message: sent.message });
  });

  return router;
}

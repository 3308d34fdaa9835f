import express, { type RequestHandler } from 'express';
import { AppError } from '../core/errors';
import { jsonBodyGuard } from './input-guards';

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * JSON bodies only: anything else is 415 before it is read; too large is 413; malformed, too deep or
 * holding text no column can store (NUL, lone surrogates) is 400.
 */
export function jsonBody(limitBytes: number): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    // A Buffer body was read as bytes already, by an upload route's own parser.
    if (METHODS_WITH_BODY.has(req.method) && hasBody && !req.is('application/json') && !Buffer.isBuffer(req.body)) {
      throw new AppError('unsupported_type', 'unsupported_media_type', 'Send the request body as application/json.');
    }
    next();
  };
  return [requireJson, express.json({ limit: limitBytes, strict: true }), jsonBodyGuard];
}

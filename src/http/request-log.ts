import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { Level, Logger } from 'pino';

declare module 'http' {
  interface IncomingMessage {
    /** The request id (X-Request-Id). */
    id: string;
    /** The logger of this request: every line carries its id. */
    log: Logger;
  }
  interface ServerResponse {
    /** An unexpected error the response answered, for the request's log line. */
    err?: Error;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** 5xx are errors, 4xx worth knowing, the rest only when debugging. */
function levelOf(res: Response, error: Error | undefined): Level {
  if (error || res.statusCode >= 500) return 'error';
  return res.statusCode >= 400 ? 'info' : 'debug';
}

/**
 * A request id for every request (an incoming X-Request-Id when it is well-formed, else a new one, sent
 * back as X-Request-Id), `req.log` carrying it, and one line per request at `levelOf` its status, in
 * pino-http's shape (`req`, `res`, `responseTime`, "request completed" / "request errored") plus the
 * conversation a handler named. Its own rather than pino-http's because pino-http builds two child
 * loggers per request (serializing the request into both) before it knows whether the line will be
 * written; here the child is made when something logs, and the line only when its level is on.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', id);
    req.id = id;
    const described = { id, method: req.method, url: req.originalUrl };
    let child: Logger | undefined;
    Object.defineProperty(req, 'log', { configurable: true, enumerable: false, get: () => (child ??= logger.child({ req: described })) });
    const started = Date.now();
    const done = (): void => {
      res.off('finish', done);
      res.off('close', done);
      const error = res.err;
      const level = levelOf(res, error);
      if (!logger.isLevelEnabled(level)) return;
      const conversationId = res.locals.conversationId;
      const line = {
        req: described,
        res: { statusCode: res.statusCode },
        responseTime: Date.now() - started,
        ...(conversationId ? { conversationId } : {}),
        ...(error ? { err: error } : {}),
      };
      logger[level](line, error ? 'request errored' : res.writableFinished ? 'request completed' : 'request aborted');
    };
    res.on('finish', done);
    res.on('close', done);
    next();
  };
}

import type { Request, RequestHandler, Response } from 'express';
import type { Database } from '../../../core/database';
import type { Website } from '../../../core/model/types';
import type { RateLimitedAction, RateLimits } from '../../../core/ports/rate-limits';
import { loadVisitor, type Visitor } from '../../../core/visitors/visitors';
import { bearerTokenOf } from '../../../http/auth';
import { WIDGET_CHANNEL } from '../name';
import { InvalidVisitorTokenError } from '../errors';
import type { VisitorTokens } from '../tokens';

declare module 'express-serve-static-core' {
  interface Locals {
    /** The visitor a widget request's token names, once checked. */
    visitor?: Visitor;
  }
}

/** The website of a request that passed `pageOrigin`. */
export function websiteOf(res: Response): Website {
  const website = res.locals.website;
  if (!website) throw new Error('widget route mounted without pageOrigin');
  return website;
}

/** The visitor of a request that passed `requireVisitor`. */
export function visitorOf(res: Response): Visitor {
  const visitor = res.locals.visitor;
  if (!visitor) throw new Error('widget route mounted without requireVisitor');
  return visitor;
}

/** The client's address (behind a proxy only when TRUST_PROXY lets express read X-Forwarded-For). */
export function clientIp(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

/** `Authorization: Bearer <visitor token>` issued for this website, naming a visitor that still exists; else 401. */
export function requireVisitor(db: Database, tokens: VisitorTokens): RequestHandler {
  return async (req, res, next) => {
    const website = websiteOf(res);
    const token = bearerTokenOf(req);
    const claims = token ? tokens.verify(token) : undefined;
    if (claims?.websiteId !== website.id) throw new InvalidVisitorTokenError();
    const visitor = await loadVisitor(db, WIDGET_CHANNEL, website, claims);
    if (!visitor) throw new InvalidVisitorTokenError('The visitor of this token no longer exists: start a new visitor with POST /widget/v1/visitors.');
    res.locals.visitor = visitor;
    next();
  };
}

/** Counts the actions against the visitor's and the address's limits before the route does anything; 429 when over. */
export function rateLimited(rateLimits: RateLimits, action: RateLimitedAction): RequestHandler {
  return async (req, res, next) => {
    await rateLimits.take([action], { visitorId: res.locals.visitor?.identity.id, ip: clientIp(req) });
    next();
  };
}

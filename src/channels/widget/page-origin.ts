import type { IncomingHttpHeaders } from 'node:http';
import type { RequestHandler } from 'express';
import type { Database } from '../../core/database';
import { NotFoundError } from '../../core/errors';
import type { Website } from '../../core/model/types';
import { isAllowedOrigin, originOf } from '../../core/websites/origins';
import { findWebsiteByKey } from '../../core/websites/websites';
import { OriginNotAllowedError } from './errors';
import { WEBSITE_HEADER } from './protocol';

declare module 'express-serve-static-core' {
  interface Locals {
    /** The website a widget request is for, once its page origin checked out. */
    website?: Website;
  }
}

const WEBSITE_KEY = /^[A-Za-z0-9_-]{1,64}$/;
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * The page a request comes from: its Origin header, else the origin of its Referer. A same-origin GET
 * (the demo page, a site served by the hub) carries no Origin, and under `Referrer-Policy: no-referrer`
 * no Referer either; the browser's `Sec-Fetch-Site: same-origin`, which no script can set, then names
 * the hub's own origin, `self`.
 */
export function pageOriginOf(headers: IncomingHttpHeaders, self?: string): string | undefined {
  if (typeof headers.origin === 'string' && headers.origin !== 'null') return headers.origin;
  if (headers.referer) return originOf(headers.referer);
  return headers['sec-fetch-site'] === 'same-origin' ? self : undefined;
}

/** The website named by a key, when the page origin is one of its allowed origins; otherwise the error to answer. */
export async function websiteForPage(db: Database, key: string | undefined, origin: string | undefined): Promise<Website> {
  const website = key !== undefined && WEBSITE_KEY.test(key) ? await findWebsiteByKey(db, key) : null;
  if (!website) throw new NotFoundError(key === undefined ? `The website (${WEBSITE_HEADER} header or ?website=)` : `Website ${key}`);
  if (!isAllowedOrigin(website.allowedOrigins, origin)) throw new OriginNotAllowedError(origin);
  return website;
}

/**
 * In front of every `/widget/v1` request: finds the website (header or `?website=`), checks the page's
 * origin against the website's allowed origins and answers CORS for it, preflights included. Only an
 * allowed origin is echoed, so no other page can read an answer.
 */
export function pageOrigin(db: Database): RequestHandler {
  return async (req, res, next) => {
    res.vary('Origin');
    // Answers are read by pages on the customer's origin; they hold personal data, so no cache keeps them.
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    res.setHeader('Cache-Control', 'no-store');
    const origin = pageOriginOf(req.headers, `${req.protocol}://${req.get('host') ?? ''}`);
    const header = req.get(WEBSITE_HEADER);
    const key = header ?? (typeof req.query.website === 'string' ? req.query.website : undefined);
    // A preflight never carries the website header's value; the request that follows is checked in full.
    const website = req.method === 'OPTIONS' && key === undefined ? undefined : await websiteForPage(db, key, origin);
    if (origin) res.setHeader('Access-Control-Allow-Origin', origin);
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH');
      res.setHeader('Access-Control-Allow-Headers', `Authorization, Content-Type, ${WEBSITE_HEADER}`);
      res.setHeader('Access-Control-Max-Age', String(PREFLIGHT_MAX_AGE_SECONDS));
      res.status(204).end();
      return;
    }
    res.setHeader('Access-Control-Expose-Headers', 'Retry-After');
    res.locals.website = website;
    next();
  };
}

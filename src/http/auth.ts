import type { Request, RequestHandler } from 'express';
import type { ApiKeyAuthenticator } from '../core/api-keys';
import { ForbiddenError, UnauthorizedError } from '../core/errors';
import type { ApiKey, ApiKeyScope } from '../core/model/types';

declare module 'express-serve-static-core' {
  interface Locals {
    apiKey?: ApiKey;
    /** Set by handlers that touch a conversation, so the request log line carries it. */
    conversationId?: string;
    /** The matched route's template (`/api/v1/conversations/:id`), for metrics. */
    routeTemplate?: string;
  }
}

/** Each scope includes the ones before it: admin can write and read, write can read. */
const SCOPE_RANK: Record<ApiKeyScope, number> = { read: 1, write: 2, admin: 3 };

export function hasScope(apiKey: ApiKey, scope: ApiKeyScope): boolean {
  return apiKey.scopes.some((granted) => SCOPE_RANK[granted] >= SCOPE_RANK[scope]);
}

/** The token of `Authorization: Bearer <token>`, or undefined without one. */
export function bearerTokenOf(req: Request): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
}

/** `Authorization: Bearer <key>` with an active key, or 401. */
export function requireApiKey(apiKeys: ApiKeyAuthenticator): RequestHandler {
  return async (req, res, next) => {
    const token = bearerTokenOf(req);
    const apiKey = token ? await apiKeys.authenticate(token) : null;
    if (!apiKey) throw new UnauthorizedError();
    res.locals.apiKey = apiKey;
    next();
  };
}

export function requireScope(scope: ApiKeyScope): RequestHandler {
  return (_req, res, next) => {
    const apiKey = res.locals.apiKey;
    if (!apiKey) throw new UnauthorizedError();
    if (!hasScope(apiKey, scope)) throw new ForbiddenError(`This API key lacks the "${scope}" scope.`);
    next();
  };
}

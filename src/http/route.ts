import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import { FileTooLargeError } from '../core/errors';
import type { ApiKey, ApiKeyScope } from '../core/model/types';
import { requireScope } from './auth';
import { parseInput } from './validation';

type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';
type AnySchema = z.ZodType;
type Output<S> = S extends AnySchema ? z.output<S> : undefined;

export interface ResponseSpec {
  description: string;
  schema?: AnySchema;
  /** Content type when not JSON (e.g. text/event-stream). */
  contentType?: string;
  /** Other content types the same status answers with, as the request asks (a `format` query), each described. */
  alternatives?: Readonly<Record<string, string>>;
}

/** What a handler receives: validated, typed input and the calling key. */
export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  apiKey: ApiKey;
  req: Request;
  res: Response;
}

export interface RouteResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * One route of the REST API: how it is mounted, how its input is validated, and how it is documented.
 * The OpenAPI document is generated from these specs, so the docs cannot drift from the validation.
 */
export interface RouteSpec<P extends AnySchema | undefined = AnySchema | undefined, Q extends AnySchema | undefined = AnySchema | undefined, B extends AnySchema | undefined = AnySchema | undefined> {
  method: Method;
  /** Express-style path relative to /api/v1, e.g. `/conversations/:id`. */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  scope: ApiKeyScope;
  params?: P;
  query?: Q;
  body?: B;
  /**
   * The route takes a file instead of JSON: the request body is the file's bytes, of any content type,
   * up to `maxBytes` (more is 413 file_too_large). The handler finds them in `req.body` as a Buffer.
   */
  upload?: { maxBytes: number; description: string };
  /** An example request body; a test checks it validates against `body`. */
  example?: unknown;
  /** Request headers the route reads, for the docs. */
  headers?: { name: string; description: string; required?: boolean }[];
  responses: Record<number, ResponseSpec>;
  /** Error statuses besides the ones every authenticated route can answer (400, 401, 403). */
  errors?: number[];
  /** Returns the response, or `undefined` when it wrote the response itself (streams). */
  handler(input: RouteInput<Output<P>, Output<Q>, Output<B>>): Promise<RouteResult | undefined>;
}

/** Type-checks a spec's handler against its schemas; the registry keeps them as `RouteSpec`. */
export function route<P extends AnySchema | undefined = undefined, Q extends AnySchema | undefined = undefined, B extends AnySchema | undefined = undefined>(
  spec: RouteSpec<P, Q, B>,
): RouteSpec {
  return spec;
}

function toHandler(spec: RouteSpec): RequestHandler {
  return async (req, res) => {
    const apiKey = res.locals.apiKey;
    if (!apiKey) throw new Error('route mounted without authentication');
    const input = {
      params: spec.params ? parseInput(spec.params, req.params, 'Path parameters') : undefined,
      query: spec.query ? parseInput(spec.query, req.query, 'Query parameters') : undefined,
      body: spec.body ? parseInput(spec.body, req.body ?? {}, 'Request body') : undefined,
      apiKey,
      req,
      res,
    };
    const result = await spec.handler(input);
    if (!result) return;
    for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
    if (result.body === undefined) res.status(result.status).end();
    else res.status(result.status).json(result.body);
  };
}

function isTooLarge(error: unknown): boolean {
  return (error as { type?: unknown } | null)?.type === 'entity.too.large';
}

/** Names the route for metrics, also when a request fails before it reaches the route's handler. */
function named(template: string): RequestHandler {
  return (_req, res, next) => {
    res.locals.routeTemplate = template;
    next();
  };
}

/** The REST API's routes: each channel and resource adds its own; the app mounts them and documents them. */
export class ApiRoutes {
  private readonly specs: RouteSpec[] = [];

  add(...specs: RouteSpec[]): this {
    this.specs.push(...specs);
    return this;
  }

  get all(): readonly RouteSpec[] {
    return this.specs;
  }

  /** The express router of every route, to be mounted at `mountPath`. */
  router(mountPath: string): Router {
    const router = Router();
    for (const spec of this.specs) {
      router[spec.method](spec.path, named(`${mountPath}${spec.path}`), requireScope(spec.scope), toHandler(spec));
    }
    return router;
  }

  /**
   * Reads the bodies of upload routes as bytes; mounted before the JSON parser, which then leaves them
   * alone. The scope is checked first, so a key that may not upload is refused before its file is read.
   */
  uploadParsers(mountPath: string): Router {
    const router = Router();
    for (const spec of this.specs) {
      if (!spec.upload) continue;
      const { maxBytes } = spec.upload;
      const tooLarge: ErrorRequestHandler = (error: unknown, _req, _res, next) => {
        next(isTooLarge(error) ? new FileTooLargeError(maxBytes) : error);
      };
      router[spec.method](spec.path, named(`${mountPath}${spec.path}`), requireScope(spec.scope), express.raw({ type: () => true, limit: maxBytes }), tooLarge);
    }
    return router;
  }
}

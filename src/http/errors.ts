import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, TooManyRequestsError, type ErrorIssue, type ErrorKind } from '../core/errors';

interface ErrorBody {
  error: { code: string; message: string; retryAfterSeconds?: number; details?: readonly ErrorIssue[] };
}

/** The one mapping from core's kinds of error to HTTP statuses. */
const STATUS_OF_KIND: Record<ErrorKind, number> = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  invalid_transition: 409,
  too_large: 413,
  unsupported_type: 415,
  rate_limited: 429,
  unavailable: 503,
};

export function httpStatusOf(error: AppError): number {
  return STATUS_OF_KIND[error.kind];
}

/** The JSON error shape, for answers that are not an AppError (no route, a parser's refusal, a request Node could not parse). */
export function errorBody(code: string, message: string, details?: readonly ErrorIssue[]): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** The JSON error shape of a typed error; a rate limit also says in the body when to retry, for clients that cannot read headers. */
export function appErrorBody(error: AppError): ErrorBody {
  if (error instanceof TooManyRequestsError) return { error: { code: error.code, message: error.message, retryAfterSeconds: error.retryAfterSeconds } };
  return errorBody(error.code, error.message, error.details);
}

/** Errors raised by body-parser carry a `type` and a status; they are the client's fault. */
function parserError(error: unknown): { status: number; code: string; message: string } | undefined {
  const type = (error as { type?: unknown } | null)?.type;
  switch (type) {
    case 'entity.parse.failed':
      return { status: 400, code: 'malformed_json', message: 'The request body is not valid JSON.' };
    case 'entity.too.large':
      return { status: 413, code: 'payload_too_large', message: 'The request body is larger than the limit.' };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { status: 415, code: 'unsupported_media_type', message: 'The request body encoding is not supported.' };
    case 'request.aborted':
      return { status: 400, code: 'request_aborted', message: 'The request was aborted.' };
    default:
      return undefined;
  }
}

export const notFound: RequestHandler = (req, res) => {
  res.status(404).json(errorBody('not_found', `No route for ${req.method} ${req.path}.`));
};

/** The one place errors become HTTP responses: the JSON error shape, never a stack trace. */
export const errorHandler: ErrorRequestHandler = (error: unknown, req, res, next) => {
  if (res.headersSent) {
    next(error);
    return;
  }
  if (error instanceof AppError) {
    const status = httpStatusOf(error);
    if (status >= 500) req.log.error({ err: error }, 'request failed');
    if (error instanceof TooManyRequestsError) res.setHeader('Retry-After', String(error.retryAfterSeconds));
    res.status(status).json(appErrorBody(error));
    return;
  }
  const parser = parserError(error);
  if (parser) {
    res.status(parser.status).json(errorBody(parser.code, parser.message));
    return;
  }
  req.log.error({ err: error }, 'unexpected error');
  res.err = error instanceof Error ? error : new Error(String(error));
  res.status(500).json(errorBody('internal_error', 'Something went wrong on our side; the error was logged.'));
};

/**
 * Typed errors of the hub. Core refuses with an `AppError`: a `kind` from the closed catalogue below,
 * which says what went wrong and is all the HTTP layer needs to pick a status (it keeps the one mapping,
 * in src/http/errors.ts), and a `code` that clients read (`validation_failed`, `recipient_opted_out`...).
 * Workers decide retry or permanent failure by the delivery error types.
 */
export const ERROR_KINDS = [
  'validation',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'invalid_transition',
  'too_large',
  'unsupported_type',
  'rate_limited',
  'unavailable',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/**
 * The one shape of `details`: a list of what is wrong, each naming the input field (`path`, dotted), what
 * is wrong with it (`message`) and a machine-readable `code`. `allowed` lists the values the field could
 * take instead, where that is known (the statuses a conversation may move to).
 */
export interface ErrorIssue {
  path: string;
  message: string;
  code: string;
  allowed?: readonly string[];
}

export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly details?: readonly ErrorIssue[],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * Whether the hub refused what was asked (bad input, not allowed, not in this state): asking again gets
 * the same answer. Only `unavailable` may pass by itself.
 */
export function isRefusal(error: unknown): error is AppError {
  return error instanceof AppError && error.kind !== 'unavailable';
}

export class ValidationError extends AppError {
  constructor(message: string, issues: readonly ErrorIssue[]) {
    super('validation', 'validation_failed', message, issues);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'A valid API key is required: Authorization: Bearer <key>.') {
    super('unauthorized', 'unauthorized', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super('forbidden', 'forbidden', message);
  }
}

/** A widget visitor's `identify` without a valid hash of the user id, where one is needed: nothing changed. */
export class IdentityNotVerifiedError extends AppError {
  constructor(message: string) {
    super('forbidden', 'identity_not_verified', message);
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super('not_found', 'not_found', `${what} was not found.`);
  }
}

/** The request contradicts what is stored (a duplicate, an opted-out recipient, a reused key). */
export class ConflictError extends AppError {
  constructor(code: string, message: string, issues?: readonly ErrorIssue[]) {
    super('conflict', code, message, issues);
  }
}

/** A status change the lifecycle does not allow from the current status; `details` lists the allowed ones. */
export class InvalidTransitionError extends AppError {
  constructor(message: string, issue: ErrorIssue) {
    super('invalid_transition', 'invalid_transition', message, [issue]);
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(code: string, message: string) {
    super('unavailable', code, message);
  }
}

/** Too many requests from one visitor or network address: nothing was done; `retryAfterSeconds` says when to try again. */
export class TooManyRequestsError extends AppError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('rate_limited', 'rate_limited', message);
  }
}

/** Sending on a channel failed for good (bad address, unsubscribed recipient): never retried. */
export class PermanentDeliveryError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'PermanentDeliveryError';
  }
}

/** Sending failed for now (network, 5xx): retried with backoff, or after `retryAfterMs` when given. */
export class RetryableDeliveryError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'RetryableDeliveryError';
  }
}

/** The provider asked us to slow down; retried after `retryAfterMs`. */
export class RateLimitedError extends RetryableDeliveryError {
  constructor(message: string, retryAfterMs: number) {
    super(message, retryAfterMs);
    this.name = 'RateLimitedError';
  }
}

/** A file whose bytes are of a type the hub does not store (or never serves, like SVG and HTML). */
export class UnsupportedFileTypeError extends AppError {
  constructor(detectedType: string) {
    super('unsupported_type', 'unsupported_file_type', `Files of type ${detectedType} are not accepted (the type is read from the file's bytes, not its name).`);
  }
}

export class FileTooLargeError extends AppError {
  constructor(maxBytes: number) {
    super('too_large', 'file_too_large', `The file is larger than the limit of ${maxBytes} bytes.`);
  }
}

/**
 * Typed errors of the hub. The HTTP error handler maps `AppError`s onto the JSON error shape by their
 * `status` and `code`; workers decide retry or permanent failure by the delivery error types.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: unknown) {
    super(400, 'validation_failed', message, details);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'A valid API key is required: Authorization: Bearer <key>.') {
    super(401, 'unauthorized', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super(403, 'forbidden', message);
  }
}

/** A widget visitor's `identify` without a valid hash of the user id, where one is needed: nothing changed. */
export class IdentityNotVerifiedError extends AppError {
  constructor(message: string) {
    super(403, 'identity_not_verified', message);
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super(404, 'not_found', `${what} was not found.`);
  }
}

export class ConflictError extends AppError {
  constructor(code: string, message: string, details?: unknown) {
    super(409, code, message, details);
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(code: string, message: string) {
    super(503, code, message);
  }
}

/** Too many requests from one visitor or network address: nothing was done; `retryAfterSeconds` says when to try again. */
export class TooManyRequestsError extends AppError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(429, 'rate_limited', message);
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
    super(415, 'unsupported_file_type', `Files of type ${detectedType} are not accepted (the type is read from the file's bytes, not its name).`);
  }
}

export class FileTooLargeError extends AppError {
  constructor(maxBytes: number) {
    super(413, 'file_too_large', `The file is larger than the limit of ${maxBytes} bytes.`);
  }
}

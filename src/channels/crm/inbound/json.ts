import { AppError } from '../../../core/errors';

/** A verified request's body as JSON; anything else is the sender's mistake (400), never retried into the hub. */
export function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new AppError('validation', 'malformed_json', 'The request body is not valid JSON.');
  }
}

/** A forged, stale or unsigned request: nothing of it is read or written. */
export function badSignature(message: string): AppError {
  return new AppError('unauthorized', 'invalid_signature', message);
}

import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { ConflictError } from './errors';
import { newId } from './ids';
import { insertRows, repo } from './model/schemas';

/** A request made with an `Idempotency-Key` header. */
export interface IdempotentRequest {
  apiKeyId: string;
  key: string;
  /** Hash of what the request asks for; the same key with another request is a conflict. */
  requestHash: string;
}

export interface StoredResponse {
  status: number;
  body: unknown;
}

export function requestHash(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** The response first given to this key, or undefined when the key is new. */
export async function replayIdempotent(manager: EntityManager, request: IdempotentRequest): Promise<StoredResponse | undefined> {
  const record = await repo(manager, 'IdempotencyRecord').findOneBy({ apiKeyId: request.apiKeyId, key: request.key });
  if (!record) return undefined;
  if (record.requestHash !== request.requestHash) {
    throw new ConflictError('idempotency_key_reused', 'This Idempotency-Key was used with a different request; use a new key for a new request.');
  }
  return { status: record.responseStatus, body: record.responseBody };
}

/**
 * Stores the response of a keyed request in the transaction that did the work, so that work and record
 * commit together. Two concurrent first requests collide on the unique key: the loser retries and replays.
 */
export async function rememberIdempotent(manager: EntityManager, request: IdempotentRequest, response: StoredResponse): Promise<void> {
  await insertRows(manager, 'IdempotencyRecord', {
    id: newId(),
    apiKeyId: request.apiKeyId,
    key: request.key,
    requestHash: request.requestHash,
    responseStatus: response.status,
    responseBody: response.body,
    createdAt: new Date(),
  });
}

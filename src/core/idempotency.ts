import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { ConflictError } from './errors';
import { newId } from './ids';
import { insertRows, repo } from './model/schemas';
import type { Message } from './model/types';
import { toJson, type Json } from './serialize';

/** A request made with an `Idempotency-Key` header. */
export interface IdempotentRequest {
  apiKeyId: string;
  key: string;
  /** Hash of what the request asks for; the same key with another request is a conflict. */
  requestHash: string;
}

export function requestHash(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** The message as it was kept: its dates were stored as ISO strings. */
function messageOf(json: Json<Message>): Message {
  return { ...json, statusChangedAt: json.statusChangedAt === null ? null : new Date(json.statusChangedAt), createdAt: new Date(json.createdAt) };
}

/** The message first stored for this key, as it was then, or undefined when the key is new. */
export async function replayIdempotent(manager: EntityManager, request: IdempotentRequest): Promise<Message | undefined> {
  const record = await repo(manager, 'IdempotencyRecord').findOneBy({ apiKeyId: request.apiKeyId, key: request.key });
  if (!record) return undefined;
  if (record.requestHash !== request.requestHash) {
    throw new ConflictError('idempotency_key_reused', 'This Idempotency-Key was used with a different request; use a new key for a new request.');
  }
  return messageOf(record.result);
}

/**
 * Keeps the message a keyed request stored, in the transaction that stored it, so that work and record
 * commit together. Two concurrent first requests collide on the unique key: the loser retries and replays.
 */
export async function rememberIdempotent(manager: EntityManager, request: IdempotentRequest, message: Message): Promise<void> {
  await insertRows(manager, 'IdempotencyRecord', {
    id: newId(),
    apiKeyId: request.apiKeyId,
    key: request.key,
    requestHash: request.requestHash,
    result: toJson(message),
    createdAt: new Date(),
  });
}

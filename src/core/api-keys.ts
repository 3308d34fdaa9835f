import { createHash, randomBytes } from 'node:crypto';
import { IsNull } from 'typeorm';
import { CLI } from './actor';
import { recordAudit } from './audit';
import type { Database } from './database';
import { NotFoundError } from './errors';
import { newId } from './ids';
import { insertRows, repo } from './model/schemas';
import type { ApiKey, ApiKeyScope } from './model/types';

export const API_KEY_SCOPES: readonly ApiKeyScope[] = ['read', 'write', 'admin'];
const KEY_PREFIX = 'sb_';
const VISIBLE_CHARS = 12;
/** lastUsedAt is a hint for operators; writing it on every request would cost a write per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export interface CreateApiKeyInput {
  name: string;
  scopes: ApiKeyScope[];
  agentId?: string | null;
}

/** Creates a key. The key itself is returned once and only its SHA-256 is stored. */
export async function createApiKey(db: Database, input: CreateApiKeyInput): Promise<{ key: string; apiKey: ApiKey }> {
  const key = KEY_PREFIX + randomBytes(24).toString('base64url');
  const apiKey: ApiKey = {
    id: newId(),
    name: input.name,
    prefix: key.slice(0, VISIBLE_CHARS),
    hash: hashKey(key),
    scopes: [...new Set(input.scopes)],
    agentId: input.agentId ?? null,
    createdAt: new Date(),
    lastUsedAt: null,
    revokedAt: null,
  };
  await db.transaction(async (manager) => {
    await insertRows(manager, 'ApiKey', apiKey);
    await recordAudit(manager, CLI, {
      action: 'api_key.created',
      entityType: 'api_key',
      entityId: apiKey.id,
      after: { name: apiKey.name, prefix: apiKey.prefix, scopes: apiKey.scopes },
    });
  });
  return { key, apiKey };
}

/** The active key for a bearer token, or null for an unknown or revoked one. */
export async function authenticateApiKey(db: Database, token: string): Promise<ApiKey | null> {
  if (!token.startsWith(KEY_PREFIX)) return null;
  const apiKey = await repo(db.manager, 'ApiKey').findOneBy({ hash: hashKey(token), revokedAt: IsNull() });
  if (!apiKey) return null;
  const now = Date.now();
  if (!apiKey.lastUsedAt || now - apiKey.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    const lastUsedAt = new Date(now);
    void db.transaction((manager) => repo(manager, 'ApiKey').update({ id: apiKey.id }, { lastUsedAt })).catch(() => undefined);
  }
  return apiKey;
}

export async function listApiKeys(db: Database): Promise<ApiKey[]> {
  return repo(db.manager, 'ApiKey').find({ order: { createdAt: 'ASC' } });
}

/** Revokes a key by its id or its visible prefix. Revoking twice keeps the first revocation time. */
export async function revokeApiKey(db: Database, idOrPrefix: string): Promise<ApiKey> {
  return db.transaction(async (manager) => {
    const keys = repo(manager, 'ApiKey');
    const apiKey = (await keys.findOneBy({ id: idOrPrefix })) ?? (await keys.findOneBy({ prefix: idOrPrefix }));
    if (!apiKey) throw new NotFoundError(`API key ${idOrPrefix}`);
    if (apiKey.revokedAt) return apiKey;
    apiKey.revokedAt = new Date();
    await keys.update({ id: apiKey.id }, { revokedAt: apiKey.revokedAt });
    await recordAudit(manager, CLI, { action: 'api_key.revoked', entityType: 'api_key', entityId: apiKey.id });
    return apiKey;
  });
}

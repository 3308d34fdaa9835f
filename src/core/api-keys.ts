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

export interface ApiKeyAuthenticatorOptions {
  /** How long a key found active is trusted without reading it again; 0: read it on every request. */
  ttlMs: number;
  /** The clock, in epoch milliseconds (a test seam). */
  now?: () => number;
}

/**
 * Turns bearer tokens into active keys, remembering the keys it found for `ttlMs` so that a request
 * costs no database read. Only hits are remembered: an unknown token is read each time, as before, so
 * random tokens cannot grow the cache and a key created on another process works there at once.
 * Revoking through `revoke` takes effect here at once; a key revoked elsewhere (the CLI, another
 * process) keeps working here for up to `ttlMs`.
 */
export class ApiKeyAuthenticator {
  private readonly hits = new Map<string, { apiKey: ApiKey; until: number }>();
  /** Bumped by each revocation, so that a read that began before it does not cache what it read. */
  private revocations = 0;
  private readonly now: () => number;

  constructor(
    private readonly db: Database,
    private readonly options: ApiKeyAuthenticatorOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The active key for a bearer token, or null for an unknown or revoked one. */
  async authenticate(token: string): Promise<ApiKey | null> {
    if (!token.startsWith(KEY_PREFIX)) return null;
    const hash = hashKey(token);
    const cached = this.hits.get(hash);
    let apiKey = cached && cached.until > this.now() ? cached.apiKey : undefined;
    if (!apiKey) {
      this.hits.delete(hash);
      const revocations = this.revocations;
      apiKey = (await repo(this.db.manager, 'ApiKey').findOneBy({ hash, revokedAt: IsNull() })) ?? undefined;
      if (!apiKey) return null;
      if (this.options.ttlMs > 0 && revocations === this.revocations) this.hits.set(hash, { apiKey, until: this.now() + this.options.ttlMs });
    }
    this.touch(apiKey);
    return apiKey;
  }

  /** Revokes a key (see revokeApiKey) and forgets it at once. */
  async revoke(idOrPrefix: string): Promise<ApiKey> {
    const apiKey = await revokeApiKey(this.db, idOrPrefix);
    this.revocations += 1;
    this.hits.delete(apiKey.hash);
    return apiKey;
  }

  /** Records the use at most once per LAST_USED_RESOLUTION_MS; the cached copy carries it, so a hit does not write again. */
  private touch(apiKey: ApiKey): void {
    const now = this.now();
    if (apiKey.lastUsedAt && now - apiKey.lastUsedAt.getTime() <= LAST_USED_RESOLUTION_MS) return;
    const lastUsedAt = new Date(now);
    apiKey.lastUsedAt = lastUsedAt;
    void this.db.transaction((manager) => repo(manager, 'ApiKey').update({ id: apiKey.id }, { lastUsedAt })).catch(() => undefined);
  }
}

export async function listApiKeys(db: Database): Promise<ApiKey[]> {
  return repo(db.manager, 'ApiKey').find({ order: { createdAt: 'ASC' } });
}

/**
 * Revokes a key by its id or its visible prefix. Revoking twice keeps the first revocation time. A
 * process that authenticates keys revokes through its ApiKeyAuthenticator, which forgets the key too.
 */
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

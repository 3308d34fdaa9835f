import { ApiKeyAuthenticator, createApiKey, revokeApiKey } from '../../src/core/api-keys';
import type { Database } from '../../src/core/database';
import { repo } from '../../src/core/model/schemas';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';

/**
 * The per-process cache of API keys: a key found active is trusted for the TTL without a database read,
 * a revocation through the same authenticator takes effect at once, one from elsewhere after the TTL.
 * The clock is a fake one the tests move.
 */
const TTL_MS = 5000;

describe.each(ENGINES)('the API key cache on %s', (engine) => {
  let t: TestHub;
  let db: Database;
  let clock: number;
  const now = (): number => clock;

  beforeAll(async () => {
    t = await startTestHub(engine);
    db = t.hub.db;
  });
  afterAll(() => t.stop());
  beforeEach(() => {
    clock = Date.now();
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('serves a key it found active without reading it again until the TTL has passed', async () => {
    const apiKeys = new ApiKeyAuthenticator(db, { ttlMs: TTL_MS, now });
    const { key, apiKey } = await createApiKey(db, { name: 'cached', scopes: ['read'] });
    expect(await apiKeys.authenticate(key)).toMatchObject({ id: apiKey.id });
    // Revoked as another process would (the CLI): this authenticator does not hear of it.
    await revokeApiKey(db, apiKey.id);
    clock += TTL_MS - 1;
    expect(await apiKeys.authenticate(key)).toMatchObject({ id: apiKey.id });
    clock += 1;
    expect(await apiKeys.authenticate(key)).toBeNull();
  });

  it('refuses a key revoked through it at once', async () => {
    const apiKeys = new ApiKeyAuthenticator(db, { ttlMs: TTL_MS, now });
    const { key, apiKey } = await createApiKey(db, { name: 'revoked here', scopes: ['read'] });
    expect(await apiKeys.authenticate(key)).toMatchObject({ id: apiKey.id });
    expect(await apiKeys.revoke(apiKey.prefix)).toMatchObject({ id: apiKey.id, revokedAt: expect.any(Date) as unknown });
    expect(await apiKeys.authenticate(key)).toBeNull();
  });

  it('does not cache what a read that began before a revocation found', async () => {
    const apiKeys = new ApiKeyAuthenticator(db, { ttlMs: TTL_MS, now });
    const { key, apiKey } = await createApiKey(db, { name: 'raced', scopes: ['read'] });
    const reading = apiKeys.authenticate(key);
    await apiKeys.revoke(apiKey.id);
    await reading; // found the key active or revoked, depending on the engine's ordering: either is fine
    expect(await apiKeys.authenticate(key)).toBeNull();
  });

  it('reads the key on every request with a TTL of 0', async () => {
    const apiKeys = new ApiKeyAuthenticator(db, { ttlMs: 0, now });
    const { key, apiKey } = await createApiKey(db, { name: 'uncached', scopes: ['read'] });
    expect(await apiKeys.authenticate(key)).toMatchObject({ id: apiKey.id });
    await revokeApiKey(db, apiKey.id);
    expect(await apiKeys.authenticate(key)).toBeNull();
  });

  it('refuses unknown and malformed tokens', async () => {
    const apiKeys = new ApiKeyAuthenticator(db, { ttlMs: TTL_MS, now });
    expect(await apiKeys.authenticate('sb_unknownkey0000000000000000000000000')).toBeNull();
    expect(await apiKeys.authenticate('not-a-key')).toBeNull();
  });

  it('records the last use at most once a minute, cached or not', async () => {
    const apiKeys = new ApiKeyAuthenticator(db, { ttlMs: TTL_MS, now });
    const { key, apiKey } = await createApiKey(db, { name: 'used', scopes: ['read'] });
    const writes: Promise<unknown>[] = [];
    const transaction = db.transaction.bind(db);
    jest.spyOn(db, 'transaction').mockImplementation((work) => {
      const written = transaction(work);
      writes.push(written);
      return written;
    });
    const lastUsedAt = async (): Promise<number | undefined> => {
      await Promise.all(writes);
      return (await repo(db.manager, 'ApiKey').findOneByOrFail({ id: apiKey.id })).lastUsedAt?.getTime();
    };
    const start = clock;

    await apiKeys.authenticate(key);
    expect(await lastUsedAt()).toBe(start);
    clock = start + 1000; // a hit
    await apiKeys.authenticate(key);
    clock = start + TTL_MS + 1; // read again
    await apiKeys.authenticate(key);
    expect(writes).toHaveLength(1);
    clock = start + 60_001;
    await apiKeys.authenticate(key);
    expect(await lastUsedAt()).toBe(start + 60_001);
    clock = start + 60_002;
    await apiKeys.authenticate(key);
    expect(writes).toHaveLength(2);
  });
});

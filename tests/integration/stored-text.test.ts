import { repo } from '../../src/core/model/schemas';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';

/**
 * PostgreSQL cannot store NUL in text, so every route that stores text refuses it with a 400 on both
 * engines rather than failing with a 500 on one of them.
 */
describe.each(ENGINES)('text with NUL characters on %s', (engine) => {
  let t: TestHub;
  let conversationId: string;
  let contactId: string;
  let agentId: string;

  beforeAll(async () => {
    t = await startTestHub(engine);
    const inbound = await t.request('/api/v1/inbound', { method: 'POST', json: { sourceId: 'nul-1', contact: { email: 'nul@example.com' }, body: 'hi' } });
    ({ conversationId, contactId } = inbound.body as { conversationId: string; contactId: string });
    agentId = ((await t.request('/api/v1/agents', { method: 'POST', json: { name: 'Nul Agent', email: 'nul.agent@example.com' } })).body as { id: string }).id;
  });
  afterAll(async () => {
    await t.stop();
  });

  const cases: [string, () => [method: string, path: string, json: unknown]][] = [
    ['a reply', () => ['POST', `/api/v1/conversations/${conversationId}/messages`, { body: 'a\u0000b' }]],
    ['an attachment name', () => ['POST', `/api/v1/conversations/${conversationId}/messages`, { attachments: [{ url: 'https://example.com/a.pdf', name: 'a\u0000.pdf' }] }]],
    ['a contact name', () => ['PATCH', `/api/v1/contacts/${contactId}`, { name: 'Nu\u0000l' }]],
    ['a contact attribute key', () => ['PATCH', `/api/v1/contacts/${contactId}`, { attributes: { 'k\u0000': 1 } }]],
    ['an agent name', () => ['POST', '/api/v1/agents', { name: 'A\u0000', email: 'a@example.com' }]],
    ['an agent rename', () => ['PATCH', `/api/v1/agents/${agentId}`, { name: 'A\u0000' }]],
    ['a team name', () => ['POST', '/api/v1/teams', { name: 'T\u0000' }]],
    ['an inbound body', () => ['POST', '/api/v1/inbound', { sourceId: 'nul-2', contact: { email: 'nul@example.com' }, body: 'x\u0000' }]],
  ];

  it.each(cases)('refuses %s with 400 and stores nothing', async (_what, request) => {
    const [method, path, json] = request();
    const before = await Promise.all([repo(t.hub.db.manager, 'Message').count(), repo(t.hub.db.manager, 'Agent').count(), repo(t.hub.db.manager, 'Team').count()]);
    const res = await t.request(path, { method, json });
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'validation_failed' } } });
    expect(await Promise.all([repo(t.hub.db.manager, 'Message').count(), repo(t.hub.db.manager, 'Agent').count(), repo(t.hub.db.manager, 'Team').count()])).toEqual(before);
    expect((await repo(t.hub.db.manager, 'Contact').findOneByOrFail({ id: contactId })).name).toBeNull();
  });
});

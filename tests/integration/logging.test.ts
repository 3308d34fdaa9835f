import { Writable } from 'node:stream';
import { createApiKey } from '../../src/core/api-keys';
import { startHub, type Hub } from '../../src/hub';
import { createLogger } from '../../src/infra/logger';
import { createTestEnvironment, type TestEnvironment } from '../support/env';

/** What the hub logs at info level: request and conversation ids, never message bodies or keys. */
describe('logs', () => {
  const lines: Record<string, unknown>[] = [];
  let environment: TestEnvironment;
  let hub: Hub;
  let key: string;

  beforeAll(async () => {
    environment = createTestEnvironment('sqlite');
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    hub = await startHub(environment.config, 'all', createLogger('info', sink), process.env.PATH ?? '');
    ({ key } = await createApiKey(hub.db, { name: 'logs', scopes: ['write'] }));
  });
  afterAll(async () => {
    await hub.stop();
    await environment.cleanup();
  });

  it('carry the conversation id and the request id, and neither the message body nor the API key', async () => {
    const body = 'my secret order number is 4242-SECRET';
    const response = await fetch(`${hub.url ?? ''}/api/v1/inbound`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-request-id': 'req-logs-1' },
      body: JSON.stringify({ sourceId: 'log-1', contact: { email: 'logs@example.com' }, body }),
    });
    expect(response.status).toBe(202);
    const { conversationId } = (await response.json()) as { conversationId: string };

    const stored = lines.find((l) => l.msg === 'inbound message stored');
    expect(stored).toMatchObject({ level: 30, conversationId, channel: 'api' });
    const text = JSON.stringify(lines);
    expect(text).not.toContain('4242-SECRET');
    expect(text).not.toContain(key);

    // A failed request is logged at info with its request id (successful ones only at debug).
    await fetch(`${hub.url ?? ''}/api/v1/inbound`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-request-id': 'req-logs-2' },
      body: '{"broken',
    });
    expect(lines.find((l) => (l.req as { id?: string } | undefined)?.id === 'req-logs-2')).toMatchObject({ level: 30, res: { statusCode: 400 } });
  });
});

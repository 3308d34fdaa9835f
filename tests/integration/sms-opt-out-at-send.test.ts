import { randomBytes } from 'node:crypto';
import { PermanentDeliveryError } from '../../src/core/errors';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { TWILIO_TEST_ENV } from '../support/twilio';

/**
 * A reply queued before the customer texted STOP is not sent when its delivery job runs. The hub runs
 * the API role only, so no worker takes the job and the test runs the delivery itself.
 */
describe.each(ENGINES)('opt-out at send time on %s', (engine) => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub(engine, { role: 'api', env: TWILIO_TEST_ENV });
  });
  afterAll(async () => {
    await t.stop();
  });

  const text = (from: string, body: string) =>
    t.hub.ingestor.ingest({
      channel: 'sms',
      externalId: `SM${randomBytes(16).toString('hex')}`,
      sender: { address: from, phone: from },
      body,
      channelAddress: '+14155550100',
      ...(body === 'STOP' ? { consent: 'opt_out' as const } : {}),
    });

  it('fails the queued reply with recipient_opted_out and sends nothing', async () => {
    const { conversationId } = await text('+447911123999', 'Hello');
    const created = await t.request(`/api/v1/conversations/${conversationId}/messages`, { method: 'POST', json: { body: 'Queued before STOP' } });
    expect(created.status).toBe(201);
    await text('+447911123999', 'STOP');

    const { id } = created.body as { id: string };
    const refused = await t.hub.delivery.deliver(id).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PermanentDeliveryError);
    expect(refused).toMatchObject({ code: 'recipient_opted_out' });
  });
});

import { randomBytes } from 'node:crypto';
import { describeChannelContract } from '../support/channel-contract';
import { ENGINES } from '../support/env';
import { startTestHub } from '../support/hub';
import { newWebhookSecret, WebhookReceiver } from '../support/webhook-receiver';

/**
 * The API channel keeps the channel-adapter contract: its inbound requests are signed by the API key,
 * the integration's webhook receiver answers each reply with its own id, and the integration reports
 * receipts through POST /api/v1/messages/:id/status.
 */
describe.each(ENGINES)('on %s', (engine) => {
  describeChannelContract('api', async () => {
    const secret = newWebhookSecret();
    const receiver = await WebhookReceiver.start(secret, (request) => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: `crm-${request.webhookId}` }),
    }));
    const hub = await startTestHub(engine, { env: { API_CHANNEL_WEBHOOK_URL: receiver.url, API_CHANNEL_WEBHOOK_SECRET: secret } });
    const forged = `sb_${randomBytes(24).toString('hex')}`;
    return {
      channel: 'api',
      hub,
      async inbound({ externalId, customer, text }, signing) {
        const sent = await hub.request('/api/v1/inbound', {
          method: 'POST',
          json: { sourceId: externalId, contact: { externalId: `customer-${customer}` }, body: text },
          key: signing === 'signed' ? hub.apiKey : forged,
        });
        return sent.status;
      },
      sends: {
        providerIdOf(text) {
          const received = receiver.requests.find((request) => request.payload?.data.body === text);
          if (!received) throw new Error(`the integration never got "${text}"`);
          return Promise.resolve(`crm-${received.webhookId}`);
        },
        async reportDelivered(message) {
          return (await hub.request(`/api/v1/messages/${message.id}/status`, { method: 'POST', json: { status: 'delivered' } })).status;
        },
      },
      async stop() {
        await hub.stop();
        await receiver.close();
      },
    };
  });
});

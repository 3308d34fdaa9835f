import { randomBytes } from 'node:crypto';
import { SlackEmulator } from '../emulators/slack';
import { inbound } from '../support/agent-api';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { createEndpoint } from '../support/webhook-endpoints';
import { newWebhookSecret, WebhookReceiver } from '../support/webhook-receiver';

const BOT_TOKEN = `xoxb-${randomBytes(12).toString('hex')}`;
const SIGNING_SECRET = randomBytes(16).toString('hex');
const CHANNEL = 'C0ALERTS1';

/** An outgoing webhook endpoint the hub disables (410 Gone) is announced in the Slack channel. */
describe.each(ENGINES)('Slack alerts of disabled webhooks on %s', (engine) => {
  let t: TestHub;
  let slack: SlackEmulator;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    slack = await SlackEmulator.start({ botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET });
    receiver = await WebhookReceiver.start(newWebhookSecret(), () => ({ status: 410 }));
    t = await startTestHub(engine, { env: { ...slack.hubEnv(CHANNEL), WEBHOOK_ALLOW_PRIVATE_URLS: 'true' } });
  });
  afterAll(async () => {
    await t.stop();
    await slack.close();
    await receiver.close();
  });

  it('posts the endpoint, its description and the reason to the configured channel', async () => {
    const endpoint = await createEndpoint(t.hub.db, { url: receiver.url, secret: receiver.secret, events: ['message.created'], description: 'Acme CRM' });
    await inbound(t, { name: 'Alerted customer' });
    const alert = await slack.waitFor('the alert', () => slack.messages.find((m) => m.text.includes(endpoint.id)), 15_000);
    expect(alert.channel).toBe(CHANNEL);
    expect(alert.text).toContain(`Acme CRM (${receiver.url}) was disabled: the receiver answered 410 Gone`);
    expect(alert.text).not.toContain(endpoint.secret);
  });
});

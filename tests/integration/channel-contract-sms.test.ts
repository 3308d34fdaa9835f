import { randomBytes } from 'node:crypto';
import { TwilioEmulator } from '../emulators/twilio';
import { describeChannelContract } from '../support/channel-contract';
import { ENGINES } from '../support/env';
import { startTestHub } from '../support/hub';
import { waitFor } from '../support/processes';

/**
 * The SMS channel keeps the channel-adapter contract, with Twilio played by the local emulator. The hub
 * sits "behind a proxy": PUBLIC_URL is an outside address with a path, which Twilio signs, while the
 * requests reach the hub on its own port; the signatures check out only against PUBLIC_URL.
 */

const ACCOUNT_SID = `AC${'c3'.repeat(16)}`;
const AUTH_TOKEN = randomBytes(16).toString('hex');
const BUSINESS_NUMBER = '+14155550120';

describe.each(ENGINES)('on %s', (engine) => {
  describeChannelContract('sms', async () => {
    const twilio = await TwilioEmulator.start({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    const publicUrl = 'https://support.example.test/hub';
    const hub = await startTestHub(engine, {
      env: { PUBLIC_URL: publicUrl, ...twilio.hubEnv(BUSINESS_NUMBER) },
    });
    const target = { url: hub.url, publicUrl };
    const sidOf = new Map<string, string>();
    const emulated = (text: string) => twilio.messages.find((m) => m.body === text);
    return {
      channel: 'sms',
      hub,
      async inbound({ externalId, customer, text }, signing) {
        const sid = sidOf.get(externalId) ?? `SM${randomBytes(16).toString('hex')}`;
        sidOf.set(externalId, sid);
        const sent = await twilio.sendInbound(target, { From: `+447911124${customer}`, To: BUSINESS_NUMBER, Body: text, MessageSid: sid }, signing === 'forged' ? { signature: 'Zm9yZ2VkIHNpZ25hdHVyZQ==' } : {});
        return sent.status;
      },
      sends: {
        async providerIdOf(text) {
          const message = await waitFor(`Twilio to get "${text}"`, () => emulated(text), 10_000);
          return message.sid;
        },
        async reportDelivered(message) {
          const sent = emulated(message.body);
          if (!sent) throw new Error(`Twilio never got "${message.body}"`);
          return (await twilio.sendStatus(target, sent, 'delivered')).status;
        },
      },
      async stop() {
        await hub.stop();
        await twilio.close();
      },
    };
  });
});

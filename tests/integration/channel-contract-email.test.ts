import { describeChannelContract } from '../support/channel-contract';
import { deliveryReport } from '../support/email';
import { SUPPORT, startEmailHub } from '../support/email-hub';
import { ENGINES } from '../support/env';
import { waitFor } from '../support/processes';

/**
 * The email channel keeps the channel-adapter contract. Its provider's side is a mail provider's
 * inbound-parse hook (raw MIME behind a bearer token) and an SMTP server the hub sends to; its receipt
 * is a delivery status notification (Action: delivered), which mail servers send on request.
 */

function rawMail(customer: string, externalId: string, text: string): Buffer {
  return Buffer.from(
    [`From: Customer ${customer} <customer${customer}@customer.example>`, `To: ${SUPPORT}`, 'Subject: Contract', `Message-ID: <${externalId}@customer.example>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', text, ''].join('\r\n'),
  );
}


describe.each(ENGINES)('on %s', (engine) => {
  describeChannelContract('email', async () => {
    const h = await startEmailHub(engine);
    const post = (body: Buffer, token: string) =>
      fetch(`${h.t.url}/webhooks/email/inbound`, { method: 'POST', body, headers: { 'content-type': 'message/rfc822', authorization: `Bearer ${token}` } });
    return {
      channel: 'email',
      hub: h.t,
      async inbound({ externalId, customer, text }, signing) {
        return (await post(rawMail(customer, externalId, text), signing === 'signed' ? h.inboundToken : `forged-${h.inboundToken}`)).status;
      },
      sends: {
        async providerIdOf(text) {
          const mail = await waitFor(`the sink to get "${text}"`, () => h.sink.mails.find((m) => m.parsed.text?.includes(text)), 10_000);
          return (mail.parsed.messageId ?? '').replace(/^<|>$/g, '');
        },
        async reportDelivered(message) {
          return (await post(deliveryReport({ to: SUPPORT, messageId: message.externalId ?? '', recipient: 'customer001@customer.example', action: 'delivered', status: '2.0.0' }), h.inboundToken)).status;
        },
      },
      stop: () => h.stop(),
    };
  });
});

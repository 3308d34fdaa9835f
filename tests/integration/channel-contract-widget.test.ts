import { createHash } from 'node:crypto';
import type { VisitorSession, WidgetMessage } from '../../src/channels/widget/protocol';
import { describeChannelContract } from '../support/channel-contract';
import { ENGINES } from '../support/env';
import { startTestHub } from '../support/hub';
import { waitFor } from '../support/processes';
import { createWebsite, GENEROUS_LIMITS, newVisitor, widget, WidgetSocket } from '../support/widget';

/**
 * The widget keeps the channel-adapter contract: a visitor's message is signed by their visitor token,
 * a repeated clientId is the duplicate, the widget's socket is the provider that receives replies (by
 * the hub's message id), and its `received` frame is the receipt.
 */
describe.each(ENGINES)('on %s', (engine) => {
  describeChannelContract('widget', async () => {
    const hub = await startTestHub(engine, { env: GENEROUS_LIMITS });
    const website = await createWebsite(hub);
    const visitors = new Map<string, { session: VisitorSession; socket: WidgetSocket }>();

    async function visitor(customer: string): Promise<{ session: VisitorSession; socket: WidgetSocket }> {
      const known = visitors.get(customer);
      if (known) return known;
      const session = await newVisitor(hub, website);
      const socket = await WidgetSocket.ready(hub.url, website, session.token);
      const started = { session, socket };
      visitors.set(customer, started);
      return started;
    }

    /** The visitor's socket that received a message like this (the hub marks a reply sent before the socket has it). */
    function holderOf(match: (message: WidgetMessage) => boolean): Promise<{ socket: WidgetSocket; message: WidgetMessage }> {
      return waitFor('a visitor’s socket to receive the message', () => {
        for (const { socket } of visitors.values()) {
          const message = socket.messages.find(match);
          if (message) return { socket, message };
        }
        return undefined;
      }, 15_000);
    }

    /** The contract's external ids as clientIds: one per message, the same for its duplicate. */
    const clientIdOf = (externalId: string) => createHash('sha256').update(externalId).digest('hex').slice(0, 32);

    return {
      channel: 'widget',
      hub,
      async inbound({ externalId, customer, text }, signing) {
        const { session } = await visitor(customer);
        const [version, payload, signature = ''] = session.token.split('.');
        const token = signing === 'signed' ? session.token : `${version ?? ''}.${payload ?? ''}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
        return (await widget(hub, website, '/messages', { json: { clientId: clientIdOf(externalId), body: text }, token })).status;
      },
      sends: {
        async providerIdOf(text) {
          return (await holderOf((message) => message.body === text)).message.id;
        },
        async reportDelivered(message) {
          // The socket has no answer to a frame: 202 says the receipt went out once the visitor had the message.
          const { socket } = await holderOf((seen) => seen.id === message.id);
          socket.send({ type: 'received', messageId: message.id });
          return 202;
        },
      },
      async stop() {
        for (const { socket } of visitors.values()) socket.close();
        await hub.stop();
      },
    };
  });
});

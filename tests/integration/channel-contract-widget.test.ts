import { createHash } from 'node:crypto';
import type { ServerFrame, VisitorSession } from '../../src/channels/widget/protocol';
import { describeChannelContract } from '../support/channel-contract';
import { ENGINES } from '../support/env';
import { startTestHub } from '../support/hub';
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
          for (const { socket } of visitors.values()) {
            const received = socket.messages.find((message) => message.body === text);
            if (received) return received.id;
          }
          const sockets = [...visitors.values()].map(({ socket }) => socket);
          const found = await Promise.any(sockets.map((socket) => socket.until<Extract<ServerFrame, { type: 'message' }>>(`the reply "${text}"`, (frame) => frame.type === 'message' && frame.message.body === text)));
          return found.message.id;
        },
        reportDelivered(message) {
          // The socket has no answer to a frame: 202 says it went out, 404 that no visitor had the message.
          const holder = [...visitors.values()].find(({ socket }) => socket.messages.some((seen) => seen.id === message.id));
          holder?.socket.send({ type: 'received', messageId: message.id });
          return Promise.resolve(holder ? 202 : 404);
        },
      },
      async stop() {
        for (const { socket } of visitors.values()) socket.close();
        await hub.stop();
      },
    };
  });
});

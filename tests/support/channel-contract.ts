import { randomBytes } from 'node:crypto';
import { repo } from '../../src/core/model/schemas';
import type { Message, MessageDirection } from '../../src/core/model/types';
import type { TestHub } from './hub';
import { waitFor } from './processes';

/**
 * What the channel-adapter contract needs from one channel: a hub with the channel on, and the
 * provider's side of it (whoever signs inbound requests, receives sends and reports receipts).
 */
export interface ChannelHarness {
  channel: string;
  hub: TestHub;
  /** Posts one message as the provider does, properly signed or forged; answers the HTTP status. */
  inbound(message: { externalId: string; customer: string; text: string }, signing: 'signed' | 'forged'): Promise<number>;
  /**
   * What an accepted inbound request stores: a customer message on this channel, unless the channel is
   * where agents work (Slack), whose requests are agents' replies on the customer's channel.
   */
  stores?: { channel: string; direction: MessageDirection };
  /** Customer channels: the provider's side of sending, which agents' channels do not have. */
  sends?: {
    /** The provider's own id of the message it received with this text, once it has it. */
    providerIdOf(text: string): Promise<string>;
    /** Reports, as the provider does, that a sent message reached the customer; answers the HTTP status. */
    reportDelivered(message: Message): Promise<number>;
  };
  /**
   * Channels that take a request before they act on it (Slack: acknowledged once queued) wait here
   * until what the requests so far started is done, so that nothing more is to come.
   */
  settle?(): Promise<void>;
  stop(): Promise<void>;
}

const ACCEPTED = [200, 201, 202, 204];
const WAIT_MS = 15_000;

/**
 * The contract every channel adapter keeps (shared/STYLE.md, point 8): a signed request is accepted, a
 * forged one refused, a duplicate ignored, a send yields the provider's id, a receipt moves the status.
 * Each channel runs this same file against its own harness.
 */
export function describeChannelContract(name: string, start: () => Promise<ChannelHarness>, kind: 'customer' | 'agents' = 'customer'): void {
  describe(`${name}: channel-adapter contract`, () => {
    let h: ChannelHarness;
    let customers = 0;
    beforeAll(async () => {
      h = await start();
    });
    afterAll(async () => {
      await (h as ChannelHarness | undefined)?.stop();
    });

    const messages = () => repo(h.hub.hub.db.manager, 'Message');
    const newInbound = () => {
      customers += 1;
      return { externalId: `${h.channel}-${randomBytes(8).toString('hex')}`, customer: String(customers).padStart(3, '0'), text: `Contract ${randomBytes(4).toString('hex')}` };
    };

    /** The message an accepted request stored, once it is there. */
    function storedAs(text: string): Promise<Message> {
      return waitFor(`"${text}" to be stored`, async () => (await messages().findOneBy({ body: text })) ?? undefined, WAIT_MS);
    }

    async function storedInbound(): Promise<Message> {
      const message = newInbound();
      expect(ACCEPTED).toContain(await h.inbound(message, 'signed'));
      return storedAs(message.text);
    }

    async function sentReply(): Promise<Message> {
      const inbound = await storedInbound();
      const text = `Reply ${randomBytes(4).toString('hex')}`;
      const created = await h.hub.request(`/api/v1/conversations/${inbound.conversationId}/messages`, { method: 'POST', json: { body: text } });
      expect(created.status).toBe(201);
      const { id } = created.body as { id: string };
      return waitFor(`the reply to be sent on ${h.channel}`, async () => {
        const message = await messages().findOneByOrFail({ id });
        return message.deliveryStatus === 'sent' && message.externalId !== null ? message : undefined;
      }, WAIT_MS);
    }

    it('accepts a signed request and stores its message', async () => {
      const message = newInbound();
      expect(ACCEPTED).toContain(await h.inbound(message, 'signed'));
      expect(await storedAs(message.text)).toMatchObject({ ...(h.stores ?? { channel: h.channel, direction: 'inbound' }), body: message.text });
    });

    it('refuses a forged request and stores nothing', async () => {
      const before = await messages().count();
      const message = newInbound();
      expect([401, 403]).toContain(await h.inbound(message, 'forged'));
      await h.settle?.();
      expect(await messages().count()).toBe(before);
    });

    it('ignores a duplicate of a request it has taken', async () => {
      const message = newInbound();
      expect(ACCEPTED).toContain(await h.inbound(message, 'signed'));
      expect(ACCEPTED).toContain(await h.inbound(message, 'signed'));
      await storedAs(message.text);
      await h.settle?.();
      expect(await messages().countBy({ body: message.text })).toBe(1);
    });

    // A channel where agents work sends nothing to customers: it has no sending half to check.
    if (kind === 'agents') return;

    function sends(): NonNullable<ChannelHarness['sends']> {
      if (!h.sends) throw new Error(`the ${h.channel} harness lacks its sending half`);
      return h.sends;
    }

    it('yields the provider’s id when it sends a reply', async () => {
      const reply = await sentReply();
      expect(reply.externalId).toBe(await sends().providerIdOf(reply.body));
    });

    it('moves the reply’s status on a receipt', async () => {
      const reply = await sentReply();
      expect(ACCEPTED).toContain(await sends().reportDelivered(reply));
      await waitFor(`the receipt to move the ${h.channel} reply`, async () => (await messages().findOneByOrFail({ id: reply.id })).deliveryStatus === 'delivered', WAIT_MS);
    });
  });
}

import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { repo } from '../../src/core/model/schemas';
import { SlackEmulator } from '../emulators/slack';
import { inbound as customerWrites } from '../support/agent-api';
import { describeChannelContract } from '../support/channel-contract';
import { ENGINES } from '../support/env';
import { startTestHub } from '../support/hub';
import { waitFor } from '../support/processes';

const CHANNEL = 'C0CONTRACT';
const WAIT_MS = 15_000;
/** Slack's requests are acted on in the workers; this long without a change means none is coming. */
const QUIET_MS = 600;

/**
 * Slack is where agents work, not a customer channel: its inbound requests are events of agents writing
 * in a conversation's thread, signed with the app's signing secret, and a redelivery (same event id,
 * X-Slack-Retry-Num) is the duplicate. What they store is the agent's reply, on the customer's channel.
 * Slack sends nothing to customers, so the contract's sending half does not apply; its own counterpart,
 * that each copy in a thread is recorded under the ts Slack gave it, is checked below.
 */
describe.each(ENGINES)('on %s', (engine) => {
  const botToken = `xoxb-${randomBytes(12).toString('hex')}`;
  const signingSecret = randomBytes(16).toString('hex');

  describeChannelContract(
    'slack',
    async () => {
      const slack = await SlackEmulator.start({ botToken, signingSecret });
      const hub = await startTestHub(engine, { env: slack.hubEnv(CHANNEL) });
      const user = `U${randomBytes(4).toString('hex').toUpperCase()}`;
      const created = await hub.request('/api/v1/agents', { method: 'POST', json: { name: 'Contract Agent', email: `contract-${user.toLowerCase()}@agents.test`, slackUserId: user } });
      expect(created.status).toBe(201);
      const { conversationId } = await customerWrites(hub, { name: 'Contract Customer' }, 'A question for the contract');
      const header = await slack.headerOf(conversationId, WAIT_MS);
      const sent = new Set<string>();
      return {
        channel: 'slack',
        hub,
        stores: { channel: 'api', direction: 'outbound' },
        async inbound({ externalId, text }, signing) {
          const retry = sent.has(externalId);
          sent.add(externalId);
          // A redelivery is the same event about the same message (its ts), not a new message.
          const ts = retry ? slack.userMessages.find((m) => m.text === text)?.ts : undefined;
          const answer = await slack.sendUserMessage(
            hub.url,
            { channel: header.channel, threadTs: header.ts, user, text, eventId: externalId, ...(ts === undefined ? {} : { ts }) },
            { ...(signing === 'forged' ? { signature: `v0=${'0'.repeat(64)}` } : {}), ...(retry ? { retryNum: 1, retryReason: 'http_timeout' } : {}) },
          );
          return answer.status;
        },
        async settle() {
          await sleep(QUIET_MS);
        },
        async stop() {
          await hub.stop();
          await slack.close();
        },
      };
    },
    'agents',
  );
});

describe.each(ENGINES)('Slack, where replies are copied, on %s', (engine) => {
  it('records each message copied into a thread under the ts Slack answered', async () => {
    const botToken = `xoxb-${randomBytes(12).toString('hex')}`;
    const slack = await SlackEmulator.start({ botToken, signingSecret: randomBytes(16).toString('hex') });
    const hub = await startTestHub(engine, { env: slack.hubEnv(CHANNEL) });
    try {
      const { conversationId } = await customerWrites(hub, { name: 'Ts Customer' }, 'Copied with its ts');
      const header = await slack.headerOf(conversationId, WAIT_MS);
      const reply = await hub.request(`/api/v1/conversations/${conversationId}/messages`, { method: 'POST', json: { body: 'An answer with its ts' } });
      const { id } = reply.body as { id: string };
      const copy = await slack.waitFor('the reply’s copy', () => slack.thread(header.channel, header.ts).find((m) => m.text.endsWith('An answer with its ts')), WAIT_MS);
      const recorded = await waitFor('the copy to be recorded', async () => (await repo(hub.hub.db.manager, 'MirroredMessage').findOneBy({ messageId: id, target: 'slack' })) ?? undefined, WAIT_MS);
      expect(recorded.ref).toBe(copy.ts);
    } finally {
      await hub.stop();
      await slack.close();
    }
  });
});

import { Redis } from 'ioredis';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { Like } from 'typeorm';
import { repo } from '../../src/core/model/schemas';
import { openDatabase } from '../../src/infra/db/data-source';
import { RedisEventBus } from '../../src/infra/redis/event-bus';
import { createTestEnvironment, ENGINES, redisUrl, type TestEnvironment } from '../support/env';
import { createApiKeyWithCli, describeError, freePort, HubProcess, killStartedProcesses, waitFor } from '../support/processes';

const TOTAL = 2000;
const IN_FLIGHT = 50;
const KILL_AFTER_ANSWERS = 700;
/** A message that got no answer is sent again, as a client would; this many tries at most. */
const MAX_ATTEMPTS = 5;
/** Jobs left waiting (or running) in the killed process must have run within this long of the end. */
const JOBS_DEADLINE_MS = 30_000;

interface Answer {
  status: number;
  messageId?: string;
  duplicate?: boolean;
}

/** The group-commit batches a hub process wrote so far, and the units in them, from its /metrics. */
async function groupCommitBatches(url: string): Promise<{ count: number; units: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const figure = (name: string) => Number(new RegExp(`^switchboard_db_group_commit_batch_size_${name} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { count: figure('count'), units: figure('sum') };
}

describe.each(ENGINES)('a hub SIGKILLed in the middle of ingest on %s', (engine) => {
  let t: TestEnvironment;
  let env: Record<string, string>;
  let apiKey: string;
  let subscriber: Redis | undefined;
  let unsubscribe: (() => Promise<void>) | undefined;
  /** message id → how many `message.created` events the bus carried for it. */
  const created = new Map<string, number>();
  let dataSource: DataSource | undefined;

  beforeAll(async () => {
    t = createTestEnvironment(engine);
    // A fixed port: the restarted hub must come back where the client is sending.
    // Group commit on, as by default, named here because it is what this test is about: acknowledged only after the shared commit.
    env = { ...t.env, PORT: String(await freePort()), LOG_LEVEL: 'info', DB_GROUP_COMMIT_MAX_WAIT_MS: '2', DB_GROUP_COMMIT_MAX_BATCH: '64' };
    apiKey = await createApiKeyWithCli(env, 'crash-test');
    subscriber = new Redis(redisUrl());
    const bus = new RedisEventBus(subscriber, t.prefix, pino({ level: 'silent' }));
    unsubscribe = await bus.subscribe((event) => {
      if (event.type === 'message.created') created.set(event.data.message.id, (created.get(event.data.message.id) ?? 0) + 1);
    });
  });

  afterAll(async () => {
    await killStartedProcesses();
    await unsubscribe?.();
    subscriber?.disconnect();
    await dataSource?.destroy();
    await t.cleanup();
  });

  it('stores every message it acknowledged exactly once and runs the jobs of each', async () => {
    const first = new HubProcess(env);
    let url = await first.running();
    let current = first;

    const answers = new Map<number, Answer>();
    const attempts = new Array<number>(TOTAL).fill(0);
    const unanswered = new Set<number>();
    const gaveUp: string[] = [];
    const queue = Array.from({ length: TOTAL }, (_, i) => i);
    let restart: Promise<void> | undefined;
    let answeredBeforeKill = 0;

    async function send(i: number): Promise<Answer> {
      const response = await fetch(`${url}/api/v1/inbound`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sourceId: `crash-${i}`, contact: { externalId: `customer-${i % 97}`, name: `Customer ${i % 97}` }, body: `message number ${i}` }),
        signal: AbortSignal.timeout(20_000),
      });
      const body = (await response.json()) as { messageId?: string; duplicate?: boolean };
      return { status: response.status, messageId: body.messageId, duplicate: body.duplicate };
    }

    async function killAndRestart(): Promise<void> {
      answeredBeforeKill = answers.size;
      const exit = await first.stop('SIGKILL');
      expect(exit.signal).toBe('SIGKILL');
      const second = new HubProcess(env);
      current = second;
      url = await second.running();
    }

    async function client(): Promise<void> {
      for (;;) {
        if (restart) await restart;
        const i = queue.shift();
        if (i === undefined) return;
        attempts[i] = (attempts[i] ?? 0) + 1;
        try {
          answers.set(i, await send(i));
          if (!restart && answers.size >= KILL_AFTER_ANSWERS) restart = killAndRestart();
        } catch (error) {
          // No answer (connection reset by the kill, or refused while the hub is down): send it again.
          unanswered.add(i);
          if ((attempts[i] ?? 0) >= MAX_ATTEMPTS) gaveUp.push(`crash-${i}: ${describeError(error)}`);
          else queue.push(i);
        }
      }
    }

    await Promise.all(Array.from({ length: IN_FLIGHT }, client));
    await restart;

    expect(gaveUp).toEqual([]);
    // The kill really happened mid-way, with requests in flight that never got an answer.
    expect(answeredBeforeKill).toBeGreaterThanOrEqual(KILL_AFTER_ANSWERS);
    expect(answeredBeforeKill).toBeLessThan(TOTAL);
    expect(unanswered.size).toBeGreaterThan(0);

    const statuses = new Map<number, number>();
    for (const answer of answers.values()) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    expect([...statuses.keys()].filter((status) => status !== 200 && status !== 202)).toEqual([]);
    expect(answers.size).toBe(TOTAL);
    // Only a message whose first answer was lost can be a duplicate on re-sending.
    for (const [i, answer] of answers) if (answer.duplicate) expect(unanswered.has(i)).toBe(true);

    const acknowledged = new Map([...answers].map(([i, answer]) => [`crash-${i}`, answer.messageId ?? '']));
    const missing = () => [...acknowledged.values()].filter((id) => !created.has(id));
    await waitFor('the message.created event of every acknowledged message', () => missing().length === 0, JOBS_DEADLINE_MS, 100).catch((error: unknown) => {
      throw new Error(`${describeError(error)}: ${missing().length} missing, e.g. ${missing().slice(0, 5).join(', ')}; hub output ends with:\n${current.tail()}`, { cause: error });
    });

    // The restarted hub wrote its part of the burst in shared transactions: fewer commits than messages.
    const batches = await groupCommitBatches(url);
    expect(batches.units).toBeGreaterThan(batches.count);

    // The killed hub's last rows (committed, maybe published, not yet deleted) are the relay's once they
    // are old enough that no request of a live process could still be publishing them: wait for it.
    dataSource = await openDatabase(t.config);
    const outbox = repo(dataSource.manager, 'OutboxEvent');
    await waitFor('the outbox to be relayed and emptied', async () => (await outbox.count()) === 0, JOBS_DEADLINE_MS, 100);
    expect((await current.stop('SIGTERM')).code).toBe(0);

    const stored = await repo(dataSource.manager, 'Message').find({ where: { channel: 'api', externalId: Like('crash-%') }, select: { id: true, externalId: true } });
    const storedBySource = new Map<string, string[]>();
    for (const message of stored) storedBySource.set(message.externalId ?? '', [...(storedBySource.get(message.externalId ?? '') ?? []), message.id]);

    // No sourceId stored twice, and every acknowledged message stored once, under the id it was answered with.
    expect([...storedBySource].filter(([, ids]) => ids.length > 1)).toEqual([]);
    const lost = [...acknowledged].filter(([sourceId, id]) => storedBySource.get(sourceId)?.[0] !== id);
    expect(lost).toEqual([]);
    expect(stored).toHaveLength(TOTAL);

    // Every stored message had its jobs run: its event was published, once.
    expect(stored.filter((message) => !created.has(message.id)).map((m) => m.externalId)).toEqual([]);
    expect([...created].filter(([, count]) => count > 1)).toEqual([]);
    // And nothing is left waiting in the outbox after the clean stop either.
    expect(await outbox.count()).toBe(0);
  }, 75_000);
});

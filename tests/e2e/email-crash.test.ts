import type { DataSource } from 'typeorm';
import { repo } from '../../src/core/model/schemas';
import { openDatabase } from '../../src/infra/db/data-source';
import { SmtpClient } from '../support/email';
import { createTestEnvironment, ENGINES, type TestEnvironment } from '../support/env';
import { describeError, freePort, HubProcess, killStartedProcesses } from '../support/processes';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';

const TOTAL = 300;
const SENDERS = 10;
const KILL_AFTER_ANSWERS = 100;
/** A mail that got no 250 is sent again, as a sending server would; this many tries at most. */
const MAX_ATTEMPTS = 6;
const SUPPORT = 'support@acme.test';

describe.each(ENGINES)('a hub SIGKILLed during a burst of SMTP deliveries on %s', (engine) => {
  let t: TestEnvironment;
  let env: Record<string, string>;
  let sink: SmtpSink;
  let smtpPort: number;
  let dataSource: DataSource | undefined;

  beforeAll(async () => {
    t = createTestEnvironment(engine);
    sink = await startSmtpSink();
    smtpPort = await freePort();
    env = {
      ...t.env,
      PORT: String(await freePort()),
      LOG_LEVEL: 'info',
      SMTP_URL: sink.url,
      MAIL_FROM: `Acme <${SUPPORT}>`,
      EMAIL_ADDRESSES: SUPPORT,
      INBOUND_SMTP_PORT: String(smtpPort),
      // Group commit on (the default), named because the 250 must wait for the shared commit.
      DB_GROUP_COMMIT_MAX_WAIT_MS: '2',
      DB_GROUP_COMMIT_MAX_BATCH: '64',
    };
  });

  afterAll(async () => {
    await killStartedProcesses();
    await dataSource?.destroy();
    await sink.close();
    await t.cleanup();
  });

  it('stores every mail it answered 250 exactly once, and a retried mail once', async () => {
    const first = new HubProcess(env);
    await first.running();
    let current = first;

    const accepted = new Set<number>();
    const attempts = new Array<number>(TOTAL).fill(0);
    const unanswered = new Set<number>();
    const gaveUp: string[] = [];
    const queue = Array.from({ length: TOTAL }, (_, i) => i);
    let restart: Promise<void> | undefined;
    let acceptedBeforeKill = 0;

    async function killAndRestart(): Promise<void> {
      acceptedBeforeKill = accepted.size;
      const exit = await first.stop('SIGKILL');
      expect(exit.signal).toBe('SIGKILL');
      current = new HubProcess(env);
      await current.running();
    }

    async function sender(): Promise<void> {
      let client = new SmtpClient(smtpPort);
      for (;;) {
        if (restart) await restart;
        const i = queue.shift();
        if (i === undefined) break;
        attempts[i] = (attempts[i] ?? 0) + 1;
        try {
          await client.send({ from: `customer${i % 37}@customer.example`, to: SUPPORT, subject: `Burst ${i}`, text: `mail number ${i}`, messageId: `crash-${i}@customer.example` });
          accepted.add(i);
          if (!restart && accepted.size >= KILL_AFTER_ANSWERS) restart = killAndRestart();
        } catch (error) {
          // No 250 (the connection died with the hub, or it was refused while the hub was down): retry, as an MTA does.
          unanswered.add(i);
          client.close();
          client = new SmtpClient(smtpPort);
          if ((attempts[i] ?? 0) >= MAX_ATTEMPTS) gaveUp.push(`crash-${i}: ${describeError(error)}`);
          else queue.push(i);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      client.close();
    }

    await Promise.all(Array.from({ length: SENDERS }, sender));
    await restart;

    expect(gaveUp).toEqual([]);
    expect(acceptedBeforeKill).toBeGreaterThanOrEqual(KILL_AFTER_ANSWERS);
    expect(acceptedBeforeKill).toBeLessThan(TOTAL);
    expect(unanswered.size).toBeGreaterThan(0);
    expect(accepted.size).toBe(TOTAL);
    expect((await current.stop('SIGTERM')).code).toBe(0);

    dataSource = await openDatabase(t.config);
    const stored = await repo(dataSource.manager, 'Message').find({ where: { channel: 'email', direction: 'inbound' }, select: { id: true, externalId: true } });
    const byId = new Map<string, number>();
    for (const message of stored) byId.set(message.externalId ?? '', (byId.get(message.externalId ?? '') ?? 0) + 1);
    expect([...byId].filter(([, count]) => count > 1)).toEqual([]);
    const missing = [...accepted].filter((i) => !byId.has(`crash-${i}@customer.example`));
    expect(missing).toEqual([]);
    expect(stored).toHaveLength(TOTAL);
    // Each with its original, committed with it.
    expect(await repo(dataSource.manager, 'MessageOriginal').count()).toBe(TOTAL);
  }, 90_000);
});

import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { In } from 'typeorm';
import { newId } from '../../src/core/ids';
import { repo } from '../../src/core/model/schemas';
import type { OutboxEvent } from '../../src/core/model/types';
import { retryOnUniqueViolation } from '../../src/core/unique';
import { outboxJobId } from '../../src/workers/job-publisher';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { waitFor } from '../support/processes';

/**
 * The unit of work (Outbox.runUnit): the outbox rows written in a unit become jobs once it commits, and
 * never when it rolls back, whether the database refused a write or the unit's own code threw.
 */

/** A queue no worker of the hub consumes, so that published jobs stay where the test can see them. */
const QUEUE = 'unit-of-work-test';
/** Long enough for an after-commit publish to have reached Redis, had there been one. */
const SETTLE_MS = 500;

describe.each(ENGINES)('units of work on %s', (engine) => {
  let t: TestHub;
  let redis: Redis;
  let queue: Queue;

  beforeAll(async () => {
    t = await startTestHub(engine);
    redis = new Redis(t.hub.redisUrl, { maxRetriesPerRequest: 1 });
    queue = new Queue(QUEUE, { connection: redis, prefix: t.environment.prefix });
  });
  afterAll(async () => {
    await queue.close();
    redis.disconnect();
    await t.stop();
  });

  function row(payload: unknown): OutboxEvent {
    return { id: newId(), queue: QUEUE, name: 'test', payload, conversationId: null, runAt: null, createdAt: new Date() };
  }

  async function isPublished(written: OutboxEvent): Promise<boolean> {
    return (await queue.getJob(outboxJobId(written.id))) !== undefined;
  }

  /** Neither a job nor a row left for the relay to publish later. */
  async function expectNeverPublished(rows: OutboxEvent[]): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    for (const written of rows) expect(await isPublished(written)).toBe(false);
    expect(await repo(t.hub.db.manager, 'OutboxEvent').countBy({ id: In(rows.map((r) => r.id)) })).toBe(0);
  }

  it('publishes the rows of a committed unit after it commits, not before', async () => {
    const rows = [row({ n: 1 }), row({ n: 2 })];
    const result = await t.hub.outbox.runUnit(async (unit) => {
      await unit.write(rows);
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      for (const written of rows) expect(await isPublished(written)).toBe(false);
      return 'committed';
    });

    expect(result).toBe('committed');
    for (const written of rows) {
      const job = await waitFor(`the job of outbox row ${written.id}`, () => queue.getJob(outboxJobId(written.id)), 5000);
      expect(job.data).toEqual(written.payload);
    }
  });

  it('publishes nothing of a unit the database rolled back', async () => {
    const kept = row({ rolledBack: true });
    const failure = t.hub.outbox.runUnit(async (unit) => {
      await unit.write([kept]);
      // The same outbox id twice: a unique violation, so the transaction rolls back.
      await unit.write([{ ...row(null), id: kept.id }]);
    });

    await expect(failure).rejects.toThrow();
    await expectNeverPublished([kept]);
  });

  it('publishes nothing of a unit that throws after writing rows, and passes its error on', async () => {
    const rows = [row({ thrown: 1 }), row({ thrown: 2 })];
    const failure = t.hub.outbox.runUnit(async (unit) => {
      await unit.write(rows);
      throw new Error('changed its mind');
    });

    await expect(failure).rejects.toThrow('changed its mind');
    await expectNeverPublished(rows);
  });

  it('publishes only the rows of the attempt that committed when a unit is retried after a unique violation', async () => {
    const attempts: OutboxEvent[] = [];

    await retryOnUniqueViolation(() =>
      t.hub.outbox.runUnit(async (unit) => {
        const written = row({ attempt: attempts.length + 1 });
        attempts.push(written);
        await unit.write([written]);
        // The first attempt writes its row twice: a unique violation, so it rolls back and is retried.
        if (attempts.length === 1) await unit.write([{ ...row(null), id: written.id }]);
      }),
    );

    expect(attempts).toHaveLength(2);
    const [failed, committed] = attempts;
    if (!failed || !committed) throw new Error('two attempts expected');
    await waitFor('the job of the committed attempt', () => queue.getJob(outboxJobId(committed.id)), 5000);
    await expectNeverPublished([failed]);
  });
});

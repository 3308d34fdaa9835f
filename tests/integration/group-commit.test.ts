import { Queue } from 'bullmq';
import pino from 'pino';
import type { EntityManager } from 'typeorm';
import { GroupCommit, type BatchReport } from '../../src/core/group-commit';
import { newId } from '../../src/core/ids';
import type { OutboxEvent } from '../../src/core/model/types';
import { EVENTS_QUEUE, Outbox } from '../../src/core/outbox';
import { Sql } from '../../src/core/sql';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';

/**
 * Group commit on both engines: units that arrive together share one transaction and each resolves only
 * after that transaction committed; a unit that fails (a unique violation, its own error after writing)
 * fails alone and takes nothing of its neighbours with it; settings of 0 turn it off.
 */

interface Written {
  id: string;
  manager: EntityManager;
}

describe.each(ENGINES)('group commit on %s', (engine) => {
  let t: TestHub;

  beforeAll(async () => {
    t = await startTestHub(engine);
  });
  afterAll(async () => {
    await t.stop();
  });

  /** A group commit over the hub's database that records its batches and its commits. */
  function groupCommit(settings: { maxWaitMs: number; maxBatch: number }) {
    const reports: BatchReport[] = [];
    const log: string[] = [];
    const commits = new GroupCommit<Written>(
      t.hub.db,
      settings,
      {
        beforeCommit: () => Promise.resolve(),
        afterCommit: (_manager, results) => log.push(`commit ${results.map((r) => r.id).join(',')}`),
        rolledBack: () => log.push('rolled back'),
      },
      (report) => reports.push(report),
    );
    return { commits, reports, log };
  }

  async function insertContact(manager: EntityManager, id: string): Promise<void> {
    const sql = new Sql(manager, t.hub.db.engine);
    const now = sql.date(new Date());
    await sql.run(`INSERT INTO contacts (id, name, email, phone, attributes, "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?, ?)`, [id, 'Group', null, null, '{}', now, now]);
  }

  async function stored(ids: string[]): Promise<string[]> {
    const sql = new Sql(t.hub.db.manager, t.hub.db.engine);
    const rows = await sql.rows<{ id: string }>(`SELECT id FROM contacts WHERE id IN (${ids.map(() => '?').join(', ')})`, ids);
    return rows.map((row) => row.id).sort();
  }

  /**
   * A unit that keeps its lane busy until released: the units that come meanwhile wait for the next
   * batch, as they do in a burst (a unit that finds its lane quiet starts at once, alone).
   */
  function blocker() {
    let release = (): void => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const id = newId();
    return {
      release,
      work: async (manager: EntityManager): Promise<Written> => {
        await released;
        await insertContact(manager, id);
        return { id, manager };
      },
    };
  }

  function unit(id: string) {
    return async (manager: EntityManager): Promise<Written> => {
      await insertContact(manager, id);
      return { id, manager };
    };
  }

  it('runs units that arrive together in one transaction and answers each after its commit', async () => {
    const { commits, reports, log } = groupCommit({ maxWaitMs: 1000, maxBatch: 8 });
    const busy = blocker();
    const first = commits.run(busy.work, 'one-sender');
    const ids = Array.from({ length: 8 }, () => newId());
    const all = Promise.all(
      ids.map((id) =>
        commits.run(unit(id), 'one-sender').then((written) => {
          log.push(`answered ${written.id}`);
          return written;
        }),
      ),
    );
    busy.release();
    await first;
    const answers = await all;

    // The full batch starts as soon as the lane is free (not after the 1 s wait), on one transaction's manager.
    expect(reports.map((report) => [report.size, report.retriedAlone])).toEqual([
      [1, 0],
      [8, 0],
    ]);
    expect(reports[1]?.waitedMs).toBeLessThan(1000);
    expect(new Set(answers.map((answer) => answer.manager)).size).toBe(1);
    const batchLog = log.slice(log.indexOf(`commit ${ids.join(',')}`));
    expect(batchLog[0]).toBe(`commit ${ids.join(',')}`);
    expect(batchLog.slice(1).sort()).toEqual(ids.map((id) => `answered ${id}`).sort());
    expect(await stored(ids)).toEqual([...ids].sort());
  });

  it('starts a batch that is not full once its first unit has waited the longest wait', async () => {
    const { commits, reports } = groupCommit({ maxWaitMs: 5, maxBatch: 100 });
    const busy = blocker();
    const first = commits.run(busy.work, 'one-sender');
    const ids = [newId(), newId()];
    const rest = Promise.all(ids.map((id) => commits.run(unit(id), 'one-sender')));
    busy.release();
    await Promise.all([first, rest]);
    expect(reports.map((report) => report.size)).toEqual([1, 2]);
    expect(await stored(ids)).toEqual([...ids].sort());
  });

  it('starts a unit that finds its lane quiet at once, without waiting for others', async () => {
    const { commits, reports } = groupCommit({ maxWaitMs: 60_000, maxBatch: 100 });
    const id = newId();
    await commits.run(unit(id), 'one-sender');
    expect(reports.map((report) => report.size)).toEqual([1]);
    expect(reports[0]?.waitedMs).toBeLessThan(1000);
    expect(await stored([id])).toEqual([id]);
  });

  it('fails a unit that breaks a unique key alone; its neighbours commit', async () => {
    const taken = newId();
    await t.hub.db.transaction((manager) => insertContact(manager, taken));
    const { commits, reports } = groupCommit({ maxWaitMs: 1000, maxBatch: 5 });
    const ids = [newId(), newId(), taken, newId(), newId()];

    const busy = blocker();
    const first = commits.run(busy.work, 'one-sender');
    const settled = Promise.allSettled(ids.map((id) => commits.run(unit(id), 'one-sender')));
    busy.release();
    await first;
    const outcomes = await settled;

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const good = ids.filter((id) => id !== taken);
    expect(await stored(good)).toEqual([...good].sort());
    // SQLite rolls the failed unit back to its savepoint; PostgreSQL rolls back the batch and runs each unit again alone.
    expect(reports[1]?.retriedAlone).toBe(engine === 'sqlite' ? 1 : 5);
  });

  it('keeps nothing of a unit that throws after writing, and passes its error on', async () => {
    const { commits } = groupCommit({ maxWaitMs: 1000, maxBatch: 3 });
    const thrower = newId();
    const ids = [newId(), thrower, newId()];
    const busy = blocker();
    const first = commits.run(busy.work, 'one-sender');
    const settled = Promise.allSettled(
      ids.map((id) =>
        commits.run(async (manager) => {
          await insertContact(manager, id);
          if (id === thrower) throw new Error('changed its mind');
          return { id, manager };
        }, 'one-sender'),
      ),
    );
    busy.release();
    await first;
    const outcomes = await settled;

    expect(outcomes[1]).toEqual({ status: 'rejected', reason: new Error('changed its mind') });
    expect(await stored(ids)).toEqual(ids.filter((id) => id !== thrower).sort());
  });

  it(`spreads units without a key over ${engine === 'postgres' ? 'two lanes whose batches run side by side' : 'its one lane'}`, async () => {
    const { commits, reports } = groupCommit({ maxWaitMs: 20, maxBatch: 100 });
    const busy = [blocker(), blocker()];
    const first = busy.map((b) => commits.run(b.work));
    const ids = Array.from({ length: 6 }, () => newId());
    const rest = Promise.all(ids.map((id) => commits.run(unit(id))));
    for (const b of busy) b.release();
    await Promise.all([...first, rest]);
    // PostgreSQL: each blocker alone in its lane, then each lane's three; SQLite: one blocker, then the other with the six.
    expect(reports.map((report) => report.size).sort()).toEqual(engine === 'postgres' ? [1, 1, 3, 3] : [1, 7]);
    expect(await stored(ids)).toEqual([...ids].sort());
  });

  it('runs every unit in a transaction of its own when either setting is 0', async () => {
    for (const settings of [
      { maxWaitMs: 0, maxBatch: 50 },
      { maxWaitMs: 2, maxBatch: 0 },
    ]) {
      const { commits, reports, log } = groupCommit(settings);
      const ids = [newId(), newId(), newId()];
      const answers = await Promise.all(ids.map((id) => commits.run(unit(id))));
      expect(commits.enabled).toBe(false);
      expect(new Set(answers.map((answer) => answer.manager)).size).toBe(3);
      expect(reports).toEqual([]);
      expect(log).toHaveLength(3);
    }
  });

  it('deletes published outbox rows in the next unit\'s transaction, and keeps them when it rolls back', async () => {
    const published: string[] = [];
    // The fallback delete of its own is an hour away: only a unit's transaction can delete the rows here.
    const outbox = new Outbox(t.hub.db, { publish: (rows) => Promise.resolve(void published.push(...rows.map((r) => r.id))) }, pino({ level: 'silent' }), {
      groupCommit: { maxWaitMs: 2, maxBatch: 64 },
      deleteAfterMs: 3600_000,
    });
    const row = (): OutboxEvent => ({ id: newId(), queue: 'group-commit-test', name: 'test', payload: {}, conversationId: null, runAt: null, createdAt: new Date() });
    const inTable = async (ids: string[]) => (await new Sql(t.hub.db.manager, t.hub.db.engine).rows<{ id: string }>(`SELECT id FROM outbox_events WHERE id IN (${ids.map(() => '?').join(', ')})`, ids)).map((r) => r.id).sort();
    const publishedNow = async (id: string) => {
      for (let tries = 0; tries < 200 && !published.includes(id); tries++) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(published).toContain(id);
    };

    const first = row();
    await outbox.runUnit((unit) => unit.write([first]));
    await publishedNow(first.id);
    expect(await inTable([first.id])).toEqual([first.id]);

    // A unit that writes one outbox row twice rolls its transaction back, and the delete that rode along with it.
    const twice = row();
    await expect(outbox.runUnit((unit) => unit.write([twice, { ...row(), id: twice.id }]))).rejects.toThrow();
    expect(await inTable([first.id])).toEqual([first.id]);

    const second = row();
    await outbox.runUnit((unit) => unit.write([second]));
    expect(await inTable([first.id, second.id])).toEqual([second.id]);
    await publishedNow(second.id);
    await outbox.flush();
    expect(await inTable([second.id])).toEqual([]);
  });

  it('publishes the outbox rows of a batch in one publish, after its commit', async () => {
    const publishes: string[][] = [];
    const outbox = new Outbox(t.hub.db, { publish: (rows) => Promise.resolve(void publishes.push(rows.map((r) => r.id))) }, pino({ level: 'silent' }), {
      groupCommit: { maxWaitMs: 1000, maxBatch: 3 },
    });
    const row = (): OutboxEvent => ({ id: newId(), queue: 'group-commit-test', name: 'test', payload: {}, conversationId: null, runAt: null, createdAt: new Date() });
    const busy = blocker();
    const first = outbox.runUnit(async (unit) => {
      await busy.work(unit.manager);
    }, { key: 'one-sender' });
    const rows = [row(), row(), row()];
    const rest = Promise.all(rows.map((written) => outbox.runUnit((unit) => unit.write([written]), { key: 'one-sender' })));
    busy.release();
    await Promise.all([first, rest]);
    for (let tries = 0; tries < 200 && publishes.length === 0; tries++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(publishes).toEqual([rows.map((r) => r.id)]);
    await outbox.flush();
  });

  it('shows its batches in the metrics after a burst of ingests, whose events skip the events queue', async () => {
    const received = new Set<string>();
    const unsubscribe = await t.hub.bus.subscribe((event) => {
      if (event.type === 'message.created') received.add(event.data.message.externalId ?? '');
    });
    const events = new Queue(EVENTS_QUEUE, { connection: { url: t.hub.redisUrl }, prefix: t.environment.prefix });
    await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        t
          .request('/api/v1/inbound', { method: 'POST', json: { sourceId: `burst-${n}`, contact: { externalId: `burst-${n % 4}` }, body: `message ${n}` } })
          .then((res) => expect(res.status).toBe(202)),
      ),
    );
    const metrics = String((await t.request('/metrics', { key: null })).body);
    const count = Number(/^switchboard_db_group_commit_batch_size_count (\d+)/m.exec(metrics)?.[1]);
    const sum = Number(/^switchboard_db_group_commit_batch_size_sum (\d+)/m.exec(metrics)?.[1]);
    expect(count).toBeGreaterThan(0);
    expect(sum).toBeGreaterThanOrEqual(20);
    expect(metrics).toMatch(/^switchboard_db_group_commit_wait_seconds_count \d+/m);

    // A process that runs workers hands the events it committed to the bus itself: no events job.
    for (let tries = 0; tries < 400 && received.size < 20; tries++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(received.size).toBe(20);
    const jobs = await events.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
    await events.close();
    await unsubscribe();
    expect(Object.values(jobs).reduce((sum, n) => sum + n, 0)).toBe(0);
  });
});

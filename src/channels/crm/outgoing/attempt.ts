import type { Logger } from 'pino';
import { z } from 'zod';
import type { Database } from '../../../core/database';
import { PermanentDeliveryError } from '../../../core/errors';
import { repo } from '../../../core/model/schemas';
import type { WebhookAttempt, WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint } from '../../../core/model/types';
import type { Outbox, Unit } from '../../../core/outbox';
import type { Metrics } from '../../../infra/metrics';
import { claimAttempt, deliveryWithEndpoint, failUntried, findDelivery, hasPendingPredecessor, nextInLine, recordResult, type DeliveryResult } from './deliveries';
import { attemptRow, type AttemptJob } from './delivery-rows';
import { disableEndpoint, failedLongEnough, noteFailure, noteSuccess } from './endpoints';
import { verdictOf, type Verdict } from './retries';
import { signedHeaders, type SendOutcome, type WebhookSender } from './sender';

export interface AttemptDeps {
  db: Database;
  outbox: Outbox;
  sender: WebhookSender;
  /** The waits before each retry, in ms. */
  schedule: readonly number[];
  disableAfterMs: number;
  metrics: Metrics;
  logger: Logger;
}

const attemptJob = z.object({ deliveryId: z.string().min(1), attemptCount: z.number().int().min(0), token: z.string().min(1) });

/** Tries of one endpoint under way in this process at once; more wait a moment, so a hanging receiver holds few workers. */
const MAX_IN_FLIGHT_PER_ENDPOINT = 8;
const BUSY_ENDPOINT_WAIT_MS = 1000;

/** Units of one line share a group-commit lane (they lock the same rows). */
function lineKey(delivery: Pick<WebhookDelivery, 'endpointId' | 'orderKey'>): string {
  return `webhook:${delivery.endpointId}:${delivery.orderKey}`;
}

/** The next delivery of the line wakes once this one is done, at its own retry time if it has one. */
async function wakeNext(unit: Unit, db: Database, delivery: Pick<WebhookDelivery, 'endpointId' | 'orderKey'>, now: Date): Promise<void> {
  const next = await nextInLine(unit.manager, db, delivery.endpointId, delivery.orderKey);
  if (!next) return;
  const runAt = next.nextAttemptAt && next.nextAttemptAt > now ? next.nextAttemptAt : null;
  await unit.write([attemptRow(next, runAt, now)]);
}

type Claim = { claimed: true; delivery: WebhookDelivery; endpoint: WebhookEndpoint } | { claimed: false; why: 'finished' | 'overtaken' | 'waiting' | 'disabled' | 'busy' };

/**
 * Runs one attempt job: claims the delivery's next try (unless a delivery before it in its line is
 * pending: that one wakes it when done), sends it, and records what came of it with whatever follows
 * in the same unit (the retry's job, the next delivery's wake-up, the endpoint's state).
 */
export class AttemptRunner {
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly deps: AttemptDeps) {}

  async run(data: unknown): Promise<void> {
    const parsed = attemptJob.safeParse(data);
    if (!parsed.success) throw new PermanentDeliveryError('a webhook attempt job without a delivery');
    const job: AttemptJob = parsed.data;
    const { db, logger } = this.deps;
    const found = await deliveryWithEndpoint(db, job.deliveryId);
    if (found?.delivery.status !== 'pending') return;
    const claim = await this.deps.outbox.runUnit((unit) => this.claim(unit, job, found.delivery, found.endpoint), { key: lineKey(found.delivery) });
    if (!claim.claimed) {
      logger.debug({ deliveryId: job.deliveryId, why: claim.why }, 'webhook attempt not made');
      return;
    }
    const { delivery, endpoint } = claim;
    const fields = { deliveryId: delivery.id, endpointId: endpoint.id, eventId: delivery.eventId, eventType: delivery.eventType, attempt: delivery.attemptCount };
    if (delivery.attemptCount === 1) this.deps.metrics.webhookFirstAttemptDelay.observe(Math.max(0, Date.now() - delivery.orderAt.getTime()) / 1000);
    this.inFlight.set(endpoint.id, (this.inFlight.get(endpoint.id) ?? 0) + 1);
    let outcome: SendOutcome;
    let latencyMs: number;
    const startedAt = new Date();
    try {
      const started = performance.now();
      outcome = await this.deps.sender.send(new URL(endpoint.url), signedHeaders(endpoint, delivery.eventId, delivery.body, startedAt), delivery.body);
      latencyMs = Math.round(performance.now() - started);
    } finally {
      this.inFlight.set(endpoint.id, (this.inFlight.get(endpoint.id) ?? 1) - 1);
    }
    const verdict = verdictOf(outcome, delivery.attemptCount - delivery.retriesFrom, this.deps.schedule);
    this.deps.metrics.webhookAttemptLatency.observe({ outcome: verdict.kind }, latencyMs / 1000);
    const attempt: WebhookAttempt = { at: startedAt.toISOString(), statusCode: outcome.answered ? outcome.status : null, latencyMs, response: outcome.answered ? outcome.text : outcome.error };
    const recorded = await this.deps.outbox.runUnit((unit) => this.record(unit, job, delivery, endpoint, attempt, verdict), { key: lineKey(delivery) });
    if (!recorded) {
      logger.warn(fields, 'webhook attempt result dropped: another job took the delivery over');
      return;
    }
    if (recorded !== 'pending') this.deps.metrics.webhookDeliveries.inc({ outcome: recorded });
    const level = recorded === 'succeeded' ? 'debug' : 'info';
    logger[level]({ ...fields, statusCode: attempt.statusCode, latencyMs, outcome: verdict.kind, status: recorded, ...(outcome.answered ? {} : { error: outcome.error }) }, 'webhook attempt');
  }

  /**
   * The endpoint was read with the delivery just before: a change to it in between (turned off, a new
   * URL) reaches the next try, not this one.
   */
  private async claim(unit: Unit, job: AttemptJob, seen: WebhookDelivery, endpoint: WebhookEndpoint | undefined): Promise<Claim> {
    const { db } = this.deps;
    const now = new Date();
    if (await hasPendingPredecessor(unit.manager, db, seen)) return { claimed: false, why: 'waiting' };
    if (!endpoint?.enabled) {
      if (await failUntried(unit.manager, db, seen.id, now, endpoint ? 'endpoint disabled' : 'endpoint deleted')) {
        this.deps.metrics.webhookDeliveries.inc({ outcome: 'endpoint_disabled' });
        await wakeNext(unit, db, seen, now);
      }
      return { claimed: false, why: 'disabled' };
    }
    if ((this.inFlight.get(endpoint.id) ?? 0) >= MAX_IN_FLIGHT_PER_ENDPOINT) {
      if (seen.attemptCount === job.attemptCount) await unit.write([attemptRow(seen, new Date(now.getTime() + BUSY_ENDPOINT_WAIT_MS), now)]);
      return { claimed: false, why: 'busy' };
    }
    if (!(await claimAttempt(unit.manager, db, job, now))) {
      const current = await findDelivery(unit.manager, seen.id);
      return { claimed: false, why: current?.status === 'pending' ? 'overtaken' : 'finished' };
    }
    return { claimed: true, delivery: { ...seen, attemptCount: job.attemptCount + 1, claimToken: job.token, updatedAt: now }, endpoint };
  }

  /**
   * Records a claimed try and what follows from it. The result is written first, on the condition that
   * the claim is still this job's; only then the endpoint's state changes.
   */
  private async record(unit: Unit, job: AttemptJob, delivery: WebhookDelivery, seenEndpoint: WebhookEndpoint, attempt: WebhookAttempt, verdict: Verdict): Promise<WebhookDeliveryStatus | false> {
    const { db, logger } = this.deps;
    const now = new Date();
    const claim = { deliveryId: delivery.id, attemptCount: job.attemptCount + 1, token: job.token };
    // A failure reads the endpoint again: whether it has failed long enough to be disabled is decided on its latest state.
    const endpoint = verdict.kind === 'succeeded' ? seenEndpoint : ((await repo(unit.manager, 'WebhookEndpoint').findOneBy({ id: seenEndpoint.id })) ?? seenEndpoint);
    const disables = verdict.kind === 'failed' && verdict.disable !== undefined;
    // A failure that disables the endpoint ends its delivery too: no retry would be sent.
    const endsEndpoint = disables || (verdict.kind === 'retry' && endpoint.enabled && failedLongEnough(endpoint, now, this.deps.disableAfterMs));
    const retryAt = verdict.kind === 'retry' && !endsEndpoint ? new Date(now.getTime() + verdict.waitMs) : null;
    const result: DeliveryResult = {
      status: verdict.kind === 'succeeded' ? 'succeeded' : retryAt ? 'pending' : 'failed',
      attempts: [...delivery.attempts, attempt],
      nextAttemptAt: retryAt,
      finishedAt: retryAt ? null : now,
    };
    if (!(await recordResult(unit.manager, db, claim, result, now))) return false;
    if (verdict.kind === 'succeeded') await noteSuccess(unit, db, endpoint, now);
    else if (disables) await disableEndpoint(unit, db, endpoint, verdict.disable ?? '', now, logger);
    else if (endpoint.enabled) await noteFailure(unit, db, endpoint, now, this.deps.disableAfterMs, logger);
    if (retryAt) await unit.write([attemptRow({ ...delivery, attemptCount: claim.attemptCount }, retryAt, now)]);
    else await wakeNext(unit, db, delivery, now);
    return result.status;
  }
}

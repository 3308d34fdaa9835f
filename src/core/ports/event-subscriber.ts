import type { DomainEvent } from '../events';
import type { JobAttempt } from './channel-jobs';

/**
 * Follows the hub's domain events in the workers (a CRM's webhooks): the events it wants become jobs of
 * its own (one per conversation and publish, handed over in their order), retried on their own through
 * the shared error mapping, so a slow or failing subscriber neither delays the others nor loses an
 * event. `handle` may run twice for one event (a crash, or a retry of a job whose later event failed),
 * so it must be idempotent on `event.id`.
 */
export interface EventSubscriber {
  /** Unique among subscribers; part of each job's id. */
  readonly name: string;
  /** The event types it wants; `*` for all. */
  readonly events: readonly DomainEvent['type'][] | '*';
  /**
   * What it wants right now, read each time events are handed over (after their commit), when that
   * depends on the data (the event types of the webhook endpoints there are): events it does not want
   * cost it no job. Never narrower than what `handle` would act on.
   */
  wanted?(): Promise<readonly string[] | '*'>;
  /**
   * Its events come in order per conversation, several to a job: it cannot replace the job's data.
   * `index` is the event's place among the job's events (they share a commit, often a timestamp).
   */
  handle(event: DomainEvent, attempt: Pick<JobAttempt, 'lastAttempt'> & { index: number }): Promise<void>;
}

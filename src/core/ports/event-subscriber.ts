import type { DomainEvent } from '../events';
import type { JobAttempt } from './channel-jobs';

/**
 * Follows the hub's domain events in the workers (a CRM's webhooks): each event it wants becomes a job
 * of its own, retried on its own through the shared error mapping, so a slow or failing subscriber
 * neither delays the others nor loses an event. `handle` may run twice for one event (a crash between
 * its work and the job's completion), so it must be idempotent on `event.id`.
 */
export interface EventSubscriber {
  /** Unique among subscribers; part of each job's id. */
  readonly name: string;
  /** The event types it wants; `*` for all. */
  readonly events: readonly DomainEvent['type'][] | '*';
  handle(event: DomainEvent, attempt: JobAttempt): Promise<void>;
}

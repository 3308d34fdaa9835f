import type { Job } from 'bullmq';
import type { DomainEvent, EventBus } from '../../core/events';

/** Hands a domain event to the event bus; the bus publishes each event id once, so a re-run is harmless. */
export function publishEventProcessor(bus: EventBus) {
  return async (job: Job<DomainEvent>): Promise<'published' | 'duplicate'> => bus.publish(job.data);
}

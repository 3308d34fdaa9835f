import type { Job } from 'bullmq';
import type { EventBus } from '../../core/events';
import type { EventsJob } from '../../core/outbox';

/** Hands a transaction's events to the event bus; the bus publishes each event id once, so a re-run is harmless. */
export function publishEventsProcessor(bus: EventBus) {
  return async (job: Job<EventsJob>): Promise<number> => bus.publishAll(job.data.events);
}

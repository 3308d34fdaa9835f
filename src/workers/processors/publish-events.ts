import type { Job, Queue } from 'bullmq';
import type { DomainEvent, EventBus } from '../../core/events';
import type { EventsJob } from '../../core/outbox';
import { subscriberJobs, wantedNow, type SubscriberFanOut } from './notify-subscribers';
import type { MirrorJob } from './sync-mirror';

/** Where conversations are mirrored (Slack): each gets a sync job for every conversation published events touched. */
export interface MirrorFanOut {
  queue: Queue<MirrorJob>;
  targets: readonly string[];
}

/**
 * Hands events to the event bus, then asks every mirror to catch up with the conversations they touched
 * and gives each subscriber the events it follows. The bus publishes each event id once and the other
 * jobs' ids come from the event ids, so handing the same events over again is harmless.
 */
export function eventsPublisher(bus: EventBus, mirrors?: MirrorFanOut, subscribers?: SubscriberFanOut) {
  return async (events: readonly DomainEvent[]): Promise<number> => {
    const published = await bus.publishAll(events);
    if (mirrors && mirrors.targets.length > 0) {
      const firstEventOf = new Map<string, string>();
      for (const { conversationId, id } of events) if (conversationId !== null && !firstEventOf.has(conversationId)) firstEventOf.set(conversationId, id);
      await mirrors.queue.addBulk(
        [...firstEventOf].flatMap(([conversationId, eventId]) =>
          mirrors.targets.map((target) => ({ name: 'sync', data: { target, conversationId }, opts: { jobId: `mirror-${target}-${eventId}` } })),
        ),
      );
    }
    if (subscribers) {
      const jobs = subscriberJobs(await wantedNow(subscribers), events);
      if (jobs.length > 0) await subscribers.queue.addBulk(jobs);
    }
    return published;
  };
}

/** An events job: a transaction's events that were not handed over in the process that committed them. */
export function publishEventsProcessor(publish: (events: readonly DomainEvent[]) => Promise<number>) {
  return (job: Job<EventsJob>): Promise<number> => publish(job.data.events);
}

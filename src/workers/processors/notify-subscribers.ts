import type { Job, Queue } from 'bullmq';
import type { DomainEvent } from '../../core/events';
import type { EventSubscriber } from '../../core/ports/event-subscriber';
import { attemptOf } from '../attempt';

/** One job per event and subscriber, so each subscriber retries on its own. */
export const SUBSCRIBERS_QUEUE = 'subscribers';

export interface SubscriberJob {
  subscriber: string;
  event: DomainEvent;
}

/** Where published events are handed to the channels that follow them (see eventsPublisher). */
export interface SubscriberFanOut {
  queue: Queue<SubscriberJob>;
  subscribers: readonly Pick<EventSubscriber, 'name' | 'events'>[];
}

/** The subscriber jobs of a transaction's events; their ids come from the event ids, so adding them twice adds one each. */
export function subscriberJobs(fanOut: SubscriberFanOut, events: readonly DomainEvent[]): { name: string; data: SubscriberJob; opts: { jobId: string } }[] {
  return fanOut.subscribers.flatMap((subscriber) =>
    events
      .filter((event) => subscriber.events === '*' || subscriber.events.includes(event.type))
      .map((event) => ({ name: event.type, data: { subscriber: subscriber.name, event }, opts: { jobId: `subscriber-${subscriber.name}-${event.id}` } })),
  );
}

/** Hands one event to its subscriber; a subscriber that is gone (turned off since) has nothing to do. */
export function notifySubscriberProcessor(subscribers: readonly EventSubscriber[]) {
  const byName = new Map(subscribers.map((subscriber) => [subscriber.name, subscriber]));
  return async (job: Job<SubscriberJob>): Promise<void> => {
    await byName.get(job.data.subscriber)?.handle(job.data.event, attemptOf(job));
  };
}

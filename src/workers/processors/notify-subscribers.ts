import type { Job, Queue } from 'bullmq';
import type { DomainEvent } from '../../core/events';
import type { EventSubscriber } from '../../core/ports/event-subscriber';
import { attemptOf } from '../attempt';

/** One job per subscriber and conversation of a publish, so each subscriber retries on its own. */
export const SUBSCRIBERS_QUEUE = 'subscribers';

export interface SubscriberJob {
  subscriber: string;
  /** Events of one conversation (or one event about no conversation), oldest first. */
  events: DomainEvent[];
}

/** Where published events are handed to the channels that follow them (see eventsPublisher). */
export interface SubscriberFanOut {
  queue: Queue<SubscriberJob>;
  subscribers: readonly Pick<EventSubscriber, 'name' | 'events' | 'wanted'>[];
}

/** Each subscriber with the event types it wants for this hand-over (see EventSubscriber.wanted). */
export async function wantedNow(fanOut: SubscriberFanOut): Promise<Pick<EventSubscriber, 'name' | 'events'>[]> {
  return Promise.all(
    fanOut.subscribers.map(async (subscriber) => {
      if (!subscriber.wanted) return subscriber;
      const wanted = await subscriber.wanted();
      const events = subscriber.events === '*' ? wanted : wanted === '*' ? subscriber.events : subscriber.events.filter((type) => wanted.includes(type));
      return { name: subscriber.name, events: events as EventSubscriber['events'] };
    }),
  );
}

/**
 * The subscriber jobs of published events: per subscriber, one job for the events of each conversation,
 * so that a subscriber sees one conversation's events of a commit in their order, never the later one
 * first. Job ids come from the first event's id, so adding the same events twice adds each job once.
 */
export function subscriberJobs(subscribers: readonly Pick<EventSubscriber, 'name' | 'events'>[], events: readonly DomainEvent[]): { name: string; data: SubscriberJob; opts: { jobId: string } }[] {
  return subscribers.flatMap((subscriber) => {
    const groups = new Map<string, { first: DomainEvent; events: DomainEvent[] }>();
    for (const event of events) {
      if (subscriber.events !== '*' && !subscriber.events.includes(event.type)) continue;
      const key = event.conversationId ?? event.id;
      const group = groups.get(key);
      if (group) group.events.push(event);
      else groups.set(key, { first: event, events: [event] });
    }
    return [...groups.values()].map(({ first, events: group }) => ({ name: first.type, data: { subscriber: subscriber.name, events: group }, opts: { jobId: `subscriber-${subscriber.name}-${first.id}` } }));
  });
}

/**
 * Hands a job's events to their subscriber one after another; a subscriber that is gone (turned off
 * since) has nothing to do. A retry hands them all again: subscribers are idempotent on the event id.
 */
export function notifySubscriberProcessor(subscribers: readonly EventSubscriber[]) {
  const byName = new Map(subscribers.map((subscriber) => [subscriber.name, subscriber]));
  return async (job: Job<SubscriberJob>): Promise<void> => {
    const subscriber = byName.get(job.data.subscriber);
    if (!subscriber) return;
    const { lastAttempt } = attemptOf(job);
    for (const [index, event] of job.data.events.entries()) await subscriber.handle(event, { lastAttempt, index });
  };
}

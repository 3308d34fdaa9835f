import { z } from 'zod';
import { EVENT_TYPES, type EventType } from '../../core/events';
import type { Signal } from '../../core/ports/signals';
import { isAfter, liveEvent, streamPosition, type LiveEvent, type LiveEvents } from '../../http/live-events';
import { route, type RouteSpec } from '../../http/route';

export interface EventRouteDeps {
  live: LiveEvents;
}

/** A widget visitor typing: live only, so it has no id and a client that reconnects does not get it again. */
const TYPING_EVENT = 'conversation.typing';

function typingFrame(signal: Signal): string {
  const { conversationId, occurredAt, typing, from } = signal;
  return `event: ${TYPING_EVENT}\ndata: ${JSON.stringify({ type: TYPING_EVENT, conversationId, occurredAt, data: { typing, from } })}\n\n`;
}

const query = z.strictObject({
  conversationId: z.uuid().optional().describe("Only this conversation's events"),
  types: z
    .string()
    .max(200)
    .transform((v) => v.split(',').map((t) => t.trim()))
    .pipe(z.array(z.enum([...EVENT_TYPES, TYPING_EVENT])))
    .optional()
    .describe('Comma-separated event types to receive (default: all)'),
  lastEventId: z.string().max(40).optional().describe('Same as the Last-Event-ID header, for clients that cannot set headers'),
});

// Long on purpose: one route spec whose handler is the event stream, kept in one place with its docs.
/**
 * `GET /api/v1/events`: live events as server-sent events. A client that reconnects with Last-Event-ID
 * gets every event it missed, in order, exactly once, while the bus still keeps them; otherwise a
 * `reset` event tells it to refetch. Live events that arrive during the catch-up wait in a buffer so
 * nothing falls between the two.
 */
export function eventRoutes({ live }: EventRouteDeps): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/events',
      operationId: 'streamEvents',
      summary: 'Live events (server-sent events), resumable with Last-Event-ID',
      tag: 'Events',
      scope: 'read',
      query,
      headers: [{ name: 'Last-Event-ID', description: 'The id of the last event received; the stream resumes after it' }],
      responses: {
        200: {
          description:
            'An event stream: conversation.created, conversation.updated, conversation.assigned, conversation.resolved, message.created, message.updated, transcript.requested (someone asked for the transcript to be sent to the customer), rating.created, contact.created, contact.updated, contact.merged (about no conversation: not sent when the stream is filtered by conversationId), webhook.disabled; conversation.typing (a widget visitor typing, without an id: never replayed); `reset` when the id to resume from is no longer kept; `: heartbeat` comments',
          contentType: 'text/event-stream',
        },
      },
      async handler({ query: filter, req, res }) {
        const wanted = (event: { conversationId: string | null }, type: EventType | typeof TYPING_EVENT) =>
          (!filter.conversationId || event.conversationId === filter.conversationId) && (!filter.types || filter.types.includes(type));
        res.writeHead(200, {
          'Content-Type': 'text/event-stream; charset=utf-8',
          'Cache-Control': 'no-cache, no-transform',
          Connection: 'keep-alive',
          'X-Accel-Buffering': 'no',
        });
        res.write('retry: 2000\n\n');

        const resumeFrom = filter.lastEventId ?? req.get('last-event-id');
        let lastSent = resumeFrom ? streamPosition(resumeFrom) : undefined;
        // Live events wait here while the missed ones are read, so nothing falls between the two. The id
        // check stays after that: a live event can still be on its way when the read has returned it.
        let buffer: LiveEvent[] | undefined = [];
        const send = ({ event, frame, position }: LiveEvent) => {
          if (lastSent && !isAfter(position, lastSent)) return;
          lastSent = position;
          if (wanted(event, event.type)) res.write(frame);
        };
        const remove = live.add({
          receive: (event) => {
            if (buffer) buffer.push(event);
            else send(event);
          },
          signal: (signal) => {
            // Agents' own typing goes to the widget only.
            if (signal.from === 'visitor' && wanted(signal, TYPING_EVENT)) res.write(typingFrame(signal));
          },
          beat: () => res.write(': heartbeat\n\n'),
          close: () => res.end(),
        });
        req.on('close', remove);

        if (resumeFrom) {
          const missed = await live.bus.readSince(resumeFrom);
          if (missed === 'expired') {
            res.write(`event: reset\ndata: ${JSON.stringify({ reason: 'The events after Last-Event-ID are no longer kept; refetch and continue from here.' })}\n\n`);
            lastSent = undefined;
          } else {
            for (const event of missed) send(liveEvent(event));
          }
        }
        const waiting = buffer;
        buffer = undefined;
        waiting.forEach(send);
        return undefined;
      },
    }),
  ];
}

import { z } from 'zod';
import { compareStreamIds, EVENT_TYPES, type StreamedEvent } from '../../core/events';
import type { LiveEvents } from '../events/live-events';
import { route, type RouteSpec } from '../http/route';

export interface EventRouteDeps {
  live: LiveEvents;
  heartbeatMs: number;
}

const query = z.strictObject({
  conversationId: z.uuid().optional().describe("Only this conversation's events"),
  types: z
    .string()
    .max(200)
    .transform((v) => v.split(',').map((t) => t.trim()))
    .pipe(z.array(z.enum(EVENT_TYPES)))
    .optional()
    .describe('Comma-separated event types to receive (default: all)'),
  lastEventId: z.string().max(40).optional().describe('Same as the Last-Event-ID header, for clients that cannot set headers'),
});

function frame(event: StreamedEvent): string {
  const { streamId, ...payload } = event;
  return `id: ${streamId}\nevent: ${event.type}\ndata: ${JSON.stringify(payload)}\n\n`;
}

/**
 * `GET /api/v1/events`: live events as server-sent events. A client that reconnects with Last-Event-ID
 * gets every event it missed, in order, exactly once, while the bus still keeps them; otherwise a
 * `reset` event tells it to refetch. Live events that arrive during the catch-up wait in a buffer so
 * nothing falls between the two.
 */
export function eventRoutes({ live, heartbeatMs }: EventRouteDeps): RouteSpec[] {
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
            'An event stream: conversation.created, conversation.updated, message.created, message.updated; `reset` when the id to resume from is no longer kept; `: heartbeat` comments',
          contentType: 'text/event-stream',
        },
      },
      async handler({ query: filter, req, res }) {
        const wanted = (event: StreamedEvent) =>
          (!filter.conversationId || event.conversationId === filter.conversationId) && (!filter.types || filter.types.includes(event.type));
        res.writeHead(200, {
          'Content-Type': 'text/event-stream; charset=utf-8',
          'Cache-Control': 'no-cache, no-transform',
          Connection: 'keep-alive',
          'X-Accel-Buffering': 'no',
        });
        res.write('retry: 2000\n\n');

        let lastSent = filter.lastEventId ?? req.get('last-event-id');
        let buffer: StreamedEvent[] | undefined = [];
        const send = (event: StreamedEvent) => {
          if (lastSent && compareStreamIds(event.streamId, lastSent) <= 0) return;
          lastSent = event.streamId;
          if (wanted(event)) res.write(frame(event));
        };
        const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
        const remove = live.add(
          (event) => (buffer ? buffer.push(event) : send(event)),
          () => res.end(),
        );
        req.on('close', () => {
          clearInterval(heartbeat);
          remove();
        });

        if (lastSent) {
          const missed = await live.bus.readSince(lastSent);
          if (missed === 'expired') {
            res.write(`event: reset\ndata: ${JSON.stringify({ reason: 'The events after Last-Event-ID are no longer kept; refetch and continue from here.' })}\n\n`);
            lastSent = undefined;
          } else {
            missed.forEach(send);
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

import { z } from 'zod';
import type { Database } from '../../core/database';
import { NotFoundError, ServiceUnavailableError } from '../../core/errors';
import { repo } from '../../core/model/schemas';
import type { Signals } from '../../core/ports/signals';
import { route, type RouteSpec } from '../../http/route';
import { idParams } from '../../http/params';

/**
 * `POST /api/v1/conversations/:id/typing`: an agent is typing a reply (or stopped). The customer's widget
 * shows it at once; nothing is stored, so a widget that connects later does not see it.
 */
export function typingRoutes({ db, signals }: { db: Database; signals: Signals }): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: '/conversations/:id/typing',
      operationId: 'setTyping',
      summary: "Show the customer that an agent is typing (web chat); send typing: true again every few seconds while it lasts",
      tag: 'Conversations',
      scope: 'write',
      params: idParams,
      body: z.strictObject({ typing: z.boolean().describe('true while the agent types, false when they stop') }),
      example: { typing: true },
      errors: [404, 503],
      responses: { 204: { description: 'Relayed to the customer, if they are connected' } },
      async handler({ params, body, apiKey, res }) {
        res.locals.conversationId = params.id;
        if (!(await repo(db.manager, 'Conversation').existsBy({ id: params.id }))) throw new NotFoundError(`Conversation ${params.id}`);
        const agent = apiKey.agentId ? await repo(db.manager, 'Agent').findOne({ where: { id: apiKey.agentId }, select: { name: true } }) : null;
        try {
          await signals.publish({ type: 'typing', conversationId: params.id, from: 'agent', typing: body.typing, name: agent?.name ?? null, occurredAt: new Date().toISOString() });
        } catch {
          throw new ServiceUnavailableError('redis_unavailable', 'Typing could not be relayed right now; it is not kept for later.');
        }
        return { status: 204 };
      },
    }),
  ];
}

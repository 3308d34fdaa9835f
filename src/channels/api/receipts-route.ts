import { z } from 'zod';
import { actorOfApiKey } from '../../core/actor';
import type { Database } from '../../core/database';
import { ConflictError, NotFoundError } from '../../core/errors';
import type { Inbound } from '../../core/inbound';
import { repo } from '../../core/model/schemas';
import { toJson } from '../../core/serialize';
import { storedText } from '../../http/inputs';
import { route, type RouteSpec } from '../../http/route';
import { idParams } from '../../http/params';
import { messageView } from '../../http/views';

const REASON_MAX_LENGTH = 500;

const statusReportSchema = z
  .strictObject({
    status: z.enum(['delivered', 'read', 'failed']),
    reason: storedText()
      .max(REASON_MAX_LENGTH)
      .refine((reason) => reason.trim().length > 0, 'must not be blank')
      .optional()
      .describe('Why the reply could not reach the customer; required with failed, and only there'),
  })
  // A reason on a delivered or read reply would read as a failure in the agents' view.
  .refine((report) => (report.status === 'failed') === (report.reason !== undefined), {
    message: 'is required when status is failed, and only then',
    path: ['reason'],
  });

const statusReportResult = z.object({
  message: messageView,
  changed: z.boolean().describe('false when the status could not move (it is already further, or final): the message is unchanged'),
});

/**
 * `POST /api/v1/messages/:id/status`: the integration that received an agent's reply tells what became
 * of it. Statuses only move forward, so a late or repeated report is harmless and answers `changed: false`.
 */
export function statusReportRoute(deps: { db: Database; inbound: Inbound; channel: string }): RouteSpec {
  return route({
    method: 'post',
    path: '/messages/:id/status',
    operationId: 'reportMessageStatus',
    summary: 'Report what became of a reply the integration received on the API channel (delivered, read or failed)',
    tag: 'Messages',
    scope: 'write',
    params: idParams,
    body: statusReportSchema,
    example: { status: 'delivered' },
    errors: [404, 409],
    responses: { 200: { description: 'The message after the report', schema: statusReportResult } },
    async handler({ params, body, apiKey, res }) {
      const messages = repo(deps.db.manager, 'Message');
      const message = await messages.findOneBy({ id: params.id });
      if (!message) throw new NotFoundError(`Message ${params.id}`);
      res.locals.conversationId = message.conversationId;
      // Channel, direction and the note flag never change, so checking them before the update is safe.
      if (message.channel !== deps.channel || message.direction !== 'outbound' || message.private) {
        throw new ConflictError('not_api_channel', `Message ${params.id} is not a reply sent on the ${deps.channel} channel; only those take status reports.`);
      }
      const { message: updated } = await deps.inbound.accept({
        kind: 'receipt',
        channel: deps.channel,
        messageId: params.id,
        change: body,
        reportedBy: { actor: actorOfApiKey(apiKey), action: 'message.status_reported' },
      });
      const current = updated ?? (await messages.findOneByOrFail({ id: params.id }));
      return { status: 200, body: { message: toJson(current), changed: updated !== undefined } };
    },
  });
}

import { z } from 'zod';
import { listAudit } from '../../core/audit';
import type { Database } from '../../core/database';
import { route, type RouteSpec } from '../../http/route';
import { cursor, limit } from '../../http/params';
import { auditView, pageView } from '../../http/views';

export function auditRoutes({ db }: { db: Database }): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/audit',
      operationId: 'listAudit',
      summary: 'Who changed what and when, newest first',
      tag: 'Audit',
      scope: 'admin',
      query: z.strictObject({
        entityType: z.enum(['conversation', 'message', 'contact', 'channel_identity', 'inbox', 'agent', 'team', 'api_key', 'website', 'rating', 'webhook']).optional(),
        entityId: z.string().max(64).optional(),
        actorId: z.string().max(64).optional(),
        limit,
        cursor,
      }),
      responses: { 200: { description: 'A page of audit entries', schema: pageView(auditView) } },
      async handler({ query }) {
        return { status: 200, body: await listAudit(db, query) };
      },
    }),
  ];
}

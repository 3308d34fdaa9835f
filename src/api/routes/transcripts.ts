import { z } from 'zod';
import { getConversation } from '../../core/conversations/list';
import { conversationTranscript, transcriptOf, transcriptParty } from '../../core/conversations/transcript';
import type { Database } from '../../core/database';
import { NotFoundError } from '../../core/errors';
import { repo } from '../../core/model/schemas';
import { toJson } from '../../core/serialize';
import { idParams } from '../../http/params';
import { route, type RouteSpec } from '../../http/route';
import { sendTranscript } from '../../http/send-file';
import { conversationView, messageView } from '../../http/views';

/** Whom a transcript says the customer talked to when neither website, inbox nor team has a name. */
const DEFAULT_PARTY = 'Support';

const query = z.strictObject({
  format: z.enum(['html', 'txt', 'json']).default('html').describe('html: a self-contained page (what the customer downloads); txt: plain text; json: the conversation and its messages'),
});

const transcriptView = z.object({ conversation: conversationView, messages: z.array(messageView).describe('Oldest first, without private notes') });

/** `GET /conversations/:id/transcript`: the conversation as its customer may see it, in three formats. */
export function transcriptRoutes({ db }: { db: Database }): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/conversations/:id/transcript',
      operationId: 'getTranscript',
      summary: "A conversation's transcript as the customer may see it (no private notes): HTML, plain text or JSON",
      tag: 'Conversations',
      scope: 'read',
      params: idParams,
      query,
      errors: [404],
      responses: {
        200: {
          description: 'The transcript, in the format asked for',
          schema: transcriptView,
          alternatives: { 'text/html': 'format=html: a page that runs and loads nothing', 'text/plain': 'format=txt' },
        },
      },
      async handler({ params, query: { format }, res }) {
        res.locals.conversationId = params.id;
        const conversation = await repo(db.manager, 'Conversation').findOneBy({ id: params.id });
        if (!conversation) throw new NotFoundError(`Conversation ${params.id}`);
        if (format === 'json') {
          const [view, { messages }] = await Promise.all([getConversation(db, conversation.id), transcriptOf(db, conversation)]);
          return { status: 200, body: { conversation: view, messages: messages.map(toJson) } };
        }
        const party = (await transcriptParty(db, conversation)) ?? DEFAULT_PARTY;
        sendTranscript(res, conversation.id, { format, text: await conversationTranscript(db, conversation, party, format === 'html' ? 'html' : 'text') });
        return undefined;
      },
    }),
  ];
}

import { z } from 'zod';
import { actorOfApiKey } from '../../../core/actor';
import { ConflictError, NotFoundError } from '../../../core/errors';
import { requestTranscript } from '../../../core/follow-ups/transcript-requests';
import { repo } from '../../../core/model/schemas';
import { idParams } from '../../../http/params';
import { route, type RouteSpec } from '../../../http/route';
import { customerAddress, type FollowUpContext } from './deps';

/** `POST /conversations/:id/transcript/email`: an agent has the transcript mailed to the customer. */
export function followUpApiRoutes(context: FollowUpContext): RouteSpec[] {
  const { db, outbox } = context;
  return [
    route({
      method: 'post',
      path: '/conversations/:id/transcript/email',
      operationId: 'emailTranscript',
      summary: "Email the conversation's transcript to the customer (their contact's email)",
      tag: 'Conversations',
      scope: 'write',
      params: idParams,
      errors: [404, 409, 429],
      responses: { 202: { description: 'Asked for: the mail goes out from the workers, logged in the conversation once sent', schema: z.object({ address: z.string(), requestId: z.string() }) } },
      async handler({ params, apiKey, res }) {
        res.locals.conversationId = params.id;
        const conversation = await repo(db.manager, 'Conversation').findOne({ where: { id: params.id }, select: { id: true, contactId: true, identityId: true } });
        if (!conversation) throw new NotFoundError(`Conversation ${params.id}`);
        const address = await customerAddress(context, conversation);
        if (!address) throw new ConflictError('contact_has_no_email', "The conversation's contact has no email address.");
        const event = await requestTranscript({ db, outbox }, conversation.id, address, actorOfApiKey(apiKey));
        return { status: 202, body: { address, requestId: event.id } };
      },
    }),
  ];
}

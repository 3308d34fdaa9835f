import { z } from 'zod';
import type { Database } from '../../../core/database';
import { emailInput } from '../../../http/inputs';
import { inboxRoutes } from '../../../http/inbox-routes';
import type { RouteSpec } from '../../../http/route';
import { EMAIL_CHANNEL } from '../name';

/** `/api/v1/email-addresses`: the support addresses mail is taken for, and the team behind each. */
export function emailAddressRoutes({ db, onChange }: { db: Database; onChange: () => void }): RouteSpec[] {
  return inboxRoutes({
    db,
    channel: EMAIL_CHANNEL,
    path: '/email-addresses',
    names: { one: 'EmailAddress', many: 'EmailAddresses' },
    noun: 'support address',
    tag: 'Email',
    address: {
      // A plus-address is a reply token's, not an inbox of its own.
      schema: emailInput.pipe(z.string().refine((address) => !address.split('@')[0]?.includes('+'), 'must not have a +tag: support+anything@ already belongs to support@')),
      description: 'The address, lower case; its plus-addresses (support+TOKEN@) belong to it',
      example: 'support@acme.example',
    },
    onChange,
  });
}

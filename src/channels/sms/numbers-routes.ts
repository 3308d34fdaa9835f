import { z } from 'zod';
import type { Database } from '../../core/database';
import { inboxRoutes } from '../../http/inbox-routes';
import type { RouteSpec } from '../../http/route';
import { SMS_CHANNEL } from './outbound';

/** `/api/v1/sms-numbers`: the business's Twilio numbers and the team behind each, so a text lands with the right team. */
export function smsNumberRoutes({ db }: { db: Database }): RouteSpec[] {
  return inboxRoutes({
    db,
    channel: SMS_CHANNEL,
    path: '/sms-numbers',
    names: { one: 'SmsNumber', many: 'SmsNumbers' },
    noun: 'Twilio number',
    tag: 'SMS',
    address: { schema: z.string().regex(/^\+[1-9]\d{6,14}$/, 'expected an E.164 number like +15550100'), description: 'The Twilio number in E.164', example: '+14155550100' },
  });
}

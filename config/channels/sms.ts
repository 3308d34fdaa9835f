import { z } from 'zod';
import { channelSection, url, setting } from '../setting';

/** SMS over Twilio: on with both credentials. */
export const smsSection = channelSection({
  channel: 'sms',
  turnsOn: ['twilioAccountSid', 'twilioAuthToken'],
  settings: {
    twilioAccountSid: setting({
      env: 'TWILIO_ACCOUNT_SID',
      description: 'Twilio account SID (AC...). With TWILIO_AUTH_TOKEN it turns the SMS channel on.',
      schema: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'expected AC followed by 32 hex digits').optional(),
    }),
    twilioAuthToken: setting({
      env: 'TWILIO_AUTH_TOKEN',
      description: "Twilio auth token: signs Twilio's webhooks and authenticates the hub's requests to Twilio.",
      schema: z.string().regex(/^[0-9a-zA-Z]{16,64}$/, 'expected the 32-character auth token').optional(),
      secret: true,
    }),
    twilioNumbers: setting({
      env: 'TWILIO_NUMBERS',
      description: 'Comma-separated Twilio numbers in E.164, each optionally =Team name (e.g. +15550100=Support,+15550101). Also managed with /api/v1/sms-numbers.',
      schema: z
        .string()
        .transform((v) => v.split(',').map((entry) => entry.trim()).filter(Boolean))
        .pipe(
          z.array(
            z
              .string()
              .regex(/^\+[1-9]\d{6,14}(=.{1,200})?$/, 'expected +E.164 numbers, each optionally =Team name')
              .transform((entry) => {
                const [address = '', teamName] = entry.split(/=(.*)/s, 2);
                return { address, teamName: teamName?.trim() || undefined };
              }),
          ),
        ),
      default: '',
      show: (numbers) => numbers.map(({ address, teamName }) => (teamName ? `${address}=${teamName}` : address)).join(','),
    }),
    twilioApiUrl: setting({
      env: 'TWILIO_API_URL',
      description: "Base URL of Twilio's REST API; tests point it at a local emulator.",
      schema: url(['http', 'https']).transform((v) => v.replace(/\/+$/, '')),
      default: 'https://api.twilio.com',
    }),
    smsHelpReply: setting({
      env: 'SMS_HELP_REPLY',
      description: 'The answer to a customer texting HELP (carriers require one).',
      schema: z.string().min(1).max(1600),
      default: 'You are texting our support team; we answer here. Reply STOP to stop messages, START to resume.',
    }),
  },
});

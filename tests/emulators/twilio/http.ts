import { json, type Answer } from '../http';

/**
 * Twilio's legacy error body. The SDK's RestException copies `code`, `message` and `more_info`
 * (as moreInfo) from it; leaving out `type`/`title` keeps the SDK from treating it as an RFC 9457
 * problem (TwilioServiceException), which Twilio's 2010-04-01 API never sends.
 */
export function twilioError(status: number, code: number, message: string, headers: Record<string, string> = {}): Answer {
  return json(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, headers);
}

/** The user and password of an HTTP Basic Authorization header, or null when there is none. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | null {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

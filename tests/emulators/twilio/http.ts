import type { IncomingMessage } from 'node:http';

/** A complete answer, built before anything is written so the request log records the real status. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

const MAX_BODY_BYTES = 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.destroy(new Error('request body over 1 MiB'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): Answer {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(value) };
}

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

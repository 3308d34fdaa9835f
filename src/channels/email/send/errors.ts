import { PermanentDeliveryError, RetryableDeliveryError } from '../../../core/errors';

/**
 * The fields nodemailer 10 sets on the errors it hands back (NodemailerError in its typings): `code` is
 * its own (EENVELOPE, ECONNECTION, ...), `originalCode` the system's (ECONNREFUSED) when nodemailer
 * replaced it, `response` the server's whole reply with `responseCode` its number.
 */
interface SmtpErrorFields {
  message: string;
  name?: unknown;
  code?: unknown;
  originalCode?: unknown;
  response?: unknown;
  responseCode?: unknown;
  timeoutType?: unknown;
}

const AUTH_CODES = new Set(['EAUTH', 'ENOAUTH', 'EOAUTH2']);

/** Errors nodemailer raises before any server saw the mail, about the mail itself: sending it again fails again. */
const INVALID_MAIL: Record<string, string> = {
  EENVELOPE: 'smtp_invalid_envelope',
  EMESSAGE: 'smtp_invalid_message',
};

const NETWORK: Record<string, string> = {
  ECONNREFUSED: 'the SMTP server refused the connection',
  ECONNRESET: 'the SMTP server reset the connection',
  EHOSTUNREACH: 'the SMTP server is unreachable',
  ENETUNREACH: 'the network of the SMTP server is unreachable',
  ENOTFOUND: "the SMTP server's host name was not found",
  EAI_AGAIN: "the SMTP server's host name could not be resolved for now",
  EPIPE: 'the SMTP server closed the connection',
};

/**
 * What a failed send means for the delivery job. Whatever may pass later is retryable: a 4xx reply,
 * network and TLS failures, timeouts, an abort (the delivery deadline) and anything unknown. Bad
 * credentials are retryable too: they are the operator's to fix, and the mail must still go out once
 * fixed. Only a 5xx reply is permanent, with the server's reply as the message; 503 (bad sequence of
 * commands) is the exception RFC 5321 and nodemailer make, a broken session rather than a refused mail.
 */
export function deliveryErrorOf(error: unknown): RetryableDeliveryError | PermanentDeliveryError {
  if (error instanceof RetryableDeliveryError || error instanceof PermanentDeliveryError) return error;
  const fields = fieldsOf(error);
  const code = typeof fields.code === 'string' ? fields.code : undefined;
  const reply = typeof fields.response === 'string' ? fields.response.trim() : undefined;
  const responseCode = typeof fields.responseCode === 'number' ? fields.responseCode : undefined;

  if (code === 'EABORT' || fields.name === 'AbortError') {
    return new RetryableDeliveryError('Sending the mail was aborted before the SMTP server accepted it (the delivery deadline passed).');
  }
  if (code !== undefined && AUTH_CODES.has(code)) {
    return new RetryableDeliveryError(`SMTP authentication failed, check the credentials in SMTP_URL: ${reply ?? fields.message}`);
  }
  if (responseCode !== undefined && responseCode >= 500 && responseCode < 600 && responseCode !== 503) {
    return new PermanentDeliveryError(reply ?? fields.message, `smtp_${responseCode}`);
  }
  if (responseCode !== undefined && responseCode >= 400) {
    return new RetryableDeliveryError(`The SMTP server deferred the mail: ${reply ?? fields.message}`);
  }
  const invalid = code === undefined ? undefined : INVALID_MAIL[code];
  if (invalid !== undefined) return new PermanentDeliveryError(`The mail could not be sent: ${fields.message}`, invalid);
  return new RetryableDeliveryError(`${capitalized(whatHappened(code, fields))}: ${fields.message}`);
}

function whatHappened(code: string | undefined, fields: SmtpErrorFields): string {
  const original = typeof fields.originalCode === 'string' ? fields.originalCode : code;
  const network = original === undefined ? undefined : NETWORK[original];
  if (network !== undefined) return network;
  switch (code) {
    case 'ETIMEDOUT':
      return `the SMTP server did not answer in time${typeof fields.timeoutType === 'string' ? ` (${fields.timeoutType})` : ''}`;
    case 'ECONNECTION':
      return 'the connection to the SMTP server failed';
    case 'ESOCKET':
      return 'the connection to the SMTP server broke';
    case 'EDNS':
      return "the SMTP server's host name could not be resolved";
    case 'ETLS':
      return 'the TLS handshake with the SMTP server failed';
    default:
      return 'sending the mail failed';
  }
}

function fieldsOf(error: unknown): SmtpErrorFields {
  if (error instanceof Error) return error;
  if (typeof error === 'object' && error !== null) {
    const record = error as Record<string, unknown>;
    return { ...record, message: typeof record.message === 'string' ? record.message : 'unknown error' };
  }
  return { message: String(error) };
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

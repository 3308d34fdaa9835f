import { PermanentDeliveryError, RetryableDeliveryError } from '../../src/core/errors';
import { deliveryErrorOf } from '../../src/channels/email/send/errors';

/** Shaped as nodemailer 10's SMTPConnection#_formatError builds them: its code, the reply appended to the message. */
function smtpError(message: string, fields: Record<string, unknown>): Error {
  const response = typeof fields.response === 'string' ? fields.response : undefined;
  const error = Object.assign(new Error(response ? `${message}: ${response}` : message), fields);
  if (response) Object.assign(error, { responseCode: Number(/^\d+/.exec(response)?.[0]) });
  return error;
}

describe('deliveryErrorOf', () => {
  it('makes a 5xx reply at RCPT TO permanent, with the reply as the message and smtp_<code>', () => {
    const reply = '550 5.1.1 <x@y>: Recipient address rejected: User unknown';
    const error = deliveryErrorOf(smtpError("Can't send mail - all recipients were rejected", { code: 'EENVELOPE', response: reply, command: 'RCPT TO' }));
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error.message).toBe(reply);
    expect(error).toMatchObject({ code: 'smtp_550' });
  });

  it('makes a 5xx reply at the end of DATA permanent', () => {
    const error = deliveryErrorOf(smtpError('Message failed', { code: 'EMESSAGE', response: '552 5.3.4 Message too big', command: 'DATA' }));
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error).toMatchObject({ code: 'smtp_552' });
  });

  it.each([
    ['451 4.3.0 Try again later', 'EMESSAGE'],
    ['421 4.7.0 Too many connections', 'ECONNECTION'],
    ['450 4.2.0 Mailbox busy', 'EENVELOPE'],
    // RFC 5321's bad sequence of commands: a broken session, not a refused mail
    ['503 5.5.1 Bad sequence of commands', 'EENVELOPE'],
  ])('retries %s', (reply, code) => {
    const error = deliveryErrorOf(smtpError('Message failed', { code, response: reply }));
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error.message).toContain(reply);
  });

  it('retries bad credentials, saying authentication failed, even on a 535 reply', () => {
    const error = deliveryErrorOf(smtpError('Invalid login', { code: 'EAUTH', response: '535 5.7.8 Authentication credentials invalid' }));
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error.message).toMatch(/authentication failed/i);
    expect(error.message).toContain('535 5.7.8');
    const missing = deliveryErrorOf(smtpError('Missing credentials for "PLAIN"', { code: 'EAUTH' }));
    expect(missing.message).toMatch(/authentication failed/i);
  });

  it.each([
    [{ code: 'ESOCKET', originalCode: 'ECONNREFUSED', errno: -111 }, 'connect ECONNREFUSED 127.0.0.1:25', /refused the connection/],
    [{ code: 'ESOCKET', originalCode: 'ECONNRESET' }, 'read ECONNRESET', /reset the connection/],
    [{ code: 'ECONNECTION' }, 'Connection closed unexpectedly', /connection to the SMTP server failed/],
    [{ code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT' }, 'Greeting never received', /did not answer in time \(GREETING_TIMEOUT\)/],
    [{ code: 'EDNS', originalCode: 'ENOTFOUND' }, 'getaddrinfo ENOTFOUND smtp.invalid', /host name was not found/],
    [{ code: 'EDNS' }, 'DNS failure', /could not be resolved/],
    [{ code: 'ETLS' }, 'self-signed certificate', /TLS handshake/],
    [{ code: 'EPROTOCOL' }, 'Invalid greeting', /sending the mail failed/i],
  ])('retries network failures: %j', (fields, message, expected) => {
    const error = deliveryErrorOf(smtpError(message, fields));
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error.message).toMatch(expected);
    expect(error.message).toContain(message);
  });

  it('retries an aborted send, as nodemailer reports it', () => {
    const aborted = Object.assign(new Error('Message sending aborted'), { name: 'AbortError', code: 'EABORT' });
    const error = deliveryErrorOf(aborted);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error.message).toMatch(/aborted/);
  });

  it('fails for good a mail nodemailer refuses before any server saw it', () => {
    const error = deliveryErrorOf(smtpError('No recipients defined', { code: 'EENVELOPE' }));
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error).toMatchObject({ code: 'smtp_invalid_envelope' });
    expect(error.message).toContain('No recipients defined');
  });

  it('retries what it does not know, and keeps delivery errors as they are', () => {
    expect(deliveryErrorOf(new Error('something odd'))).toBeInstanceOf(RetryableDeliveryError);
    expect(deliveryErrorOf('a string').message).toContain('a string');
    const permanent = new PermanentDeliveryError('gone', 'x');
    expect(deliveryErrorOf(permanent)).toBe(permanent);
  });
});

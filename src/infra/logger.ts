import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs. Credentials are redacted wherever they appear; message bodies are never logged
 * by the hub at info level in the first place.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'switchboard' },
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-twilio-signature"]', 'req.headers["x-slack-signature"]', '*.password', '*.token', '*.apiKey'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

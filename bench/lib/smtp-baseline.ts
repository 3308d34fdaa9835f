import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerOptions } from 'smtp-server';
import { normalizeMessageId } from '../../src/channels/email/mail';
import { openBaselineStore, type BaselineDatabase } from './baseline-db';

export interface SmtpServerHandle {
  host: string;
  port: number;
  /** Mails answered 250. */
  accepted(): number;
  stop(): Promise<void>;
}

const SIZE_LIMIT = 25 * 1024 * 1024;

function collect(stream: SMTPServerDataStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** A plain smtp-server on 127.0.0.1:0 (no AUTH, no STARTTLS, no logging) whose DATA ends in `handle`. */
async function listen(handle: (raw: Buffer) => Promise<void>): Promise<SmtpServerHandle> {
  let accepted = 0;
  const options: SMTPServerOptions = {
    disabledCommands: ['AUTH', 'STARTTLS'],
    authOptional: true,
    logger: false,
    size: SIZE_LIMIT,
    closeTimeout: 5000,
    onData(stream, _session, callback) {
      collect(stream)
        .then(async (raw) => {
          if (stream.sizeExceeded) return callback(Object.assign(new Error('message too big'), { responseCode: 552 }));
          await handle(raw);
          accepted++;
          callback();
        })
        .catch((error: unknown) => callback(Object.assign(new Error(`not stored: ${error instanceof Error ? error.message : String(error)}`), { responseCode: 451 })));
    },
  };
  const server = new SMTPServer(options);
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    accepted: () => accepted,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The floor the hub's inbound SMTP is measured against: a bare smtp-server whose DATA handler collects
 * the mail, parses it with mailparser's simpleParser and does one INSERT of a message row (channel
 * `email`, the normalized Message-ID as externalId, the text part as body) into the hub's own `messages`
 * table on the same engine, file or schema, then answers 250. No recipient check, contact, threading,
 * reply stripping, HTML sanitizing, attachments, outbox, logging or metrics.
 */
export async function startSmtpBaseline(database: BaselineDatabase, label: string): Promise<SmtpServerHandle> {
  const store = await openBaselineStore(database, 'email', `baseline-${label}@customers.bench.test`);
  try {
    const server = await listen(async (raw) => {
      const mail = await simpleParser(raw);
      if (!mail.messageId) throw new Error('no Message-ID');
      await store.insertMessage({ externalId: normalizeMessageId(mail.messageId), body: mail.text ?? '' });
    });
    return {
      ...server,
      async stop() {
        await server.stop();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** The hub's outbound SMTP server (SMTP_URL): takes every mail and answers 250. Outbound is not measured. */
export function startSmtpSink(): Promise<SmtpServerHandle> {
  return listen(() => Promise.resolve());
}

import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

/**
 * What the sink answers one mail: 250 accepts it; 451 defers it at the end of DATA; 550 refuses the
 * recipient at RCPT TO, as Postfix does for an unknown user; 'drop' closes the connection in the middle
 * of DATA, without any answer.
 */
export type SinkAnswer = '250' | '451' | '550' | 'drop';

export interface ReceivedMail {
  /** The envelope, as MAIL FROM and RCPT TO named it. */
  from: string;
  to: string[];
  raw: Buffer;
  /** mailparser's reading of `raw`: headers (a Map, lower-case keys), subject, text, html, attachments. */
  parsed: ParsedMail;
}

export interface SmtpSink {
  /** smtp://127.0.0.1:PORT, with the credentials when the sink wants them. */
  url: string;
  port: number;
  /** The mails answered 250, in the order they were accepted. */
  mails: ReceivedMail[];
  /** How many mails were answered something else than 250. */
  refused: number;
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** Answers for the next mails, after those already queued; once they run out, mails get 250. */
  answerNext(answers: readonly SinkAnswer[]): void;
  close(): Promise<void>;
}

export interface SmtpSinkOptions {
  answers?: readonly SinkAnswer[];
  /** Plain SMTP only: the sink offers no STARTTLS, so nodemailer does not try it with a self-signed certificate. */
  secure?: false;
  /** When set, the sink requires AUTH PLAIN/LOGIN with these credentials. */
  auth?: { user: string; pass: string };
}

const REPLIES = {
  '451': { code: 451, text: '4.3.0 Try again later' },
  '550': { code: 550, text: '5.1.1 <{rcpt}>: Recipient address rejected: User unknown' },
} as const;

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const queue: SinkAnswer[] = [...(options.answers ?? [])];
  const answers = new Map<string, SinkAnswer>();
  const mails: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  let refused = 0;
  const auth = options.auth;

  const answerOf = (session: SMTPServerSession): SinkAnswer => answers.get(session.id) ?? '250';
  const server: SMTPServer = new SMTPServer({
    logger: false,
    disabledCommands: auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !auth,
    allowInsecureAuth: true,
    hideENHANCEDSTATUSCODES: true,
    closeTimeout: 100,
    onAuth(credentials, _session, callback) {
      if (auth && credentials.username === auth.user && credentials.password === auth.pass) return callback(null, { user: auth.user });
      callback(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }));
    },
    onMailFrom(_address, session, callback) {
      answers.set(session.id, queue.shift() ?? '250');
      callback();
    },
    onRcptTo(address, session, callback) {
      if (answerOf(session) !== '550') return callback();
      refused += 1;
      callback(replyError('550', address.address));
    },
    onData(stream, session, callback) {
      const answer = answerOf(session);
      if (answer === 'drop') {
        refused += 1;
        stream.once('data', () => {
          for (const connection of server.connections) if (connection.id === session.id) connection._socket.destroy();
        });
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.once('end', () => {
        if (answer === '451') {
          refused += 1;
          return callback(replyError('451'));
        }
        const raw = Buffer.concat(chunks);
        const envelope = session.envelope;
        simpleParser(raw).then(
          (parsed) => {
            mails.push({ from: envelope.mailFrom ? envelope.mailFrom.address : '', to: envelope.rcptTo.map((rcpt) => rcpt.address), raw, parsed });
            for (const wake of waiters) wake();
            callback(null, `2.0.0 Ok: queued as ${mails.length}`);
          },
          (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
        );
      });
    },
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const { port } = server.server.address() as AddressInfo;
  const credentials = auth ? `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.pass)}@` : '';

  return {
    url: `smtp://${credentials}127.0.0.1:${port}`,
    port,
    mails,
    get refused() {
      return refused;
    },
    waitFor: (count, timeoutMs = 5000) => waitForMails(mails, waiters, count, timeoutMs),
    answerNext: (next) => queue.push(...next),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function replyError(answer: '451' | '550', recipient = ''): Error {
  const reply = REPLIES[answer];
  return Object.assign(new Error(reply.text.replace('{rcpt}', recipient)), { responseCode: reply.code });
}

function waitForMails(mails: ReceivedMail[], waiters: Set<() => void>, count: number, timeoutMs: number): Promise<ReceivedMail[]> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (mails.length < count) return;
      clearTimeout(timer);
      waiters.delete(check);
      resolve(mails.slice(0, count));
    };
    const timer = setTimeout(() => {
      waiters.delete(check);
      reject(new Error(`the SMTP sink received ${mails.length} of ${count} mails within ${timeoutMs} ms`));
    }, timeoutMs);
    waiters.add(check);
    check();
  });
}

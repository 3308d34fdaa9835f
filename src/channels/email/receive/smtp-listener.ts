import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';
import { AppError } from '../../../core/errors';
import { sameSecret } from '../../../core/secrets';
import type { ChannelListener } from '../../channel';
import type { SupportAddresses } from '../addresses';
import type { MailReceiver } from './receiver';

export interface SmtpListenerOptions {
  receiver: MailReceiver;
  addresses: SupportAddresses;
  port: number;
  host: string;
  maxBytes: number;
  /** PEM file paths: STARTTLS is offered with them. */
  tls?: { certPath: string; keyPath: string };
  /** Set: a client must log in with these (a relaying provider) before it may send. */
  auth?: { user: string; password: string };
  /** The name the server greets with. */
  hostname: string;
  logger: Logger;
}

const CLOSE_TIMEOUT_MS = 5000;
const MAX_CLIENTS = 200;

/** An SMTP reply: smtp-server answers an error's `responseCode` with its message. */
function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

function readAll(stream: SMTPServerDataStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', reject);
    stream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/**
 * The hub's own SMTP server: takes mail for the support addresses (others are refused at RCPT TO with
 * 550), refuses mail over the size limit at DATA with 552, and answers 250 only once the mail is
 * committed. A failure before that answers 451, so the sending server tries again later, and its retry
 * is stored once, since ingest is idempotent on the Message-ID.
 */
export class SmtpListener implements ChannelListener {
  readonly name = 'inbound SMTP server';
  private server: SMTPServer | undefined;

  constructor(private readonly options: SmtpListenerOptions) {}

  /** Where it listens, once started (the port is the one chosen when 0 was asked for). */
  private address(): AddressInfo | undefined {
    const address = this.server?.server.address();
    return typeof address === 'object' && address !== null ? address : undefined;
  }

  async start(): Promise<void> {
    const { options } = this;
    const tls = options.tls ? { cert: await readFile(options.tls.certPath), key: await readFile(options.tls.keyPath) } : undefined;
    const server = new SMTPServer({
      name: options.hostname,
      banner: 'Switchboard',
      // A reverse DNS lookup per connection costs a round trip to the resolver and decides nothing here.
      disableReverseLookup: true,
      size: options.maxBytes,
      logger: false,
      // Mail being received when the hub stops may finish; a client that idles is cut off.
      closeTimeout: CLOSE_TIMEOUT_MS,
      // A flood of connections is answered 421 beyond this many, which a sending server retries later.
      maxClients: MAX_CLIENTS,
      ...(tls ?? {}),
      hideSTARTTLS: !tls,
      disabledCommands: [...(tls ? [] : ['STARTTLS']), ...(options.auth ? [] : ['AUTH'])],
      authOptional: !options.auth,
      authMethods: ['PLAIN', 'LOGIN'],
      // Logging in without TLS is for a relay on a trusted network; with STARTTLS on, only after it.
      allowInsecureAuth: !tls,
      onAuth: (auth, _session, callback) => {
        const expected = options.auth;
        const ok = expected !== undefined && sameSecret(auth.username ?? '', expected.user) && sameSecret(auth.password ?? '', expected.password);
        if (!ok) options.logger.warn({ method: auth.method }, 'SMTP login refused');
        callback(ok ? null : smtpError(535, '5.7.8 Authentication credentials invalid'), ok ? { user: auth.username } : undefined);
      },
      onRcptTo: (address, _session, callback) => {
        options.addresses.recipientOf(address.address).then(
          (recipient) => callback(recipient ? null : smtpError(550, `5.1.1 <${address.address}>: no such mailbox here`)),
          (error: unknown) => {
            options.logger.error({ err: error }, 'reading the support addresses failed; the sender will retry');
            callback(smtpError(451, '4.3.0 Try again later'));
          },
        );
      },
      onData: (stream, session, callback) => {
        void this.onData(stream, session.envelope.rcptTo.map((rcpt) => rcpt.address)).then(() => callback(), (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))));
      },
    });
    server.on('error', (error) => options.logger.warn({ err: error }, 'SMTP connection error'));
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    options.logger.info({ host: options.host, port: this.address()?.port, starttls: Boolean(tls), auth: Boolean(options.auth) }, 'SMTP server listening');
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async onData(stream: SMTPServerDataStream, recipients: string[]): Promise<void> {
    const raw = await readAll(stream);
    if (stream.sizeExceeded) throw smtpError(552, `5.3.4 Message too big: the limit is ${this.options.maxBytes} bytes`);
    try {
      await this.options.receiver.receive(raw, recipients);
    } catch (error) {
      // A mail the hub can never take is refused for good; anything else (the database away) is worth a retry.
      if (error instanceof AppError && error.kind === 'validation') throw smtpError(554, `5.6.0 ${error.message}`);
      this.options.logger.error({ err: error }, 'storing a received mail failed; the sender will retry');
      throw smtpError(451, '4.3.0 The mail could not be stored; please try again later');
    }
  }
}

// Runs the SMTP senders on their own thread, so that the load generator does not share an event loop with
// the server it measures (the servers live in the bench process). Started by smtp-load.ts.
import { parentPort, workerData } from 'node:worker_threads';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { benchMail, type RawSmtpLoad, type SmtpLoadSpec } from './smtp-load';
import { nowMs, sleep } from './stats';

const spec = workerData as SmtpLoadSpec;
const TIMEOUT_MS = 30_000;

function connect(): Promise<SMTPConnection> {
  const connection = new SMTPConnection({
    host: spec.host,
    port: spec.port,
    ignoreTLS: true,
    name: 'sender.bench.test',
    connectionTimeout: TIMEOUT_MS,
    greetingTimeout: TIMEOUT_MS,
    socketTimeout: TIMEOUT_MS,
  });
  return new Promise((resolve, reject) => {
    // After connecting, errors also reach the callback of the send that was running.
    connection.on('error', (error: Error) => reject(error));
    connection.connect((error) => (error ? reject(error) : resolve(connection)));
  });
}

function send(connection: SMTPConnection, from: string, raw: string): Promise<void> {
  return new Promise((resolve, reject) => {
    connection.send({ from, to: [spec.to] }, raw, (error) => (error ? reject(error) : resolve()));
  });
}

function reset(connection: SMTPConnection): Promise<void> {
  return new Promise((resolve, reject) => connection.reset((error) => (error ? reject(error) : resolve())));
}

async function run(): Promise<RawSmtpLoad> {
  const result: RawSmtpLoad = { accepted: 0, refused: {}, errors: 0, failures: [], latenciesMs: [], acknowledged: [], startedAt: 0, finishedAt: 0 };
  const fail = (why: string) => {
    if (result.failures.length < 5 && !result.failures.includes(why)) result.failures.push(why);
  };
  // Connections are opened before the clock starts: each sender reuses its one for every mail.
  const connections = await Promise.all(Array.from({ length: spec.senders }, connect));
  result.startedAt = Date.now();
  const deadline = nowMs() + spec.durationS * 1000;
  let next = 0;
  const more = () => nowMs() < deadline || next < (spec.atLeast ?? 0);

  const sender = async (first: SMTPConnection) => {
    let connection: SMTPConnection | undefined = first;
    while (more()) {
      if (!connection) {
        try {
          connection = await connect();
        } catch (error) {
          result.errors++;
          fail(`reconnect: ${error instanceof Error ? error.message : String(error)}`);
          await sleep(100);
          continue;
        }
      }
      const n = next++;
      const mail = benchMail(spec, n);
      const start = nowMs();
      try {
        await send(connection, mail.from, mail.raw);
        result.latenciesMs.push(nowMs() - start);
        result.accepted++;
        result.acknowledged.push(mail.messageId);
      } catch (error) {
        const { responseCode, message } = error as SMTPConnection.SMTPError;
        if (responseCode !== undefined && responseCode !== 421) {
          result.refused[responseCode] = (result.refused[responseCode] ?? 0) + 1;
          fail(`refused: ${message}`);
          // The session is fine; the next mail starts with a clean envelope, as nodemailer's pool does.
          await reset(connection).catch(() => {
            connection?.close();
            connection = undefined;
          });
        } else {
          result.errors++;
          fail(message);
          connection.close();
          connection = undefined;
        }
      }
    }
    connection?.quit();
  };
  await Promise.all(connections.map(sender));
  result.finishedAt = Date.now();
  return result;
}

const port = parentPort;
if (!port) throw new Error('smtp-load-worker.js runs as a worker thread');
run().then(
  (raw) => port.postMessage({ ok: true, raw }),
  (error: unknown) => port.postMessage({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
);

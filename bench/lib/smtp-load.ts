import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { summarize, type LatencySummary } from './stats';

/** What one SMTP load run sends. Plain data: it crosses into the load worker thread. */
export interface SmtpLoadSpec {
  host: string;
  port: number;
  /** Concurrent senders, each on one SMTP connection it reuses for every mail. */
  senders: number;
  durationS: number;
  /** The envelope and To recipient: the support address. */
  to: string;
  /** Prefix of every Message-ID of the run (lower case); the mail number follows it. */
  idPrefix: string;
  /** Mails come from this many customers in turn. */
  contacts: number;
  /** Go on past the duration until this many mails were sent (a warm-up that reaches every customer). */
  atLeast?: number;
}

/** One run as the worker thread reports it. */
export interface RawSmtpLoad {
  /** Mails whose end of DATA was answered 250 (after every recipient was accepted). */
  accepted: number;
  /** Mails the server refused with a reply code, by code (550, 451, ...). */
  refused: Record<string, number>;
  /** Mails lost to a connection error or timeout (the sender reconnects and goes on). */
  errors: number;
  /** The first few error and refusal texts. */
  failures: string[];
  /** Milliseconds from handing a mail to the connection to its 250, per accepted mail. */
  latenciesMs: number[];
  /** Message-IDs answered 250, normalized (lower case, no angle brackets). */
  acknowledged: string[];
  /** From every sender connected to the last answer (Date.now() milliseconds). */
  startedAt: number;
  finishedAt: number;
}

export interface SmtpLoadResult {
  durationS: number;
  mails: number;
  /** Mails answered 250 per second. */
  mailsPerSecond: number;
  accepted: number;
  refused: number;
  errors: number;
  failures: string[];
  latencyMs: LatencySummary;
}

const CUSTOMER_DOMAIN = 'customers.bench.test';

/** The sender of mail number `n`. */
export function customerAddress(spec: Pick<SmtpLoadSpec, 'contacts'>, n: number): { address: string; name: string; customer: number } {
  const customer = n % spec.contacts;
  return { address: `customer-${customer}@${CUSTOMER_DOMAIN}`, name: `Customer ${customer}`, customer };
}

/** The normalized Message-ID of mail number `n` of a run. */
export function benchMessageId(spec: Pick<SmtpLoadSpec, 'idPrefix'>, n: number): string {
  return `${spec.idPrefix}-${n}@${CUSTOMER_DOMAIN}`;
}

// A customer's earlier mail and the shop's answer, quoted below the new text as mail clients do; the
// paragraph is repeated to bring the mail to about 4 KB.
const HISTORY =
  'We are sorry to hear that your parcel has not arrived yet. Deliveries in your area can take up to five ' +
  'working days at the moment because of the holidays. If it has not arrived by Friday, please reply to this ' +
  'mail with your order number and the address it was sent to, and we will send a replacement or refund you.';

function wrap(text: string, width: number, prefix = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + word.length + 1 > width) {
      lines.push(prefix + line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(prefix + line);
  return lines;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * Mail number `n` of a run, as a mail client sends a customer's reply to the support address: headers,
 * then multipart/alternative with the new text above the quoted history in text/plain and text/html,
 * about 4 KB in all, CRLF line ends.
 */
export function benchMail(spec: Pick<SmtpLoadSpec, 'idPrefix' | 'contacts' | 'to'>, n: number, at: Date = new Date()): { from: string; messageId: string; raw: string } {
  const from = customerAddress(spec, n);
  const messageId = benchMessageId(spec, n);
  const order = 10_000 + from.customer;
  const boundary = `------------bench${n.toString(36)}${from.customer.toString(36)}`;
  const date = at.toUTCString().replace('GMT', '+0000');
  const intro = `Hello, this is mail ${n} about order #${order}: the parcel still has not arrived and the tracking page has not changed since Monday. Could you check with the carrier, or send a replacement? I am at home all week.`;
  const quotedHeader = `On Mon, 1 Dec 2026 at 09:12, Acme Support <${spec.to}> wrote:`;
  const history = [HISTORY, HISTORY, HISTORY];
  const text = [...wrap(intro, 72), '', 'Thanks,', from.name, '', '-- ', `${from.name} | +1 555 01${String(from.customer % 100).padStart(2, '0')} | Sent from my laptop`, '', quotedHeader, ...history.flatMap((p) => [...wrap(p, 70, '> '), '>'])].join('\r\n');
  const html = [
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head><body>',
    `<div dir="ltr">${wrap(escapeHtml(intro), 72).join('\r\n')}<br><br>Thanks,<br>${escapeHtml(from.name)}</div>`,
    `<div class="signature">-- <br>${escapeHtml(from.name)} | +1 555 01${String(from.customer % 100).padStart(2, '0')} | Sent from my laptop</div><br>`,
    `<div class="gmail_quote"><div dir="ltr" class="gmail_attr">${escapeHtml(quotedHeader)}<br></div>`,
    '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">',
    ...history.map((p) => `<p>${wrap(escapeHtml(p), 72).join('\r\n')}</p>`),
    '</blockquote></div></body></html>',
  ].join('\r\n');
  const raw = [
    `Received: from [10.0.0.${(from.customer % 250) + 1}] (customer-${from.customer}.example.net [198.51.100.${(from.customer % 250) + 1}])`,
    `\tby mx.${CUSTOMER_DOMAIN} with ESMTPSA id bench${n}; ${date}`,
    `Authentication-Results: mx.${CUSTOMER_DOMAIN}; spf=pass smtp.mailfrom=${from.address}; dkim=none; dmarc=none`,
    `Message-ID: <${messageId}>`,
    `Date: ${date}`,
    'MIME-Version: 1.0',
    'User-Agent: Mozilla Thunderbird',
    'Content-Language: en-US',
    `From: "${from.name}" <${from.address}>`,
    `To: Acme Support <${spec.to}>`,
    `Subject: Re: Your order #${order} has shipped`,
    `In-Reply-To: <order-${order}@shop.bench.test>`,
    `References: <order-${order}-confirmed@shop.bench.test> <order-${order}@shop.bench.test>`,
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    '',
    'This is a multi-part message in MIME format.',
    `--${boundary}`,
    'Content-Type: text/plain; charset=UTF-8; format=flowed',
    'Content-Transfer-Encoding: 7bit',
    '',
    text,
    '',
    `--${boundary}`,
    'Content-Type: text/html; charset=UTF-8',
    'Content-Transfer-Encoding: 7bit',
    '',
    html,
    '',
    `--${boundary}--`,
    '',
  ].join('\r\n');
  return { from: from.address, messageId, raw };
}

/** Runs the SMTP senders on a worker thread, so that they do not share the server's event loop. */
export function runSmtpLoad(spec: SmtpLoadSpec): Promise<RawSmtpLoad> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(join(__dirname, 'smtp-load-worker.js'), { workerData: spec });
    let settled = false;
    worker.once('message', (message: { ok: true; raw: RawSmtpLoad } | { ok: false; error: string }) => {
      settled = true;
      void worker.terminate();
      if (message.ok) resolve(message.raw);
      else reject(new Error(`SMTP load generator failed: ${message.error}`));
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`SMTP load generator exited with code ${code} before reporting`));
    });
  });
}

/** The figures of one or more runs against the same server, merged. */
export function combineSmtpLoads(runs: readonly RawSmtpLoad[]): SmtpLoadResult {
  const durationS = runs.reduce((sum, run) => sum + (run.finishedAt - run.startedAt) / 1000, 0);
  const accepted = runs.reduce((sum, run) => sum + run.accepted, 0);
  const refused = runs.reduce((sum, run) => sum + Object.values(run.refused).reduce((a, b) => a + b, 0), 0);
  const errors = runs.reduce((sum, run) => sum + run.errors, 0);
  return {
    durationS,
    mails: accepted + refused + errors,
    mailsPerSecond: Math.round((accepted / Math.max(0.001, durationS)) * 10) / 10,
    accepted,
    refused,
    errors,
    failures: [...new Set(runs.flatMap((run) => run.failures))].slice(0, 5),
    latencyMs: summarize(runs.flatMap((run) => run.latenciesMs)),
  };
}

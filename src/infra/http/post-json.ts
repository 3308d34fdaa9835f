import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';

/**
 * One POST of a JSON body over node:http, for the channels' webhooks (API replies, CRM events). Not `fetch`: undici cost a
 * seventh of the main thread on the reply path, and node:http with a keep-alive agent does the same
 * job for a fraction of it.
 */

/** Connections open at once to the integration; more requests wait for a free one. */
const MAX_SOCKETS = 64;
/** The most of an answer that is read: enough for `{ "id": … }` and an error text, not for a page. */
export const MAX_ANSWER_BYTES = 64 * 1024;

export interface PostOptions {
  /**
   * Resolves the host name when a connection is opened (an SSRF guard refusing private addresses): the
   * socket connects to the address it answers, so what was checked is what is reached. Not called for
   * a URL whose host is an IP literal.
   */
  lookup?: LookupFunction;
}

export interface JsonAnswer {
  status: number;
  /** The Retry-After header, null when absent. */
  retryAfter: string | null;
  /** The answer's body (its first MAX_ANSWER_BYTES), '' when it could not be read. */
  text: string;
}

/**
 * A keep-alive agent for the URL's protocol. Node unrefs a kept-alive socket while it is idle (and refs
 * it again when reused), so the pool does not keep a stopping process alive and needs no close.
 */
export function keepAliveAgent(url: URL): HttpAgent {
  const options = { keepAlive: true, maxSockets: MAX_SOCKETS };
  return url.protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options);
}

/**
 * POSTs `body` as application/json. Redirects are not followed (node:http never does): a 3xx is an
 * answer like any other. Rejects on a network error, or with `signal.reason` once the signal aborts
 * before the answer's head arrived (as `fetch` does, so a timeout is a TimeoutError, not an AbortError).
 * A body that fails to arrive after the head is read as '' and the status still counts.
 */
export function postJson(agent: HttpAgent, url: URL, headers: Record<string, string>, body: string, signal: AbortSignal, options: PostOptions = {}): Promise<JsonAnswer> {
  const payload = Buffer.from(body, 'utf8');
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<JsonAnswer>((resolve, reject) => {
    if (signal.aborted) {
      reject(abortReason(signal));
      return;
    }
    let answered = false;
    const req = send(
      url,
      { method: 'POST', agent, signal, ...(options.lookup ? { lookup: options.lookup } : {}), headers: { ...headers, 'content-type': 'application/json', 'content-length': String(payload.length) } },
      (res) => {
        answered = true;
        const header = res.headers['retry-after'];
        const retryAfter = typeof header === 'string' ? header : null;
        void readText(res).then((text) => resolve({ status: res.statusCode ?? 0, retryAfter, text }));
      },
    );
    req.on('error', (error) => {
      if (!answered) reject(signal.aborted ? abortReason(signal) : error);
    });
    req.end(payload);
  });
}

/**
 * Why the signal aborted: a TimeoutError for AbortSignal.timeout. That is a DOMException, an Error in
 * the realm that made it but not `instanceof Error` in another (a test's VM), so its name and message
 * are carried over to an Error of this one.
 */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const { name, message } = (typeof reason === 'object' && reason !== null ? reason : {}) as { name?: unknown; message?: unknown };
  const error = new Error(typeof message === 'string' ? message : 'aborted');
  if (typeof name === 'string') error.name = name;
  return error;
}

/** Up to MAX_ANSWER_BYTES of the answer; on more, the rest is not waited for (the socket is dropped). */
function readText(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // The first of these settles it; what comes after (a close after a destroy) changes nothing.
    const done = resolve;
    res.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= MAX_ANSWER_BYTES) {
        done(Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString('utf8'));
        res.destroy();
      }
    });
    res.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
    // An aborted or broken answer (its error, or a close before its end): no body, as `text()` failing was.
    res.on('error', () => done(''));
    res.on('close', () => {
      if (!res.complete) done('');
    });
  });
}

import { request, type ClientRequest } from 'node:http';
import WebSocket from 'ws';
import { atFixedRate } from '../event-latency';
import { nowMs, sleep, summarize, type LatencySummary } from './stats';
import { isReady } from './ws-clients';

/** A widget socket that answered `hello` with `ready`; every later frame goes to `onFrame` as text. */
export function openWidgetSocket(url: string, origin: string, token: string, onFrame: (text: string) => void, timeoutMs = 10_000): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { origin });
    let ready = false;
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no ready from ${url} within ${timeoutMs} ms`));
    }, timeoutMs);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', token })));
    ws.on('message', (raw: Buffer) => {
      const text = raw.toString('utf8');
      if (ready) return onFrame(text);
      if (!isReady(text)) return;
      ready = true;
      clearTimeout(timer);
      resolve(ws);
    });
    ws.on('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      ws.terminate();
      reject(new Error(`the socket upgrade answered HTTP ${res.statusCode ?? 0}`));
    });
    ws.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    ws.on('close', (code) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`the socket closed (${code}) before ready`));
    });
  });
}

/** An event stream (`GET …/events`) read as whole frames; resolves once it answered 200. */
export function openEventStream(url: string, headers: Record<string, string>, onFrame: (frame: string) => void): Promise<{ close(): void }> {
  return new Promise((resolve, reject) => {
    let req: ClientRequest | undefined = undefined;
    req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`${url} answered ${res.statusCode ?? 0}`));
        return;
      }
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const frames = (pending + chunk).split('\n\n');
        pending = frames.pop() ?? '';
        for (const frame of frames) onFrame(frame);
      });
      resolve({ close: () => req?.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

export interface TimedRun {
  sent: number;
  received: number;
  failedSends: number;
  /** Why sends failed (the first few). */
  sendFailures: string[];
  /** The same number arriving again as another message (a message shown twice). */
  duplicates: number;
  /** The same message arriving again (its status changed, say): not a duplicate. */
  updates: number;
  achievedRate: number;
  /** From sending message i to its arrival on the other side. */
  latencyMs: LatencySummary;
}

/**
 * Sends messages 0..count-1 at a fixed rate and times each until `arrived(i)` is called for it (by
 * whatever listens on the other side); waits up to `graceMs` after the last send for the stragglers.
 */
export class Timed {
  private readonly sentAt: Float64Array;
  private readonly receivedAt: Float64Array;
  private readonly ids: (string | undefined)[];
  private received = 0;
  private duplicates = 0;
  private updates = 0;

  constructor(readonly count: number) {
    this.sentAt = new Float64Array(count);
    this.receivedAt = new Float64Array(count);
    this.ids = new Array<string | undefined>(count);
  }

  /** Message i arrived; `id` tells a later update of the same message from a second copy. */
  arrived(i: number, id?: string): void {
    if (!(i >= 0 && i < this.count)) return;
    if (this.receivedAt[i] !== 0) {
      if (id !== undefined && id === this.ids[i]) this.updates++;
      else this.duplicates++;
      return;
    }
    this.receivedAt[i] = nowMs();
    this.ids[i] = id;
    this.received++;
  }

  /** `send(i)` resolves with why it failed, or undefined. */
  async run(rate: number, graceMs: number, send: (i: number) => Promise<string | undefined>): Promise<TimedRun> {
    let failed = 0;
    const failures: string[] = [];
    const sends: Promise<void>[] = [];
    const achievedRate = await atFixedRate(rate, this.count, (i) => {
      this.sentAt[i] = nowMs();
      sends.push(
        send(i).then(
          (why) => {
            if (why === undefined) return;
            failed++;
            if (failures.length < 5) failures.push(why);
            this.sentAt[i] = NaN;
          },
          (error: unknown) => {
            failed++;
            if (failures.length < 5) failures.push(error instanceof Error ? error.message : String(error));
            this.sentAt[i] = NaN;
          },
        ),
      );
    });
    await Promise.all(sends);
    for (const deadline = nowMs() + graceMs; this.received < this.count - failed && nowMs() < deadline; ) await sleep(20);
    const latencies: number[] = [];
    for (let i = 0; i < this.count; i++) {
      const sent = this.sentAt[i] ?? NaN;
      const at = this.receivedAt[i] ?? 0;
      if (at !== 0 && !Number.isNaN(sent)) latencies.push(at - sent);
    }
    return { sent: this.count, received: latencies.length, failedSends: failed, sendFailures: failures, duplicates: this.duplicates, updates: this.updates, achievedRate, latencyMs: summarize(latencies) };
  }
}

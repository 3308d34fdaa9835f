import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * A local HTTP receiver of reply deliveries (node:http on 127.0.0.1:0 answering 200 with no body), the
 * stand-in for an integration. It runs on its own worker thread, counts every request, remembers when it
 * arrived and which delivery it carried (`webhook-id`, or the baseline's `messageId`), and checks the
 * Standard Webhooks signature of a sample when given the secret.
 */
export interface ReceiverSetup {
  /** The Standard Webhooks secret the hub signs with; none for the baseline (unsigned). */
  secret?: string;
  /** How many requests to verify (the first ones). */
  verifySample: number;
  /**
   * Also keep, per distinct delivery, how long after the `timestamp` of its JSON body it arrived (ms):
   * the time from the event's commit to its first attempt.
   */
  lagFromTimestamp?: boolean;
}

export interface ReportOptions {
  window?: { from: number; to: number };
  withIds?: boolean;
  /** The lags of the distinct deliveries from this one on (in order of arrival; see lagFromTimestamp). */
  lagsFrom?: number;
}

export type ReceiverRequest = ({ type: 'report'; seq: number } & ReportOptions) | { type: 'close' };

export interface ReceiverReport {
  /** Requests received. */
  hits: number;
  /** Distinct deliveries (by id) received. */
  unique: number;
  /** Requests for a delivery already received. */
  duplicates: number;
  withoutId: number;
  verified: number;
  verificationFailures: string[];
  /** Requests that arrived within the window asked for (Date.now() milliseconds, inclusive). */
  hitsInWindow: number;
  ids?: string[];
  /** With `withIds`: the ids that came more than once. */
  duplicateIds?: string[];
  lags?: number[];
}

type ReceiverMessage = { type: 'listening'; port: number } | { type: 'report'; seq: number; report: ReceiverReport } | { type: 'closed' };

/** A Standard Webhooks secret: `whsec_` and the base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export class BenchReceiver {
  private seq = 0;
  private readonly waiting = new Map<number, (report: ReceiverReport) => void>();
  private closed?: () => void;

  private constructor(
    private readonly worker: Worker,
    readonly url: string,
  ) {
    worker.on('message', (message: ReceiverMessage) => {
      if (message.type === 'report') {
        this.waiting.get(message.seq)?.(message.report);
        this.waiting.delete(message.seq);
      } else if (message.type === 'closed') {
        this.closed?.();
      }
    });
  }

  static start(setup: ReceiverSetup): Promise<BenchReceiver> {
    const worker = new Worker(join(__dirname, 'receiver-worker.js'), { workerData: setup });
    return new Promise((resolve, reject) => {
      const failed = (error: unknown) => reject(error instanceof Error ? error : new Error(String(error)));
      worker.once('error', failed);
      worker.once('message', (message: ReceiverMessage) => {
        worker.off('error', failed);
        if (message.type !== 'listening') {
          reject(new Error(`the receiver said ${message.type} before listening`));
          return;
        }
        resolve(new BenchReceiver(worker, `http://127.0.0.1:${message.port}/hooks/replies`));
      });
    });
  }

  /** Counts so far; with `window`, also how many requests arrived within it; with `withIds`, every id; with `lagsFrom`, lags. */
  report(options: ReportOptions = {}): Promise<ReceiverReport> {
    const seq = ++this.seq;
    return new Promise((resolve) => {
      this.waiting.set(seq, resolve);
      this.worker.postMessage({ type: 'report', seq, ...options } satisfies ReceiverRequest);
    });
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => (this.closed = resolve));
    this.worker.postMessage({ type: 'close' } satisfies ReceiverRequest);
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    await this.worker.terminate();
  }
}

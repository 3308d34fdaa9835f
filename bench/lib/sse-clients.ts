import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/** What the client thread is given. Plain data: it crosses into the worker thread. */
export interface SseClientsSetup {
  /** The event stream's URL. */
  url: string;
  headers: Record<string, string>;
  clients: number;
  /** Events numbered 0..count-1 are timed. */
  count: number;
  /** Text right before the event number in an event's frame, e.g. `"externalId":"run-`. */
  marker: string;
  /** Streams being opened at once. */
  connectConcurrency: number;
  /** One Int32: receipts so far, for the bench to watch without a message round trip. */
  received: SharedArrayBuffer;
}

export type SseClientsRequest = { type: 'measure' } | { type: 'finish' } | { type: 'close' };

type SseClientsMessage =
  | { type: 'opened'; opened: number; failures: string[]; ms: number }
  | { type: 'finished'; receipts: Float64Array; duplicates: number; strays: number; endedEarly: number; utilization: number }
  | { type: 'closed' };

export interface SseReceipts {
  /** Arrival time (nowMs) of event i at client c in slot c * count + i; 0 when it never arrived. */
  receipts: Float64Array;
  duplicates: number;
  /** Events with the marker but a number outside the run. */
  strays: number;
  /** Streams that ended before the bench closed them. */
  endedEarly: number;
  /** Share of the measured time the client thread was busy (near 1: the clients, not the server, are the limit). */
  utilization: number;
}

/** `clients` event streams opened from a worker thread of the bench process. */
export class SseClients {
  private readonly counter: Int32Array;
  private waiting?: (message: SseClientsMessage) => void;

  private constructor(
    private readonly worker: Worker,
    received: SharedArrayBuffer,
    readonly opened: number,
    readonly failures: string[],
    readonly connectMs: number,
  ) {
    this.counter = new Int32Array(received);
    worker.on('message', (message: SseClientsMessage) => this.waiting?.(message));
  }

  /** Opens every stream; resolves once each answered (or failed). */
  static open(setup: Omit<SseClientsSetup, 'received'>): Promise<SseClients> {
    const received = new SharedArrayBuffer(4);
    const worker = new Worker(join(__dirname, 'sse-clients-worker.js'), { workerData: { ...setup, received } satisfies SseClientsSetup });
    return new Promise((resolve, reject) => {
      const failed = (error: unknown) => reject(error instanceof Error ? error : new Error(String(error)));
      worker.once('error', failed);
      worker.once('message', (message: SseClientsMessage) => {
        worker.off('error', failed);
        if (message.type !== 'opened') {
          reject(new Error(`the client thread said ${message.type} before opening`));
          return;
        }
        resolve(new SseClients(worker, received, message.opened, message.failures, message.ms));
      });
    });
  }

  /** Receipts so far, over all clients. */
  get received(): number {
    return Atomics.load(this.counter, 0);
  }

  /** Starts measuring the client thread's busy share. */
  measure(): void {
    this.worker.postMessage({ type: 'measure' } satisfies SseClientsRequest);
  }

  finish(): Promise<SseReceipts> {
    return this.ask({ type: 'finish' }, 'finished').then((message) => message as SseReceipts);
  }

  async close(): Promise<void> {
    await Promise.race([this.ask({ type: 'close' }, 'closed'), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    await this.worker.terminate();
  }

  private ask(request: SseClientsRequest, answer: SseClientsMessage['type']): Promise<SseClientsMessage> {
    return new Promise((resolve) => {
      this.waiting = (message) => {
        if (message.type !== answer) return;
        this.waiting = undefined;
        resolve(message);
      };
      this.worker.postMessage(request);
    });
  }
}

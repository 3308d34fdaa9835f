import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { hardFileLimit, spawnNode, stopChild } from './processes';

export type WsClientsRequest =
  | { type: 'open'; url: string; origin: string; tokens: string[]; concurrency: number; timeoutMs: number }
  | { type: 'status' }
  | { type: 'close' };

export type WsClientsReply =
  | { type: 'opened'; opened: number; failures: string[]; ms: number }
  | { type: 'status'; open: number; closedEarly: number; closeCodes: Record<string, number> }
  | { type: 'closed' };

export interface WsClientsSetup {
  /** `ws://host:port/widget/v1/socket?website=KEY`. */
  url: string;
  /** Sent as the handshake's Origin header. */
  origin: string;
  /** One socket per token (its `hello`). */
  tokens: string[];
  /** Client processes the sockets are spread over. */
  processes: number;
  /** Sockets being opened at once, per process. */
  concurrency: number;
}

/** Whether a socket frame is the server's `ready` (it may follow history frames). */
export function isReady(text: string): boolean {
  return text.includes('"ready"') && (JSON.parse(text) as { type?: unknown }).type === 'ready';
}

/** Room for the runtime's own descriptors besides the sockets. */
const SPARE_FILES = 200;

/**
 * Widget sockets held by client processes of their own (so that the bench's event loop and memory stay
 * out of the figure, and each process needs only its share of file descriptors).
 */
export class WsClients {
  private constructor(
    private readonly children: ChildProcess[],
    readonly opened: number,
    readonly failures: string[],
    readonly connectMs: number,
  ) {}

  /** Opens one socket per token, `hello` included; resolves once each answered `ready` or failed. */
  static async open(setup: WsClientsSetup): Promise<WsClients> {
    const processes = Math.max(1, Math.min(setup.processes, setup.tokens.length));
    const share = Math.ceil(setup.tokens.length / processes);
    const limit = hardFileLimit();
    // The server process holds every socket; each client process its share.
    if (setup.tokens.length + SPARE_FILES > limit) {
      throw new Error(`${setup.tokens.length} sockets need more open files than the hard limit (${limit}) allows the server process; raise it (ulimit -Hn) or lower the socket count`);
    }
    const children = Array.from({ length: processes }, () => spawnNode([join(__dirname, 'ws-clients-process.js')], { PATH: process.env.PATH ?? '' }, ['ignore', 'ignore', 'inherit', 'ipc']));
    const clients = new WsClients(children, 0, [], 0);
    try {
      const answers = await Promise.all(
        children.map((child, i) =>
          clients.ask(child, { type: 'open', url: setup.url, origin: setup.origin, tokens: setup.tokens.slice(i * share, (i + 1) * share), concurrency: setup.concurrency, timeoutMs: 30_000 }, 'opened'),
        ),
      );
      const opened = answers.reduce((sum, a) => sum + (a.type === 'opened' ? a.opened : 0), 0);
      const failures = [...new Set(answers.flatMap((a) => (a.type === 'opened' ? a.failures : [])))].slice(0, 5);
      const ms = Math.max(...answers.map((a) => (a.type === 'opened' ? a.ms : 0)));
      return new WsClients(children, opened, failures, ms);
    } catch (error) {
      await clients.close();
      throw error;
    }
  }

  /** Sockets still open, and those the server closed while they were held (by close code). */
  async status(): Promise<{ open: number; closedEarly: number; closeCodes: Record<string, number> }> {
    const answers = await Promise.all(this.children.map((child) => this.ask(child, { type: 'status' }, 'status')));
    const total = { open: 0, closedEarly: 0, closeCodes: {} as Record<string, number> };
    for (const answer of answers) {
      if (answer.type !== 'status') continue;
      total.open += answer.open;
      total.closedEarly += answer.closedEarly;
      for (const [code, n] of Object.entries(answer.closeCodes)) total.closeCodes[code] = (total.closeCodes[code] ?? 0) + n;
    }
    return total;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.children.map(async (child) => {
        await Promise.race([this.ask(child, { type: 'close' }, 'closed').catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
        await stopChild(child, 2000);
      }),
    );
  }

  private ask(child: ChildProcess, request: WsClientsRequest, answer: WsClientsReply['type'], timeoutMs = 600_000): Promise<WsClientsReply> {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      const onMessage = (message: WsClientsReply) => {
        if (message.type !== answer) return;
        done();
        resolve(message);
      };
      const onExit = (code: number | null) => {
        done();
        reject(new Error(`a socket client process exited (${code ?? 'signal'}) before answering ${request.type}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`a socket client process did not answer ${request.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.send(request);
    });
  }
}

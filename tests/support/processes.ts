import { spawn, type ChildProcess } from 'node:child_process';
export { freePort } from '../../src/infra/net';
import { join } from 'node:path';

/** The repository root and the built entry points (`npm test` builds dist/ before jest runs). */
export const ROOT = join(__dirname, '..', '..');
export const MAIN_JS = join(ROOT, 'dist', 'main.js');
export const CLI_JS = join(ROOT, 'dist', 'cli.js');

/** One pino JSON line of a child hub's log. */
export interface LogLine {
  level?: number;
  msg?: string;
  [field: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const started = new Set<ChildProcess>();

/** Polls `check` until it returns something other than undefined/false, or fails naming `what`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result !== undefined && result !== false) return result;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** An error's message and, for fetch's "fetch failed", the reason beneath it (ECONNRESET, ...). */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}

/** Only what the child is given: no settings leak in from the test runner's environment. */
function childEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', ...env };
}

/** A `node dist/main.js` child process (or another node entry given as `entry`) and what it printed. */
export class HubProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[] = [];
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  private exit: Exit | undefined;

  constructor(env: Record<string, string>, args: string[] = [], entry: string[] = [MAIN_JS]) {
    this.child = spawn(process.execPath, [...entry, ...args], { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    started.add(this.child);
    let partial = '';
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      partial += chunk;
      const complete = partial.split('\n');
      partial = complete.pop() ?? '';
      for (const line of complete) {
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          this.lines.push({ msg: line });
        }
      }
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        started.delete(this.child);
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('the hub process did not start');
    return this.child.pid;
  }

  /** The last lines of output, for failure messages. */
  tail(lines = 15): string {
    return [...this.stdout.trim().split('\n').slice(-lines), ...this.stderr.trim().split('\n').slice(-lines)].filter(Boolean).join('\n');
  }

  async waitForLog(what: string, predicate: (line: LogLine) => boolean, timeoutMs = 15_000): Promise<LogLine> {
    try {
      return await waitFor(
        what,
        () => {
          if (this.exit) throw new Error(`the hub exited (${JSON.stringify(this.exit)}) before logging ${what}`);
          return this.lines.find(predicate);
        },
        timeoutMs,
        20,
      );
    } catch (error) {
      throw new Error(`${describeError(error)}; its output ends with:\n${this.tail()}`, { cause: error });
    }
  }

  /** Waits for start-up to finish (HTTP listening, workers running) and returns the base URL. */
  async running(timeoutMs = 20_000): Promise<string> {
    const listening = await this.waitForLog('"listening on"', (line) => line.msg?.startsWith('listening on') === true, timeoutMs);
    await this.waitForLog('"switchboard is running"', (line) => line.msg === 'switchboard is running', timeoutMs);
    return `http://127.0.0.1:${String(listening.port)}`;
  }

  /** Sends a signal and waits for the process to end, failing if it does not within the timeout. */
  async stop(signal: NodeJS.Signals, timeoutMs = 15_000): Promise<Exit> {
    if (this.exit) return this.exit;
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the hub did not exit within ${timeoutMs} ms of ${signal}; output ends with:\n${this.tail()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Runs `node <script> args` to completion (bounded) and returns its exit and output. */
export function runNode(script: string, args: string[], env: Record<string, string>, timeoutMs = 20_000): Promise<Exit & { stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    started.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${[script, ...args].join(' ')} did not exit within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      started.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** `hub api-key create` against the same settings as the child hub; returns the printed key. */
export async function createApiKeyWithCli(env: Record<string, string>, name = 'e2e'): Promise<string> {
  const result = await runNode(CLI_JS, ['api-key', 'create', '--name', name], env);
  if (result.code !== 0) throw new Error(`hub api-key create exited ${String(result.code)}: ${result.stderr}`);
  const key = result.stdout.trim();
  if (!key.startsWith('sb_')) throw new Error(`hub api-key create printed no key: ${result.stdout}`);
  return key;
}

/** SIGKILLs every child this test file started and has not seen exit (for afterAll after a failure). */
export async function killStartedProcesses(): Promise<void> {
  const running = [...started];
  await Promise.all(
    running.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) {
            resolve();
            return;
          }
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

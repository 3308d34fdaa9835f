import { execFileSync, spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
export { freePort } from '../../src/infra/net';
import { join } from 'node:path';

/** dist/ (the compiled bench lives in dist/bench/lib). */
export const DIST = join(__dirname, '..', '..');
export const MAIN_JS = join(DIST, 'main.js');
export const CLI_JS = join(DIST, 'cli.js');
/** Preloaded (`node -r`) into measured child processes: answers memory questions over IPC. */
export const MEMORY_PROBE_JS = join(__dirname, 'memory-probe.js');

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGTERM, then SIGKILL after `timeoutMs`; resolves once the child is gone. */
export async function stopChild(child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  if (hasExited(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

/** A field of /proc/<pid>/status in kB (VmRSS, VmHWM, ...). */
export function procStatusKb(pid: number, field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match?.[1]) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]);
}

/** CPU time (user + system) the process used so far, in ms, from /proc/<pid>/stat. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at state; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

/** What the memory probe answers. */
export interface ProbeMemory {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** The memory of a child: VmRSS read from /proc by the bench, heap as the child reports it after a full GC. */
export interface MemorySample {
  vmRssKb: number;
  heapUsedKb: number;
  externalKb: number;
}

/**
 * A node child process started with the memory probe preloaded, stderr kept for error messages.
 * `args` follow `node -r memory-probe.js`.
 * BENCH_PROFILE_DIR: every measured child writes a CPU profile (`--cpu-prof`) there when it stops.
 * BENCH_HEAP_SNAPSHOT_DIR: the SSE fan-out has each server write heap snapshots there (idle, streams open);
 * writing them moves RSS, so the memory figures of such a run are not comparable.
 */
/** Node options of measured children: a CPU profile per child when BENCH_PROFILE_DIR is set. */
export function profilingArgs(): string[] {
  const dir = process.env.BENCH_PROFILE_DIR;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

/** The hard limit on open files of this process's children (the soft limit can be raised to it). */
export function hardFileLimit(): number {
  const answer = execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
  return answer === 'unlimited' ? Infinity : Number(answer);
}

/**
 * `node <args>` with the soft limit on open files raised to the hard one first (many sockets need many
 * descriptors, and a soft limit of 1,024 is common); `exec` keeps the pid, the environment and the IPC channel.
 */
export function spawnNode(args: string[], env: NodeJS.ProcessEnv, stdio: StdioOptions): ChildProcess {
  const script = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"';
  return spawn('sh', ['-c', script, process.execPath, ...args], { env, stdio });
}

export class ProbedChild {
  readonly child: ChildProcess;
  private stderr = '';
  private seq = 0;

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawnNode([...profilingArgs(), '-r', MEMORY_PROBE_JS, ...args], env, ['ignore', 'ignore', 'pipe', 'ipc']);
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)));
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Throws when the child exited: for polling loops. */
  assertAlive(): void {
    if (hasExited(this.child)) throw new Error(`the child exited (${this.child.exitCode ?? this.child.signalCode}): ${this.stderr.trim()}`);
  }

  get lastStderr(): string {
    return this.stderr.trim();
  }

  /** Asks the child for a full GC and its heap figures, and reads its VmRSS from /proc. */
  async memory(): Promise<MemorySample> {
    const usage = await this.ask<{ usage: ProbeMemory }>({ type: 'memory' });
    return { vmRssKb: procStatusKb(this.pid, 'VmRSS'), heapUsedKb: Math.round(usage.usage.heapUsed / 1024), externalKb: Math.round(usage.usage.external / 1024) };
  }

  /** Has the child write a heap snapshot to `file`. */
  async heapSnapshot(file: string): Promise<void> {
    await this.ask({ type: 'snapshot', file }, 120_000);
  }

  private ask<T>(request: { type: string; file?: string }, timeoutMs = 10_000): Promise<T> {
    this.assertAlive();
    const seq = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the memory probe did not answer ${request.type} within ${timeoutMs} ms`)), timeoutMs);
      const onMessage = (message: { type?: string; seq?: number }) => {
        if (message.type !== request.type || message.seq !== seq) return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        resolve(message as T);
      };
      this.child.on('message', onMessage);
      this.child.send({ ...request, seq });
    });
  }

  cpuMs(): number {
    return cpuMs(this.pid);
  }

  stop(): Promise<void> {
    return stopChild(this.child);
  }
}

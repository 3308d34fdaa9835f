import { performance } from 'node:perf_hooks';

/** Milliseconds on a clock shared by every thread of the process (performance.now() is per thread). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The p-th percentile (0–100) by nearest rank; NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? NaN;
}

export function median(samples: readonly number[]): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? NaN) + upper) / 2;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(samples: readonly number[]): LatencySummary {
  return {
    count: samples.length,
    p50: round(percentile(samples, 50)),
    p90: round(percentile(samples, 90)),
    p99: round(percentile(samples, 99)),
    max: round(samples.reduce((max, value) => Math.max(max, value), samples.length > 0 ? -Infinity : NaN)),
    mean: round(samples.length > 0 ? samples.reduce((sum, value) => sum + value, 0) / samples.length : NaN),
  };
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** The same summary for a large sample in a typed array (a million receipts sort in milliseconds). */
export function summarizeMany(samples: Float64Array): LatencySummary {
  const sorted = samples.slice().sort();
  const count = sorted.length;
  const at = (p: number) => (count === 0 ? NaN : (sorted[Math.min(count, Math.max(1, Math.ceil((p / 100) * count))) - 1] ?? NaN));
  let sum = 0;
  for (const value of sorted) sum += value;
  return { count, p50: round(at(50)), p90: round(at(90)), p99: round(at(99)), max: round(count === 0 ? NaN : (sorted[count - 1] ?? NaN)), mean: round(count === 0 ? NaN : sum / count) };
}

/** How a throughput figure is measured: the same for every load against a hub and its baseline. */
export interface RoundsOptions {
  /** Measured seconds per side, split over the rounds. */
  durationS: number;
  /** Baseline and hub take turns this many times, so that drift on a shared machine hits both alike. */
  rounds: number;
  /** Untimed load before the first round: JIT, connection pools, and (hub) the customers' conversations. */
  warmupS: number;
  contacts: number;
  postgresUrl?: string;
  log: (line: string) => void;
}

/** A load run plus how busy this process's main thread (where the servers run) was meanwhile. */
export interface MeasuredRun<T> {
  raw: T;
  busyMs: number;
  elapsedMs: number;
}

export async function measuredRun<T>(run: () => Promise<T>): Promise<MeasuredRun<T>> {
  const before = performance.eventLoopUtilization();
  const raw = await run();
  const { active, idle } = performance.eventLoopUtilization(before);
  return { raw, busyMs: active, elapsedMs: active + idle };
}

import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import autocannon from 'autocannon';

/** What one autocannon run sends. Plain data: it crosses into the load worker thread. */
export interface LoadSpec {
  url: string;
  path: string;
  connections: number;
  durationS: number;
  headers: Record<string, string>;
  /** Prefix of every sourceId of the run; the request number follows it. */
  idPrefix: string;
  /** Messages come from this many customers in turn (existing conversations after the warm-up). */
  contacts: number;
  /**
   * Agent replies instead of inbound messages: request n goes to `path` with `:id` replaced by
   * `conversationIds[n % length]`, with a reply body, and what is acknowledged is the `id` of the answer
   * (the stored message, or the baseline's job) rather than the sourceId.
   */
  conversationIds?: string[];
}

/** One autocannon run as the worker thread reports it. */
export interface RawLoad {
  /** autocannon's unaggregated result: histograms encoded, so that runs can be merged. */
  result: unknown;
  /** sourceIds answered 2xx (replies: the ids in the 2xx answers). */
  acknowledged: string[];
  /** Request bodies built (the last ones may be cut off by the end of the run). */
  built: number;
}

export interface LoadResult {
  durationS: number;
  requests: number;
  requestsPerSecond: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
}

/** The body of `POST /api/v1/inbound` number `n` of a run: the same shape for the hub and the baseline. */
export function inboundBody(spec: Pick<LoadSpec, 'idPrefix' | 'contacts'>, n: number): string {
  const customer = n % spec.contacts;
  return JSON.stringify({
    sourceId: `${spec.idPrefix}-${n}`,
    contact: { externalId: `customer-${customer}`, name: `Customer ${customer}` },
    body: `Hello, this is message ${n}: my order has not arrived yet, can you help?`,
  });
}

/** The body of reply number `n` of a run (`POST /api/v1/conversations/:id/messages`). */
export function replyBody(spec: Pick<LoadSpec, 'idPrefix'>, n: number): string {
  return JSON.stringify({ body: `Thanks for waiting! Reply ${spec.idPrefix}-${n}: your order left the warehouse this morning and arrives tomorrow.` });
}

/** The path of request `n`: the spec's path, or for replies its `:id` filled in round-robin. */
export function requestPath(spec: Pick<LoadSpec, 'path' | 'conversationIds'>, n: number): string {
  const ids = spec.conversationIds;
  if (!ids || ids.length === 0) return spec.path;
  return spec.path.replace(':id', ids[n % ids.length] ?? '');
}

/** Runs autocannon against `spec` on a worker thread. */
export function runLoad(spec: LoadSpec): Promise<RawLoad> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(join(__dirname, 'load-worker.js'), { workerData: spec });
    let settled = false;
    worker.once('message', (message: { ok: true; raw: RawLoad } | { ok: false; error: string }) => {
      settled = true;
      void worker.terminate();
      if (message.ok) resolve(message.raw);
      else reject(new Error(`load generator failed: ${message.error}`));
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`load generator exited with code ${code} before reporting`));
    });
  });
}

// autocannon's aggregateResult is exported but not in its type definitions.
const { aggregateResult } = autocannon as unknown as { aggregateResult: (results: unknown[], options: { url: string }) => autocannon.Result };

/** The figures of one or more runs against the same server, merged (latency histograms added). */
export function combineLoads(runs: readonly RawLoad[], url: string): LoadResult {
  const merged = aggregateResult(
    runs.map((run) => run.result),
    { url },
  );
  const durationS = runs.reduce((sum, run) => sum + (run.result as { duration: number }).duration, 0);
  const requests = merged['1xx'] + merged['2xx'] + merged['3xx'] + merged['4xx'] + merged['5xx'];
  return {
    durationS,
    requests,
    requestsPerSecond: Math.round((requests / durationS) * 10) / 10,
    ok2xx: merged['2xx'],
    non2xx: merged.non2xx,
    errors: merged.errors,
    timeouts: merged.timeouts,
    latencyMs: { p50: merged.latency.p50, p90: merged.latency.p90, p99: merged.latency.p99, max: merged.latency.max, mean: merged.latency.mean },
  };
}

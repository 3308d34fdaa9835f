// Runs autocannon on its own thread, so that the load generator does not share an event loop with the
// server it measures (the servers live in the bench process). Started by load.ts.
import { parentPort, workerData } from 'node:worker_threads';
import autocannon from 'autocannon';
import { inboundBody, replyBody, requestPath, type LoadSpec, type RawLoad } from './load';

/** The `id` of a reply's answer (the hub's message, the baseline's job). */
function answeredId(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

async function run(spec: LoadSpec): Promise<RawLoad> {
  const replies = spec.conversationIds !== undefined;
  let built = 0;
  const acknowledged: string[] = [];
  const result: unknown = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationS,
    timeout: 10,
    headers: { 'content-type': 'application/json', ...spec.headers },
    requests: [
      {
        method: 'POST',
        path: spec.path,
        // A unique sourceId per request: every request is a new message, never an idempotent replay.
        // The context belongs to the connection, which has one request in flight (no pipelining).
        setupRequest: (request, context) => {
          const n = built++;
          (context as { sourceId?: string }).sourceId = `${spec.idPrefix}-${n}`;
          if (replies) return { ...request, path: requestPath(spec, n), body: replyBody(spec, n) };
          return { ...request, body: inboundBody(spec, n) };
        },
        onResponse: (status, body, context) => {
          if (status < 200 || status >= 300) return;
          if (replies) {
            const id = answeredId(body);
            if (id !== undefined) acknowledged.push(id);
            return;
          }
          const { sourceId } = context as { sourceId?: string };
          if (sourceId !== undefined) acknowledged.push(sourceId);
        },
      },
    ],
  });
  // Off the main thread autocannon hands back its raw result (histograms still encoded), which
  // load.ts aggregates together with the other rounds.
  return { result, acknowledged, built };
}

const port = parentPort;
if (!port) throw new Error('load-worker.js runs as a worker thread');
run(workerData as LoadSpec).then(
  (raw) => port.postMessage({ ok: true, raw }),
  (error: unknown) => port.postMessage({ ok: false, error: error instanceof Error ? error.stack : String(error) }),
);

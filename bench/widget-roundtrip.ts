import { randomBytes, randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import { join } from 'node:path';
import type WebSocket from 'ws';
import type { WidgetMessage } from '../src/channels/widget/protocol';
import { uniqueId } from './lib/env';
import { inParallel, postJson, waitFor200 } from './lib/http';
import { openEventStream, openWidgetSocket, Timed, type TimedRun } from './lib/live-clients';
import { freePort, ProbedChild } from './lib/processes';
import { round, sleep } from './lib/stats';
import { BENCH_ORIGIN, startWidgetHub } from './lib/widget-hub';

export interface RoundTripOptions {
  redisUrl: string;
  /** Messages per second, each way in turn. */
  rate: number;
  durationS: number;
  /** Visitors (each with a socket and a conversation) the messages are spread over. */
  visitors: number;
  /** How long to wait for the last arrivals after the last send. */
  graceMs: number;
  /** Environment of the hub child (rate limits raised for the bench). */
  hubSettings: Record<string, string>;
  log: (line: string) => void;
}

export interface HubRoundTrip {
  /** `POST /widget/v1/messages` → `message.created` on `GET /api/v1/events`. */
  toApi: TimedRun;
  /** `POST /api/v1/conversations/:id/messages` → a `message` frame on the visitor's widget socket. */
  toWidget: TimedRun;
  /** CPU the hub process used during each run, as a share of one core. */
  serverCpu: { toApi: number; toWidget: number };
}

const why = (answer: { status: number; body: string }, expected: number[]) => (expected.includes(answer.status) ? undefined : `HTTP ${answer.status}: ${answer.body.slice(0, 160)}`);

/** Hands `timed` the message of a frame (SSE `data:` or socket) whose body is `<tag>-<i>`. */
function arrival(timed: Timed, tag: string, frame: string): void {
  if (!frame.includes(`"body":"${tag}-`)) return;
  const json = frame.startsWith('{') ? frame : frame.slice(frame.indexOf('data: ') + 6);
  const parsed = JSON.parse(json) as { message?: WidgetMessage; data?: { message?: WidgetMessage } };
  const message = parsed.message ?? parsed.data?.message;
  if (message?.body.startsWith(`${tag}-`)) timed.arrived(Number(message.body.slice(tag.length + 1)), message.id);
}

function log(options: RoundTripOptions, name: string, run: TimedRun, cpu?: number): void {
  options.log(
    `  ${name}: p50 ${run.latencyMs.p50} ms, p99 ${run.latencyMs.p99} ms, max ${run.latencyMs.max} ms; ${run.received}/${run.sent} arrived at ${round(run.achievedRate, 1)}/s` +
      `${run.failedSends ? `, ${run.failedSends} sends failed (${run.sendFailures.join('; ')})` : ''}${run.duplicates ? `, ${run.duplicates} duplicates` : ''}${run.updates ? `, ${run.updates} updates` : ''}${cpu === undefined ? '' : `, server CPU ${Math.round(cpu * 100)}%`}`,
  );
}

/**
 * A hub process (`node dist/main.js`) with `visitors` visitors, each with its socket open and one
 * conversation: widget messages at `rate`/s, each timed until the API's event stream shows it; then API
 * replies at `rate`/s, each timed until the visitor's socket shows it.
 */
export async function measureHubRoundTrip(options: RoundTripOptions): Promise<HubRoundTrip> {
  const hub = await startWidgetHub(options.redisUrl, options.hubSettings);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const sockets: WebSocket[] = [];
  let stream: { close(): void } | undefined;
  try {
    const tag = `rt${randomBytes(4).toString('hex')}`;
    const count = Math.round(options.rate * options.durationS);
    const toApi = new Timed(count);
    const toWidget = new Timed(count);
    const apiHeaders = { authorization: `Bearer ${hub.apiKey}` };
    stream = await openEventStream(`${hub.url}/api/v1/events?types=message.created`, apiHeaders, (frame) => arrival(toApi, `${tag}-a`, frame));

    const tokens = await hub.createVisitors(options.visitors, 8);
    for (const token of tokens) sockets.push(await openWidgetSocket(hub.socketUrl, BENCH_ORIGIN, token, (text) => arrival(toWidget, `${tag}-b`, text)));
    const sendWidget = async (v: number, body: string): Promise<{ status: number; body: string }> =>
      postJson(agent, `${hub.url}/widget/v1/messages`, { ...hub.widgetHeaders, authorization: `Bearer ${tokens[v] ?? ''}` }, JSON.stringify({ clientId: randomUUID(), body }));

    // Warm-up: each visitor's first message opens its conversation, and one reply goes to each.
    const conversations = await inParallel(options.visitors, 4, async (v) => {
      const answer = await sendWidget(v, `${tag}-warm-${v}`);
      if (answer.status !== 201) throw new Error(`POST /widget/v1/messages answered ${answer.status}: ${answer.body.slice(0, 200)}`);
      return (JSON.parse(answer.body) as { message: WidgetMessage }).message.conversationId;
    });
    const reply = (v: number, body: string) => postJson(agent, `${hub.url}/api/v1/conversations/${conversations[v] ?? ''}/messages`, apiHeaders, JSON.stringify({ body }));
    await inParallel(options.visitors, 4, async (v) => {
      const answer = await reply(v, `${tag}-warmreply-${v}`);
      if (answer.status !== 201) throw new Error(`POST /api/v1/conversations/:id/messages answered ${answer.status}: ${answer.body.slice(0, 200)}`);
    });
    await sleep(1000);

    let cpuStart = hub.child.cpuMs();
    let start = performance.now();
    const apiRun = await toApi.run(options.rate, options.graceMs, async (i) => why(await sendWidget(i % options.visitors, `${tag}-a-${i}`), [201]));
    const apiCpu = (hub.child.cpuMs() - cpuStart) / (performance.now() - start);
    log(options, 'hub widget → API stream', apiRun, apiCpu);
    await sleep(1000);

    cpuStart = hub.child.cpuMs();
    start = performance.now();
    const widgetRun = await toWidget.run(options.rate, options.graceMs, async (i) => why(await reply(i % options.visitors, `${tag}-b-${i}`), [201]));
    const widgetCpu = (hub.child.cpuMs() - cpuStart) / (performance.now() - start);
    log(options, 'hub API reply → widget', widgetRun, widgetCpu);
    return { toApi: apiRun, toWidget: widgetRun, serverCpu: { toApi: round(apiCpu, 2), toWidget: round(widgetCpu, 2) } };
  } finally {
    stream?.close();
    for (const ws of sockets) ws.terminate();
    agent.destroy();
    await hub.stop();
  }
}

/** The floor: a bare `ws` server process echoing each frame through Redis pub/sub, as many sockets, same rate. */
export async function measureBaselineRoundTrip(options: RoundTripOptions): Promise<TimedRun> {
  const port = await freePort();
  const server = new ProbedChild([join(__dirname, 'lib', 'ws-baseline-server.js')], { PATH: process.env.PATH ?? '', PORT: String(port), REDIS_URL: options.redisUrl, CHANNEL: uniqueId('wsecho') });
  const sockets: WebSocket[] = [];
  try {
    await waitFor200(`http://127.0.0.1:${port}/readyz`, 30_000, () => server.assertAlive());
    const count = Math.round(options.rate * options.durationS);
    let timed = new Timed(options.visitors);
    const onFrame = (text: string) => timed.arrived((JSON.parse(text) as { id?: number }).id ?? -1);
    for (let v = 0; v < options.visitors; v++) sockets.push(await openWidgetSocket(`ws://127.0.0.1:${port}/widget/v1/socket`, BENCH_ORIGIN, `baseline-visitor-${v}`, onFrame));
    const echo = (i: number) => {
      sockets[i % sockets.length]?.send(JSON.stringify({ type: 'echo', id: i }));
      return Promise.resolve(undefined);
    };
    await timed.run(options.rate, options.graceMs, echo);
    await sleep(1000);
    timed = new Timed(count);
    const run = await timed.run(options.rate, options.graceMs, echo);
    log(options, 'baseline ws → Redis → ws echo', run);
    return run;
  } finally {
    for (const ws of sockets) ws.terminate();
    await server.stop();
  }
}

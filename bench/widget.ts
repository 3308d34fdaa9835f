// The web chat widget's figures (issue #5): widget.js gzipped against its budget, memory per idle widget
// socket against a bare `ws` server, and message round trips against a `ws` echo through Redis pub/sub.
import type { TimedRun } from './lib/live-clients';
import type { BeforeKey } from './lib/before';
import { attempt, failedRow, type Outcome } from './lib/outcome';
import { fmt, ratio, type Row } from './lib/table';
import { measureBaselineRoundTrip, measureHubRoundTrip, type HubRoundTrip } from './widget-roundtrip';
import { measureWidgetSize, type WidgetSizeFigure } from './widget-size';
import { measureBaselineSockets, measureHubSockets, type SocketSide } from './widget-sockets';

export interface WidgetOptions {
  sockets: number;
  clientProcesses: number;
  holdS: number;
  rate: number;
  roundTripS: number;
  visitors: number;
}

export interface WidgetTargets {
  widgetGzipKb: number;
  widgetSocketRssRatio: number;
  widgetRoundTripP99Ratio: number;
}

export interface WidgetResults {
  size?: Outcome<WidgetSizeFigure>;
  sockets?: { baseline: Outcome<SocketSide>; hub: Outcome<SocketSide> };
  roundTrip?: { baseline: Outcome<TimedRun>; hub: Outcome<HubRoundTrip> };
}

/**
 * The hub child's settings for the bench: one IP (127.0.0.1) creates every visitor and each visitor sends
 * more than a person would, so the per-IP and per-visitor rate limits are raised out of the way.
 */
const HUB_SETTINGS: Record<string, string> = {
  WIDGET_VISITORS_PER_HOUR_PER_IP: '1000000',
  WIDGET_MESSAGES_PER_MINUTE_PER_IP: '1000000',
  WIDGET_MESSAGES_PER_MINUTE_PER_VISITOR: '100000',
  WIDGET_CONVERSATIONS_PER_HOUR_PER_IP: '1000000',
  WIDGET_CONVERSATIONS_PER_HOUR_PER_VISITOR: '100000',
};

export async function measureWidget(only: ReadonlySet<string>, options: WidgetOptions, redisUrl: string, log: (line: string) => void): Promise<WidgetResults> {
  const results: WidgetResults = {};
  if (only.has('widget-size')) {
    results.size = await attempt('widget.js size', () => Promise.resolve(measureWidgetSize()), log);
    if (results.size.ok) log(`\nwidget.js: ${fmt(results.size.value.bytes)} bytes, ${fmt(results.size.value.gzipBytes)} gzipped (${fmt(results.size.value.gzip9Bytes)} with gzip -9)`);
  }
  if (only.has('widget-sockets')) {
    log(`\nidle widget sockets: ${options.sockets} held by a bare ws server process, then by node dist/main.js (SQLite), from ${options.clientProcesses} client processes ...`);
    const socketOptions = { redisUrl, sockets: options.sockets, processes: options.clientProcesses, holdS: options.holdS, hubSettings: HUB_SETTINGS, log };
    const baseline = await attempt('widget sockets (baseline)', () => measureBaselineSockets(socketOptions), log);
    const hub = await attempt('widget sockets (hub)', () => measureHubSockets(socketOptions), log);
    results.sockets = { baseline, hub };
  }
  if (only.has('widget-roundtrip')) {
    log(`\nwidget round trips at ${options.rate}/s for ${options.roundTripS} s each way over ${options.visitors} visitors; baseline: bare ws echo through Redis pub/sub ...`);
    const roundTripOptions = { redisUrl, rate: options.rate, durationS: options.roundTripS, visitors: options.visitors, graceMs: 5000, hubSettings: HUB_SETTINGS, log };
    const baseline = await attempt('widget round trip (baseline)', () => measureBaselineRoundTrip(roundTripOptions), log);
    const hub = await attempt('widget round trip (hub)', () => measureHubRoundTrip(roundTripOptions), log);
    results.roundTrip = { baseline, hub };
  }
  return results;
}

/** True when a part could not be measured at all. */
export function widgetCrashed(results: WidgetResults): boolean {
  const outcomes = [results.size, results.sockets?.baseline, results.sockets?.hub, results.roundTrip?.baseline, results.roundTrip?.hub];
  return outcomes.some((outcome) => outcome?.ok === false);
}

function sizeRows(outcome: Outcome<WidgetSizeFigure>, targets: WidgetTargets): Row[] {
  const figure = 'widget.js gzipped KB';
  if (!outcome.ok) return [failedRow(figure, outcome.error)];
  const kb = outcome.value.gzipBytes / 1024;
  return [{ figure, switchboard: fmt(kb, 1), baseline: `${fmt(targets.widgetGzipKb, 1)} budget`, ratio: ratio(kb, targets.widgetGzipKb), target: `≤ ${targets.widgetGzipKb} KB`, met: kb <= targets.widgetGzipKb }];
}

function socketRows(sockets: NonNullable<WidgetResults['sockets']>, options: WidgetOptions, targets: WidgetTargets): Row[] {
  const label = (what: string) => `widget ${fmt(options.sockets)} idle sockets ${what}`;
  const { hub, baseline } = sockets;
  if (!hub.ok || !baseline.ok) {
    return [...(baseline.ok ? [] : [failedRow(label('(baseline)'), baseline.error)]), ...(hub.ok ? [] : [failedRow(label('(hub)'), hub.error)])];
  }
  const h = hub.value;
  const b = baseline.value;
  const held = (side: SocketSide) => side.opened === side.sockets && side.stillOpen === side.opened;
  return [
    {
      figure: label('RSS kB/socket'),
      switchboard: fmt(h.rssPerSocketKb, 1),
      baseline: fmt(b.rssPerSocketKb, 1),
      ratio: ratio(h.rssPerSocketKb, b.rssPerSocketKb, 1),
      target: `≤ ${targets.widgetSocketRssRatio}× baseline`,
      met: h.rssPerSocketKb <= targets.widgetSocketRssRatio * b.rssPerSocketKb,
    },
    { figure: label('heap kB/socket'), switchboard: fmt(h.heapPerSocketKb, 1), baseline: fmt(b.heapPerSocketKb, 1), ratio: ratio(h.heapPerSocketKb, b.heapPerSocketKb, 1), target: '', met: null },
    { figure: label('connect s'), switchboard: fmt(h.connectMs / 1000, 1), baseline: fmt(b.connectMs / 1000, 1), ratio: ratio(h.connectMs, b.connectMs, 1), target: '', met: null },
    { figure: label('ready / held'), switchboard: `${fmt(h.opened)} / ${fmt(h.stillOpen)}`, baseline: `${fmt(b.opened)} / ${fmt(b.stillOpen)}`, ratio: '', target: 'all', met: held(h) && held(b) },
  ];
}

function roundTripRows(roundTrip: NonNullable<WidgetResults['roundTrip']>, options: WidgetOptions, targets: WidgetTargets): Row[] {
  const rate = `${options.rate}/s`;
  const { hub, baseline } = roundTrip;
  if (!hub.ok || !baseline.ok) {
    return [...(baseline.ok ? [] : [failedRow(`widget round trip ws echo (baseline)`, baseline.error)]), ...(hub.ok ? [] : [failedRow(`widget round trip (hub)`, hub.error)])];
  }
  const b = baseline.value;
  const latency = (name: string, run: TimedRun, p99Key?: BeforeKey): Row[] => [
    { figure: `${name} p50 ms (${rate})`, switchboard: fmt(run.latencyMs.p50, 1), baseline: fmt(b.latencyMs.p50, 2), ratio: ratio(run.latencyMs.p50, b.latencyMs.p50, 1), target: '', met: null },
    {
      key: p99Key,
      figure: `${name} p99 ms (${rate})`,
      switchboard: fmt(run.latencyMs.p99, 1),
      baseline: fmt(b.latencyMs.p99, 2),
      ratio: ratio(run.latencyMs.p99, b.latencyMs.p99, 1),
      target: `≤ ${targets.widgetRoundTripP99Ratio}× baseline`,
      met: run.latencyMs.p99 <= targets.widgetRoundTripP99Ratio * b.latencyMs.p99,
    },
  ];
  const complete = (run: TimedRun) => run.failedSends === 0 && run.received === run.sent && run.duplicates === 0;
  const { toApi, toWidget } = hub.value;
  return [
    ...latency('widget message → API stream', toApi, 'widget message → API stream p99'),
    ...latency('API reply → widget socket', toWidget),
    {
      figure: 'widget round trips arrived',
      switchboard: `${fmt(toApi.received + toWidget.received)} / ${fmt(toApi.sent + toWidget.sent)}`,
      baseline: `${fmt(b.received)} / ${fmt(b.sent)}`,
      ratio: '',
      target: 'all, once',
      met: complete(toApi) && complete(toWidget) && complete(b),
    },
  ];
}

export function widgetRows(results: WidgetResults, options: WidgetOptions, targets: WidgetTargets): Row[] {
  return [
    ...(results.size ? sizeRows(results.size, targets) : []),
    ...(results.sockets ? socketRows(results.sockets, options, targets) : []),
    ...(results.roundTrip ? roundTripRows(results.roundTrip, options, targets) : []),
  ];
}

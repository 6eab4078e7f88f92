import { formatDuration } from '../config/duration.js';
import type { Environment } from '../config/schema.js';
import type { ContainerRow } from '../live/events.js';
import type { PaneId, PaneStatus } from './pane-ids.js';
import type { LiveState } from './live-state.js';

/** What a pane says about itself: status, how old its data is, and any error or link problem. */
export interface PaneHeader {
  status: PaneStatus;
  /** "12s old" once the data is older than two refreshes; never hidden. */
  age?: string;
  /** Source errors and link state, shown in the pane itself. */
  notices: string[];
}

export interface ViewContext {
  env: Environment;
  now: number;
  refreshMs: number;
  /** The containers pane is fed by something other than Docker (the demo's processes). */
  processRows?: boolean;
}

const worst = (a: PaneStatus, b: PaneStatus): PaneStatus => {
  const rank: PaneStatus[] = ['none', 'ok', 'unknown', 'degraded', 'stale', 'down'];
  return rank.indexOf(a) >= rank.indexOf(b) ? a : b;
};

function linkNotices(s: LiveState, ctx: ViewContext): string[] {
  const l = s.link;
  if (!l || l.state === 'connected') return [];
  if (l.state === 'connecting') return [`connecting to ${ctx.env.target}…`];
  return [`disconnected — retrying in ${Math.max(0, Math.ceil(l.retryInMs / 1000))}s (${l.error})`];
}

function header(s: LiveState, pane: PaneId, ctx: ViewContext, at: number | undefined, base: PaneStatus, staleAfterMs = 2 * ctx.refreshMs): PaneHeader {
  const notices = [...linkNotices(s, ctx), ...Object.values(s.errors[pane]).map((e) => `${e.source}: ${e.error}`)];
  let status = base;
  let age: string | undefined;
  if (at !== undefined && ctx.now - at > staleAfterMs) {
    age = `${formatDuration(ctx.now - at)} old`;
    status = worst(status, 'stale');
  }
  if (Object.keys(s.errors[pane]).length > 0) status = worst(status, at === undefined ? 'down' : 'stale');
  if (s.link && s.link.state === 'disconnected') status = worst(status, 'stale');
  return { status, age, notices };
}

export function containersView(s: LiveState, ctx: ViewContext): PaneHeader & { rows: ContainerRow[] } {
  if (!ctx.env.docker && !ctx.processRows) return { status: 'none', notices: ['no source configured'], rows: [] };
  const rows = s.containers.rows;
  let base: PaneStatus = s.containers.at === undefined ? 'unknown' : 'ok';
  if (rows.some((r) => r.state !== 'running' || r.health === 'unhealthy')) base = 'degraded';
  if (rows.length > 0 && rows.every((r) => r.state !== 'running')) base = 'down';
  return { ...header(s, 'containers', ctx, s.containers.at, base), rows };
}

export interface HealthRow {
  name: string;
  ok?: boolean;
  detail: string;
  latencyMs?: number;
  failures: number;
  /** Time since the last change of state, e.g. "4m". */
  since?: string;
  age?: string;
}

export function healthView(s: LiveState, ctx: ViewContext): PaneHeader & { rows: HealthRow[] } {
  if (ctx.env.health.length === 0) return { status: 'none', notices: ['no source configured'], rows: [] };
  let base: PaneStatus = 'ok';
  let oldest: number | undefined;
  const rows = ctx.env.health.map((check): HealthRow => {
    const h = s.health[check.name];
    if (!h?.last || h.at === undefined) {
      base = worst(base, 'unknown');
      return { name: check.name, detail: 'waiting for the first probe', failures: 0 };
    }
    const interval = check.interval ?? ctx.refreshMs;
    // A probe may legitimately take up to its timeout on top of its interval.
    const staleAfter = 2 * interval + check.timeout;
    const stale = ctx.now - h.at > staleAfter;
    if (oldest === undefined || h.at < oldest) oldest = h.at;
    if (!h.last.ok) base = worst(base, 'degraded');
    return {
      name: check.name,
      ok: h.last.ok,
      detail: h.last.detail,
      latencyMs: h.last.latencyMs,
      failures: h.consecutiveFailures,
      since: h.changedAt !== undefined ? formatDuration(ctx.now - h.changedAt) : undefined,
      age: stale ? `${formatDuration(ctx.now - h.at)} old` : undefined,
    };
  });
  if (rows.length > 0 && rows.every((r) => r.ok === false)) base = 'down';
  const hd = header(s, 'health', ctx, undefined, base);
  if (rows.some((r) => r.age) && oldest !== undefined) {
    hd.status = worst(hd.status, 'stale');
    hd.age = `${formatDuration(ctx.now - oldest)} old`;
  }
  return { ...hd, rows };
}

export const METRIC_LABELS: Record<string, string> = {
  errorRate: 'error rate',
  requestRate: 'requests/s',
  p99: 'p99 latency',
  saturation: 'saturation',
  cpu: 'host CPU',
  memory: 'host memory',
  disk: 'host disk',
  load: 'load (1m)',
};

export function formatMetric(value: number | null, unit: string): string {
  if (value === null || Number.isNaN(value)) return 'no data';
  switch (unit) {
    case 'ratio':
      return `${(value * 100).toFixed(value < 0.01 ? 2 : 1)}%`;
    case 'percent':
      return `${value.toFixed(0)}%`;
    case 'seconds':
      return value < 1 ? `${(value * 1000).toFixed(0)} ms` : `${value.toFixed(2)} s`;
    case 'per-second':
      return `${value < 10 ? value.toFixed(1) : value.toFixed(0)}/s`;
    default:
      return value.toFixed(2);
  }
}

export function metricsView(s: LiveState, ctx: ViewContext): PaneHeader & { names: string[] } {
  const m = ctx.env.metrics;
  const configured = m ? (['errorRate', 'requestRate', 'p99', 'saturation'] as const).filter((k) => m[k] !== undefined && (m.prometheus || m.scrape)) : [];
  const names: string[] = [...configured, ...(m?.host ? ['cpu', 'memory', 'disk', 'load'] : [])];
  if (names.length === 0) return { status: 'none', notices: ['no source configured'], names };
  const base: PaneStatus = s.metrics.at === undefined ? 'unknown' : 'ok';
  // Stale once a refresh late: late for the poll the source announced (it backs off while the
  // figures stay the same), else for the refresh.
  const { at, due } = s.metrics;
  const staleAfter = at !== undefined && due !== undefined ? Math.max(due - at, ctx.refreshMs) + ctx.refreshMs : undefined;
  return { ...header(s, 'metrics', ctx, at, base, staleAfter), names };
}

export function logsView(s: LiveState, ctx: ViewContext): PaneHeader {
  if (ctx.env.logs.length === 0) return { status: 'none', notices: ['no source configured'] };
  // Logs are quiet when nothing happens: silence is not staleness, so no age here.
  const errors = Object.keys(s.errors.logs).length;
  const base: PaneStatus = errors === 0 ? (s.logs.at === undefined ? 'unknown' : 'ok') : errors >= ctx.env.logs.length ? 'down' : 'degraded';
  const h = header(s, 'logs', ctx, undefined, base);
  return { ...h, status: worst(h.status, base) };
}

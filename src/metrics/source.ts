// The metrics pane's source: every interval, the configured figures (error rate, request rate,
// p99, saturation) from Prometheus or from a direct `/metrics` scrape, and the host's CPU, memory,
// disk and load when `host: true`; one `metrics` event per poll.

import type { Metrics } from '../config/schema.js';
import type { Emit, MetricReading, Source } from '../live/events.js';
import { describeNetError, httpGet } from '../sources/http-via-target.js';
import type { Target } from '../targets/target.js';
import { Poller } from '../live/poller.js';
import { hostReaderFor, hostReadings, type HostReader } from './host.js';
import { parsePromText } from './prom-text.js';
import { PrometheusClient } from './prometheus.js';
import { compileScrapeExpr, ScrapeWindow, toReadingValue, type CompiledScrapeExpr } from './scrape-eval.js';

export { MetricHistory, meanBetween, meanOf, pushBounded, ratioTo, type HistoryPoint } from './history.js';

/** The configured application metrics, in display order, with their units. */
export const APP_METRICS = [
  { name: 'errorRate', unit: 'ratio' },
  { name: 'requestRate', unit: 'per-second' },
  { name: 'p99', unit: 'seconds' },
  { name: 'saturation', unit: 'ratio' },
] as const satisfies readonly { name: keyof Metrics; unit: MetricReading['unit'] }[];

export type AppMetricName = (typeof APP_METRICS)[number]['name'];

export interface MetricsSourceOptions {
  target: Target;
  config: Metrics;
  intervalMs: number;
  emit: Emit;
  now?: () => number;
  /** Per request (default: the interval, between 1 s and 10 s). */
  timeoutMs?: number;
  /** Replaces the host reader (tests). */
  hostReader?: HostReader;
  /** While polls find the same figures, wait up to this many intervals (default 4; 1: never back off). */
  maxBackoff?: number;
}

/** Words for the screen from any error. */
function errorText(err: unknown): string {
  if (err instanceof Error && (err.name === 'PrometheusError' || err.name === 'PromEvalError' || err.name === 'PromQLSubsetError')) return err.message;
  return describeNetError(err);
}

/**
 * Reads the configured metrics every `intervalMs` (the first poll at start) and emits one
 * `{type: 'metrics'}` event per poll with the readings that worked. Each origin (`prometheus` or
 * `scrape`, and `host`) reports its own `source-error` (when the error changes) and `source-ok`
 * (when it recovers). Never throws; polls never overlap; stop() aborts the poll in flight and
 * waits for it. While the pane is hidden it does not poll; while the figures stay the same it
 * backs off (see Poller) and says so in the event (`nextInMs`), so the pane is not called stale.
 */
export class MetricsSource implements Source {
  private readonly now: () => number;
  private readonly timeoutMs: number;
  private readonly queries: { name: AppMetricName; unit: MetricReading['unit']; expr: string }[];
  private readonly prometheus: PrometheusClient | undefined;
  private readonly compiled = new Map<string, CompiledScrapeExpr | Error>();
  private readonly window: ScrapeWindow | undefined;
  private readonly host: HostReader | undefined;

  private stopped = false;
  private readonly poller: Poller;
  private polling: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private readonly failing = new Map<string, string>();
  /** What the last poll found (readings and errors), to tell an unchanged poll. */
  private lastFound: string | undefined;

  constructor(private readonly opts: MetricsSourceOptions) {
    const { config } = opts;
    this.now = opts.now ?? Date.now;
    this.timeoutMs = opts.timeoutMs ?? Math.min(10_000, Math.max(1_000, opts.intervalMs));
    this.queries = APP_METRICS.flatMap((m) => (config[m.name] ? [{ name: m.name, unit: m.unit, expr: config[m.name] as string }] : []));
    if (config.prometheus) {
      this.prometheus = new PrometheusClient({ target: opts.target, url: config.prometheus, timeoutMs: this.timeoutMs });
    } else if (config.scrape) {
      let names: Set<string> | undefined = new Set();
      let maxRange = 0;
      for (const q of this.queries) {
        try {
          const c = compileScrapeExpr(q.expr);
          this.compiled.set(q.name, c);
          maxRange = Math.max(maxRange, c.maxRangeMs);
          if (c.names === undefined) names = undefined;
          else for (const n of c.names) names?.add(n);
        } catch (err) {
          this.compiled.set(q.name, err as Error);
        }
      }
      this.window = new ScrapeWindow({ retainMs: maxRange + 2 * opts.intervalMs, keep: names });
    }
    if (config.host) this.host = opts.hostReader ?? hostReaderFor(opts.target, { now: this.now, timeoutMs: this.timeoutMs });
    const maxFactor = opts.maxBackoff ?? 4;
    this.poller = new Poller({ intervalMs: opts.intervalMs, now: this.now, poll: (pace) => this.pollOnce(pace), ...(maxFactor > 1 ? { backoff: { maxFactor } } : {}) });
  }

  /** The poller, for tests and the bench (its current wait). */
  get pacing(): Pick<Poller, 'currentDelayMs' | 'armed'> {
    return this.poller;
  }

  start(): void {
    if (this.stopped) return;
    this.poller.start();
  }

  /** The metrics pane is on screen (or not): hidden, nothing is polled. */
  setShown(shown: boolean): void {
    this.poller.setShown(shown);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    await this.poller.stop();
    await this.polling;
  }

  /** Polls now, or returns the poll in progress. Never rejects. */
  pollNow(): Promise<void> {
    return this.pollOnce();
  }

  private pollOnce(pace?: (changed: boolean) => number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.polling ??= this.poll(pace)
      .catch(() => undefined)
      .finally(() => {
        this.polling = undefined;
      });
    return this.polling;
  }

  private async poll(pace?: (changed: boolean) => number): Promise<void> {
    const ac = new AbortController();
    this.abort = ac;
    const errors = new Map<string, string>();
    const fail = (source: string, error: string) => {
      const prev = errors.get(source);
      errors.set(source, prev ? `${prev}; ${error}` : error);
    };
    const touched = new Set<string>();

    let app: MetricReading[] = [];
    let host: MetricReading[] = [];
    const tasks: Promise<void>[] = [];
    if (this.queries.length > 0) {
      if (this.prometheus) {
        touched.add('prometheus');
        tasks.push(this.readPrometheus(ac.signal, (e) => fail('prometheus', e)).then((r) => void (app = r)));
      } else if (this.window) {
        touched.add('scrape');
        tasks.push(this.readScrape(ac.signal, (e) => fail('scrape', e)).then((r) => void (app = r)));
      } else {
        touched.add('metrics');
        fail('metrics', `${this.queries.map((q) => q.name).join(', ')} configured without prometheus: or scrape:`);
      }
    }
    if (this.host) {
      const reader = this.host;
      touched.add('host');
      tasks.push(
        reader.read({ signal: ac.signal }).then(
          (h) => void (host = hostReadings(h)),
          (err: unknown) => fail('host', errorText(err).replace(/^host metrics: /, '')),
        ),
      );
    }
    try {
      await Promise.all(tasks);
    } finally {
      if (this.abort === ac) this.abort = undefined;
    }
    if (this.stopped) return;

    const at = this.now();
    const readings = [...app, ...host];
    const found = JSON.stringify([readings.map((r) => [r.name, r.value]), [...errors]]);
    // A failing source is never "unchanged": its recovery must show within a refresh.
    const nextInMs = pace?.(errors.size > 0 || found !== this.lastFound);
    this.lastFound = found;
    if (readings.length > 0) this.opts.emit({ type: 'metrics', at, readings, ...(nextInMs !== undefined ? { nextInMs } : {}) });
    for (const source of touched) {
      const error = errors.get(source);
      if (error !== undefined) {
        if (this.failing.get(source) !== error) {
          this.failing.set(source, error);
          this.opts.emit({ type: 'source-error', at, pane: 'metrics', source, error });
        }
      } else if (this.failing.has(source)) {
        this.failing.delete(source);
        this.opts.emit({ type: 'source-ok', at, pane: 'metrics', source });
      }
    }
  }

  private async readPrometheus(signal: AbortSignal, fail: (e: string) => void): Promise<MetricReading[]> {
    const client = this.prometheus!;
    // No `time`: Prometheus's own clock, so a skewed clock on this machine does not shift the data.
    const results = await Promise.all(
      this.queries.map(async (q) => {
        try {
          return { q, value: await client.queryValue(q.expr, undefined, { signal }) };
        } catch (err) {
          return { q, error: errorText(err) };
        }
      }),
    );
    const failed = results.filter((r) => r.error !== undefined);
    if (failed.length > 0) {
      const distinct = new Set(failed.map((r) => r.error));
      if (failed.length === results.length && distinct.size === 1) fail(failed[0]!.error!);
      else for (const r of failed) fail(`${r.q.name}: ${r.error}`);
    }
    return results.flatMap((r) => (r.error === undefined ? [{ name: r.q.name, value: r.value ?? null, unit: r.q.unit }] : []));
  }

  private async readScrape(signal: AbortSignal, fail: (e: string) => void): Promise<MetricReading[]> {
    const url = this.opts.config.scrape!;
    let body: string;
    try {
      const res = await httpGet(this.opts.target, url, { timeoutMs: this.timeoutMs, maxBody: 16 * 1024 * 1024, signal });
      if (res.status !== 200) {
        fail(`scrape: HTTP ${res.status}`);
        return [];
      }
      body = res.body;
    } catch (err) {
      fail(`scrape: ${describeNetError(err)}`);
      return [];
    }
    const parsed = parsePromText(body);
    if (parsed.samples.length === 0) {
      const first = parsed.errors[0];
      fail(first ? `scrape: not Prometheus text (line ${first.line}: ${first.message})` : 'scrape: no samples in the answer');
      return [];
    }
    const t = this.now();
    const window = this.window!;
    window.add(t, parsed.samples);
    const out: MetricReading[] = [];
    for (const q of this.queries) {
      const c = this.compiled.get(q.name);
      if (c === undefined) continue;
      if (c instanceof Error) {
        fail(`${q.name}: ${c.message}`);
        continue;
      }
      try {
        out.push({ name: q.name, value: toReadingValue(window.evaluate(c.expr, t)), unit: q.unit });
      } catch (err) {
        fail(`${q.name}: ${errorText(err)}`);
      }
    }
    return out;
  }
}

/**
 * For `hubops check`: problems with a metrics config that parsing cannot see. In scrape mode, every
 * query must be in the supported PromQL subset. Returns `[key, message]` pairs.
 */
export function checkMetricsConfig(config: Metrics): { key: AppMetricName | 'metrics'; message: string }[] {
  const out: { key: AppMetricName | 'metrics'; message: string }[] = [];
  const configured = APP_METRICS.filter((m) => config[m.name]);
  if (configured.length > 0 && !config.prometheus && !config.scrape) {
    out.push({ key: 'metrics', message: `${configured.map((m) => m.name).join(', ')} ${configured.length === 1 ? 'needs' : 'need'} prometheus: or scrape:` });
  }
  if (config.scrape) {
    for (const m of configured) {
      try {
        compileScrapeExpr(config[m.name] as string);
      } catch (err) {
        out.push({ key: m.name, message: (err as Error).message });
      }
    }
  }
  return out;
}

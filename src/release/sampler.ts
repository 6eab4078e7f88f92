import type { Environment } from '../config/schema.js';
import type { LiveEvent } from '../live/events.js';
import { MetricsSource } from '../metrics/source.js';
import { PrometheusClient } from '../metrics/prometheus.js';
import { probe } from '../sources/health.js';
import type { Target } from '../targets/target.js';

/** One reading of everything the watch window judges: the app metrics and every health check. */
export interface WatchSample {
  metrics: Record<string, number | null | { error: string }>;
  health: Record<string, boolean>;
}

export const WATCHED_METRICS = ['errorRate', 'p99', 'requestRate'] as const;

/**
 * Reads the environment's metrics and health on demand (the watch window's clock decides when),
 * through the same sources as the live panes. A metric whose query failed is an `{error}`, never
 * a pass; one with no data is null.
 */
export class WatchSampler {
  private readonly metrics: MetricsSource | undefined;
  private last: { readings: Map<string, number | null>; errors: string[] } = { readings: new Map(), errors: [] };

  constructor(
    private readonly env: Environment,
    private readonly target: Target,
    now: () => number,
  ) {
    const m = env.metrics;
    if (m && (m.prometheus || m.scrape)) {
      // Host figures are not judged by the window; leave them out of its polls.
      this.metrics = new MetricsSource({ target, config: { ...m, host: false }, intervalMs: 3_600_000, emit: (e) => this.onEvent(e), now });
    }
  }

  private onEvent(e: LiveEvent): void {
    if (e.type === 'metrics') for (const r of e.readings) this.last.readings.set(r.name, r.value);
    if (e.type === 'source-error' && e.source !== 'host') this.last.errors.push(e.error);
  }

  /** Where the metrics come from: Prometheus (which has history), a `/metrics` scrape (which has none before its first scrape), or nowhere. */
  origin(): 'prometheus' | 'scrape' | undefined {
    const m = this.env.metrics;
    return m?.prometheus ? 'prometheus' : m?.scrape ? 'scrape' : undefined;
  }

  configured(): (typeof WATCHED_METRICS)[number][] {
    const m = this.env.metrics;
    return m ? WATCHED_METRICS.filter((k) => m[k] !== undefined && (m.prometheus || m.scrape)) : [];
  }

  async sample(): Promise<WatchSample> {
    this.last = { readings: new Map(), errors: [] };
    if (this.metrics) await this.metrics.pollNow();
    const metrics: WatchSample['metrics'] = {};
    const error = this.last.errors[0];
    for (const name of this.configured()) {
      const v = this.last.readings.get(name);
      metrics[name] = v !== undefined ? v : error ? { error } : null;
    }
    const health: Record<string, boolean> = {};
    const results = await Promise.all(this.env.health.map((h) => probe(h, { target: this.target })));
    this.env.health.forEach((h, i) => (health[h.name] = results[i]!.ok));
    return { metrics, health };
  }

  /** Baseline from Prometheus: the mean of each metric over [from, to], or undefined without Prometheus. */
  async prometheusBaseline(fromMs: number, toMs: number, stepMs: number): Promise<Record<string, number[]> | undefined> {
    const m = this.env.metrics;
    if (!m?.prometheus) return undefined;
    const client = new PrometheusClient({ target: this.target, url: m.prometheus });
    const out: Record<string, number[]> = {};
    for (const name of this.configured()) {
      const series = await client.queryRange(m[name]!, fromMs, toMs, stepMs);
      out[name] = (series[0]?.points ?? []).map((p) => p.v).filter((v) => Number.isFinite(v));
    }
    return out;
  }

  async stop(): Promise<void> {
    await this.metrics?.stop();
  }
}

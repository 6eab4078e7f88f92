// Per-metric history for charts and baselines. Pure: no I/O, times are passed in.

import type { MetricReading } from '../live/events.js';

export interface HistoryPoint {
  t: number;
  /** null: no data at that time (a gap in the chart). */
  v: number | null;
}

export const DEFAULT_HISTORY_POINTS = 120;

/** `series` plus `point`, keeping the last `max` points (a new array; `series` is untouched). */
export function pushBounded(series: readonly HistoryPoint[], point: HistoryPoint, max = DEFAULT_HISTORY_POINTS): HistoryPoint[] {
  const out = series.length >= max ? series.slice(series.length - max + 1) : series.slice();
  if (max > 0) out.push(point);
  return out;
}

/** Mean of the values with from <= t < to (null and NaN skipped); null when there are none. */
export function meanBetween(series: readonly HistoryPoint[], from: number, to: number): number | null {
  return meanOf(series.filter((p) => p.t >= from && p.t < to));
}

/** Mean of the finite values; null when there are none. */
export function meanOf(points: readonly HistoryPoint[]): number | null {
  let sum = 0;
  let n = 0;
  for (const p of points) {
    if (typeof p.v === 'number' && Number.isFinite(p.v)) {
      sum += p.v;
      n++;
    }
  }
  return n > 0 ? sum / n : null;
}

/**
 * value / baseline. null when either is missing. A zero baseline gives 1 for a zero value and
 * Infinity for a positive one (the caller decides what "2x of nothing" means, e.g. with a floor).
 */
export function ratioTo(value: number | null | undefined, baseline: number | null | undefined): number | null {
  if (typeof value !== 'number' || !Number.isFinite(value) || typeof baseline !== 'number' || !Number.isFinite(baseline)) return null;
  if (baseline === 0) return value === 0 ? 1 : value > 0 ? Infinity : -Infinity;
  return value / baseline;
}

/** A bounded series per metric name, with an optional baseline per metric. */
export class MetricHistory {
  private readonly data = new Map<string, HistoryPoint[]>();
  private readonly baselines = new Map<string, number | null>();
  readonly maxPoints: number;

  constructor(opts: { maxPoints?: number } = {}) {
    this.maxPoints = Math.max(1, Math.floor(opts.maxPoints ?? DEFAULT_HISTORY_POINTS));
  }

  add(name: string, t: number, v: number | null): void {
    const s = this.data.get(name) ?? [];
    s.push({ t, v: typeof v === 'number' && !Number.isNaN(v) ? v : null });
    if (s.length > this.maxPoints) s.splice(0, s.length - this.maxPoints);
    this.data.set(name, s);
  }

  /** Every reading of one `metrics` event. */
  addReadings(at: number, readings: readonly MetricReading[]): void {
    for (const r of readings) this.add(r.name, at, r.value);
  }

  series(name: string): readonly HistoryPoint[] {
    return this.data.get(name) ?? [];
  }

  names(): string[] {
    return [...this.data.keys()];
  }

  /** The latest point with a value. */
  latest(name: string): HistoryPoint | undefined {
    const s = this.data.get(name) ?? [];
    for (let i = s.length - 1; i >= 0; i--) if (s[i]!.v !== null) return s[i];
    return undefined;
  }

  /** Sets the baseline to the mean of the points held with from <= t < to; returns it. */
  setBaseline(name: string, from: number, to: number): number | null {
    const b = meanBetween(this.series(name), from, to);
    this.baselines.set(name, b);
    return b;
  }

  /** Sets a baseline computed elsewhere (e.g. the mean of a Prometheus range query before a deploy). */
  setBaselineValue(name: string, value: number | null): void {
    this.baselines.set(name, typeof value === 'number' && Number.isFinite(value) ? value : null);
  }

  baseline(name: string): number | null {
    return this.baselines.get(name) ?? null;
  }

  /** Latest value / baseline (see ratioTo); `value` overrides the latest. */
  ratio(name: string, value?: number | null): number | null {
    return ratioTo(value === undefined ? this.latest(name)?.v : value, this.baseline(name));
  }
}

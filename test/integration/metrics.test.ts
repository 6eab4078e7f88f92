// The metrics sources against a real Prometheus (Debian's prometheus) scraping the tests' own
// metrics service, both on 127.0.0.1.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsSchema } from '../../src/config/schema.js';
import type { LiveEvent, MetricReading } from '../../src/live/events.js';
import { hostReaderFor } from '../../src/metrics/host.js';
import { PrometheusClient, PrometheusError } from '../../src/metrics/prometheus.js';
import { MetricsSource } from '../../src/metrics/source.js';
import { LocalTarget } from '../../src/targets/local.js';
import { startMetricsService, type MetricsService } from '../fixtures/metrics-service.js';
import { waitFor } from '../fixtures/procs.js';
import { startPrometheus, type Prom } from '../fixtures/prometheus.js';

const Q = {
  errorRate: 'sum(rate(http_requests_total{code=~"5.."}[5s])) / sum(rate(http_requests_total[5s]))',
  requestRate: 'sum(rate(http_requests_total[5s]))',
  p99: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5s])))',
};

let svc: MetricsService;
let prom: Prom;
let target: LocalTarget;
let client: PrometheusClient;
const sources: MetricsSource[] = [];

beforeAll(async () => {
  target = new LocalTarget();
  // Samples carry the time they were read, so Prometheus's rates do not depend on how late a loaded
  // machine answered its scrapes (the comparison below would then be off by tens of per cent).
  svc = await startMetricsService({ requestsPerSecond: 40, latencySeconds: 0.07, sampleTimestamps: true });
  prom = await startPrometheus({ targets: [svc.target], scrapeInterval: '1s' });
  client = new PrometheusClient({ target, url: prom.url, timeoutMs: 5000 });
  await prom.waitForValue(Q.requestRate, (v) => v > 0, 30_000);
});

afterAll(async () => {
  await Promise.allSettled(sources.map((s) => s.stop()));
  await prom?.stop();
  await svc?.stop();
  await target?.close();
});

function recorder() {
  const events: LiveEvent[] = [];
  return { events, emit: (e: LiveEvent) => void events.push(e) };
}

function lastReadings(events: LiveEvent[]): { at: number; readings: Record<string, number | null> } | undefined {
  const e = events.filter((x): x is Extract<LiveEvent, { type: 'metrics' }> => x.type === 'metrics').at(-1);
  return e && { at: e.at, readings: Object.fromEntries(e.readings.map((r: MetricReading) => [r.name, r.value])) };
}

describe('metrics against a real Prometheus', () => {
  it('the Prometheus client returns the request rate, instant and range', async () => {
    const v = await client.queryValue(Q.requestRate);
    expect(v).not.toBeNull();
    expect(v!).toBeGreaterThan(0);
    const now = Date.now();
    const at = await client.query(Q.requestRate, now);
    expect(at.resultType).toBe('vector');
    // A range query: one point per step once Prometheus has history (it may have just started).
    const range = await waitFor(
      async () => {
        const end = Date.now();
        const rs = await client.queryRange(Q.requestRate, end - 3000, end, 1000);
        return rs.length === 1 && rs[0]!.points.length >= 3 ? { rs, end } : null;
      },
      { timeoutMs: 10_000, intervalMs: 500, what: 'a range query with 3 points' },
    );
    expect(range.rs[0]!.points.every((p) => p.t >= range.end - 3000 && p.t <= range.end + 1 && p.v > 0)).toBe(true);
    // Nothing matches: an empty vector is "no data", not an error.
    expect(await client.queryValue('sum(rate(no_such_metric_total[5s]))')).toBeNull();
  });

  it('set({errorRatio: 0.3}) → the errorRate query approaches 0.3', async () => {
    svc.set({ errorRatio: 0.3 });
    const v = await waitFor(
      async () => {
        const x = await client.queryValue(Q.errorRate);
        return x !== null && Math.abs(x - 0.3) < 0.03 ? { x } : null;
      },
      { timeoutMs: 25_000, intervalMs: 500, what: 'errorRate near 0.3' },
    );
    expect(v.x).toBeCloseTo(0.3, 1);
  });

  it('the same figures from a direct scrape agree with Prometheus', async () => {
    const r = recorder();
    const scrape = new MetricsSource({
      target,
      config: metricsSchema.parse({ scrape: `${svc.url}/metrics`, ...Q }),
      intervalMs: 1000,
      emit: r.emit,
    });
    sources.push(scrape);
    scrape.start();
    // Let the scrape window cover the 5 s range, with the error ratio settled: eight polls a second
    // apart (about 7.5 s), counted rather than slept for, as a busy machine may poll less often.
    await waitFor(() => r.events.filter((e) => e.type === 'metrics').length >= 8, { timeoutMs: 30_000, what: 'eight direct scrapes' });
    const mine = lastReadings(r.events)!;
    const theirs = {
      errorRate: await client.queryValue(Q.errorRate, mine.at),
      requestRate: await client.queryValue(Q.requestRate, mine.at),
      p99: await client.queryValue(Q.p99, mine.at),
    };
    await scrape.stop();
    expect(r.events.filter((e) => e.type === 'source-error')).toEqual([]);
    // Sample times differ (Prometheus scrapes on its own 1 s schedule, the service moves in 100 ms
    // steps), so rates agree to a few per cent, not exactly.
    expect(mine.readings.requestRate).not.toBeNull();
    expect(theirs.requestRate).not.toBeNull();
    const both = `hubops ${JSON.stringify(mine.readings)}, Prometheus ${JSON.stringify(theirs)}`;
    expect(Math.abs(mine.readings.requestRate! - theirs.requestRate!) / theirs.requestRate!, both).toBeLessThan(0.1);
    expect(mine.readings.requestRate!).toBeGreaterThan(40 * 0.85);
    expect(Math.abs(mine.readings.errorRate! - theirs.errorRate!), both).toBeLessThan(0.04);
    expect(Math.abs(mine.readings.errorRate! - 0.3)).toBeLessThan(0.04);
    // Every request takes 70 ms: all in the (0.05, 0.1] bucket, p99 = 0.05 + 0.05 x 0.99 on both.
    expect(mine.readings.p99).toBeCloseTo(0.0995, 6);
    expect(theirs.p99).toBeCloseTo(0.0995, 6);
  });

  it('the source in prometheus mode reads the same figures', async () => {
    const r = recorder();
    const src = new MetricsSource({ target, config: metricsSchema.parse({ prometheus: prom.url, ...Q }), intervalMs: 1000, emit: r.emit });
    sources.push(src);
    await src.pollNow();
    await src.stop();
    const got = lastReadings(r.events)!;
    expect(got.readings.requestRate!).toBeGreaterThan(0);
    expect(Math.abs(got.readings.errorRate! - 0.3)).toBeLessThan(0.05);
    expect(got.readings.p99).toBeCloseTo(0.0995, 6);
  });

  it('bad PromQL gives Prometheus\'s own error message', async () => {
    const err = await client.query('sum(rate(http_requests_total[5s])').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrometheusError);
    expect((err as PrometheusError).kind).toBe('prometheus');
    expect((err as PrometheusError).detail.errorType).toBe('bad_data');
    expect((err as PrometheusError).message).toMatch(/^prometheus: bad_data: .*parse error/);
  });

  it('host metrics locally are numbers in range', async () => {
    const h = await hostReaderFor(target).read();
    for (const v of [h.cpuPct, h.memPct, h.diskPct]) {
      expect(v).not.toBeNull();
      expect(v!).toBeGreaterThanOrEqual(0);
      expect(v!).toBeLessThanOrEqual(100);
    }
    expect(h.load1!).toBeGreaterThanOrEqual(0);
    const r = recorder();
    const src = new MetricsSource({ target, config: metricsSchema.parse({ host: true }), intervalMs: 1000, emit: r.emit });
    sources.push(src);
    await src.pollNow();
    await src.stop();
    expect(lastReadings(r.events)!.readings).toEqual({ cpu: expect.any(Number), memory: expect.any(Number), disk: expect.any(Number), load: expect.any(Number) });
  });

  // Last: it stops Prometheus.
  it('Prometheus stopped → a source-error event, not a throw', async () => {
    const r = recorder();
    const src = new MetricsSource({ target, config: metricsSchema.parse({ prometheus: prom.url, ...Q }), intervalMs: 1000, emit: r.emit });
    sources.push(src);
    await src.pollNow();
    expect(r.events.map((e) => e.type)).toEqual(['metrics']);
    await prom.stop();
    await expect(src.pollNow()).resolves.toBeUndefined();
    await src.stop();
    expect(r.events.at(-1)).toMatchObject({ type: 'source-error', pane: 'metrics', source: 'prometheus', error: 'prometheus: connection refused' });
  });
});

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveEvent } from '../../src/live/events.js';
import type { HostFigures, HostReader } from '../../src/metrics/host.js';
import { checkMetricsConfig, MetricsSource } from '../../src/metrics/source.js';
import { LocalTarget } from '../../src/targets/local.js';
import { metricsSchema } from '../../src/config/schema.js';

// A loopback HTTP server whose answers the tests set.
let server: http.Server;
let base = '';
let metricsBody = '';
let metricsStatus = 200;
let promAnswer: (query: string) => { status: number; body: unknown } = () => ({ status: 200, body: {} });
let delayMs = 0;
let received = 0;
const target = new LocalTarget();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    received++;
    setTimeout(() => {
      if (url.pathname === '/metrics') {
        res.writeHead(metricsStatus, { 'content-type': 'text/plain' }).end(metricsBody);
      } else if (url.pathname === '/api/v1/query') {
        const a = promAnswer(url.searchParams.get('query') ?? '');
        res.writeHead(a.status, { 'content-type': 'application/json' }).end(typeof a.body === 'string' ? a.body : JSON.stringify(a.body));
      } else res.writeHead(404).end();
    }, delayMs);
  });
  await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await target.close();
});

function config(input: Record<string, unknown>) {
  return metricsSchema.parse(input);
}

function recorder() {
  const events: LiveEvent[] = [];
  return { events, emit: (e: LiveEvent) => void events.push(e) };
}

const vector = (v: string) => ({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, v] }] } });

describe('MetricsSource', () => {
  it('prometheus mode: one metrics event per poll with every configured figure', async () => {
    promAnswer = (q) => ({ status: 200, body: q.includes('5..') ? vector('0.05') : q.startsWith('histogram') ? vector('0.2') : q === 'empty' ? { status: 'success', data: { resultType: 'vector', result: [] } } : vector('12') });
    const r = recorder();
    const src = new MetricsSource({
      target,
      config: config({ prometheus: base, errorRate: 'sum(rate(x{code=~"5.."}[1m]))', requestRate: 'sum(rate(x[1m]))', p99: 'histogram_quantile(0.99, y)', saturation: 'empty' }),
      intervalMs: 1000,
      emit: r.emit,
      now: () => 42,
    });
    await src.pollNow();
    expect(r.events).toEqual([
      {
        type: 'metrics',
        at: 42,
        readings: [
          { name: 'errorRate', value: 0.05, unit: 'ratio' },
          { name: 'requestRate', value: 12, unit: 'per-second' },
          { name: 'p99', value: 0.2, unit: 'seconds' },
          { name: 'saturation', value: null, unit: 'ratio' },
        ],
      },
    ]);
    await src.stop();
  });

  it('errors become source-error once, then source-ok on recovery; the readings that worked still come', async () => {
    let broken = true;
    promAnswer = (q) => (broken && q === 'bad{' ? { status: 400, body: { status: 'error', errorType: 'bad_data', error: 'parse error' } } : { status: 200, body: vector('1') });
    const r = recorder();
    const src = new MetricsSource({ target, config: config({ prometheus: base, errorRate: 'bad{', requestRate: 'ok' }), intervalMs: 1000, emit: r.emit, now: () => 7 });
    await src.pollNow();
    await src.pollNow();
    broken = false;
    await src.pollNow();
    expect(r.events).toEqual([
      { type: 'metrics', at: 7, readings: [{ name: 'requestRate', value: 1, unit: 'per-second' }] },
      { type: 'source-error', at: 7, pane: 'metrics', source: 'prometheus', error: 'errorRate: prometheus: bad_data: parse error' },
      { type: 'metrics', at: 7, readings: [{ name: 'requestRate', value: 1, unit: 'per-second' }] },
      { type: 'metrics', at: 7, readings: [{ name: 'errorRate', value: 1, unit: 'ratio' }, { name: 'requestRate', value: 1, unit: 'per-second' }] },
      { type: 'source-ok', at: 7, pane: 'metrics', source: 'prometheus' },
    ]);
    await src.stop();
  });

  it('a dead Prometheus is a source-error in words, not a throw', async () => {
    const r = recorder();
    const src = new MetricsSource({ target, config: config({ prometheus: 'http://127.0.0.1:1', errorRate: 'a', requestRate: 'b' }), intervalMs: 1000, emit: r.emit });
    await src.pollNow();
    expect(r.events).toEqual([expect.objectContaining({ type: 'source-error', source: 'prometheus', error: 'prometheus: connection refused' })]);
    await src.stop();
  });

  it('scrape mode: rates from successive scrapes, evaluated with the passed-in clock', async () => {
    let now = 1_000_000;
    const body = (ok: number, err: number, fast: number, slow: number) =>
      [
        '# TYPE http_requests_total counter',
        `http_requests_total{code="200"} ${ok}`,
        `http_requests_total{code="500"} ${err}`,
        `lat_bucket{le="0.1"} ${fast}`,
        `lat_bucket{le="1"} ${fast + slow}`,
        `lat_bucket{le="+Inf"} ${fast + slow}`,
        'up 1',
      ].join('\n');
    metricsBody = body(0, 0, 0, 0);
    const r = recorder();
    const src = new MetricsSource({
      target,
      config: config({
        scrape: `${base}/metrics`,
        errorRate: 'sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))',
        requestRate: 'sum(rate(http_requests_total[1m]))',
        p99: 'histogram_quantile(0.5, sum by (le) (rate(lat_bucket[1m])))',
        saturation: 'up / 2',
      }),
      intervalMs: 1000,
      emit: r.emit,
      now: () => now,
    });
    await src.pollNow();
    now += 10_000;
    metricsBody = body(90, 10, 50, 50);
    await src.pollNow();
    const [first, second] = r.events as Extract<LiveEvent, { type: 'metrics' }>[];
    expect(first!.readings.map((x) => x.value)).toEqual([null, null, null, 0.5]);
    expect(second!.readings).toEqual([
      { name: 'errorRate', value: 0.1, unit: 'ratio' },
      { name: 'requestRate', value: 10, unit: 'per-second' },
      { name: 'p99', value: 0.1, unit: 'seconds' },
      { name: 'saturation', value: 0.5, unit: 'ratio' },
    ]);
    // A broken endpoint, then junk, then recovery.
    metricsStatus = 503;
    now += 1000;
    await src.pollNow();
    metricsStatus = 200;
    metricsBody = '<html>oops</html>';
    now += 1000;
    await src.pollNow();
    metricsBody = body(180, 20, 100, 100);
    now += 1000;
    await src.pollNow();
    expect(r.events.slice(2)).toEqual([
      { type: 'source-error', at: now - 2000, pane: 'metrics', source: 'scrape', error: 'scrape: HTTP 503' },
      { type: 'source-error', at: now - 1000, pane: 'metrics', source: 'scrape', error: 'scrape: not Prometheus text (line 1: expected a metric name, found "<html>oops</html>")' },
      expect.objectContaining({ type: 'metrics' }),
      { type: 'source-ok', at: now, pane: 'metrics', source: 'scrape' },
    ]);
    await src.stop();
  });

  it('scrape mode: an expression outside the subset is reported, the others still read', async () => {
    metricsBody = 'up 1\n';
    const r = recorder();
    const src = new MetricsSource({ target, config: config({ scrape: `${base}/metrics`, errorRate: 'irate(x[1m])', saturation: 'up' }), intervalMs: 1000, emit: r.emit, now: () => 1 });
    await src.pollNow();
    expect(r.events[0]).toEqual({ type: 'metrics', at: 1, readings: [{ name: 'saturation', value: 1, unit: 'ratio' }] });
    expect(r.events[1]).toMatchObject({ type: 'source-error', source: 'scrape', error: expect.stringContaining('errorRate: function or aggregation "irate"') });
    expect((r.events[1] as { error: string }).error).toContain('use prometheus: for more');
    await src.stop();
  });

  it('host metrics come in the same event; a failing host reader is its own source', async () => {
    let fail = false;
    const reader: HostReader = {
      read: async (): Promise<HostFigures> => {
        if (fail) throw new Error('host metrics: connection lost');
        return { cpuPct: 10, memPct: 20, diskPct: 30, load1: 0.5 };
      },
    };
    promAnswer = () => ({ status: 200, body: vector('3') });
    const r = recorder();
    const src = new MetricsSource({ target, config: config({ prometheus: base, requestRate: 'x', host: true }), intervalMs: 1000, emit: r.emit, now: () => 5, hostReader: reader });
    await src.pollNow();
    fail = true;
    await src.pollNow();
    expect(r.events).toEqual([
      {
        type: 'metrics',
        at: 5,
        readings: [
          { name: 'requestRate', value: 3, unit: 'per-second' },
          { name: 'cpu', value: 10, unit: 'percent' },
          { name: 'memory', value: 20, unit: 'percent' },
          { name: 'disk', value: 30, unit: 'percent' },
          { name: 'load', value: 0.5, unit: 'load' },
        ],
      },
      { type: 'metrics', at: 5, readings: [{ name: 'requestRate', value: 3, unit: 'per-second' }] },
      { type: 'source-error', at: 5, pane: 'metrics', source: 'host', error: 'connection lost' },
    ]);
    await src.stop();
  });

  it('never overlaps polls: a slow poll delays the next; stop() waits and nothing comes after', async () => {
    delayMs = 250;
    let inFlight = 0;
    let maxInFlight = 0;
    const starts: number[] = [];
    const reader: HostReader = {
      read: async () => {
        starts.push(performance.now());
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((res) => setTimeout(res, 250));
        inFlight--;
        return { cpuPct: 1, memPct: 1, diskPct: 1, load1: 1 };
      },
    };
    const r = recorder();
    const src = new MetricsSource({ target, config: config({ host: true }), intervalMs: 50, emit: r.emit, hostReader: reader });
    src.start();
    src.start(); // idempotent
    // Two polls waited for (a busy machine may fit fewer than the usual two in 700 ms), then stopped
    // at once: at most the one in flight can still land.
    await expect.poll(() => r.events.length, { timeout: 15_000, interval: 5 }).toBeGreaterThanOrEqual(2);
    await src.stop();
    const count = r.events.length;
    expect(maxInFlight).toBe(1);
    // Each poll starts after the previous one ended (250 ms), never on the 50 ms interval.
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(245);
    expect(count).toBeLessThanOrEqual(3);
    await new Promise((res) => setTimeout(res, 150));
    expect(r.events.length).toBe(count);
    delayMs = 0;
  });

  it('backs off while the figures stay the same (and says when it polls next); a change brings the refresh back', async () => {
    let value = '12';
    promAnswer = () => ({ status: 200, body: vector(value) });
    const r = recorder();
    const src = new MetricsSource({ target, config: config({ prometheus: base, requestRate: 'sum(rate(x[1m]))' }), intervalMs: 40, emit: r.emit, maxBackoff: 4 });
    src.start();
    try {
      const next = () => r.events.flatMap((e) => (e.type === 'metrics' ? [e.nextInMs] : []));
      await expect.poll(() => next().length, { timeout: 15_000 }).toBeGreaterThanOrEqual(4);
      // First poll: nothing to compare with (a change); then the same figure: 80, 160, capped at 160.
      expect(next().slice(0, 4)).toEqual([40, 80, 160, 160]);
      expect(src.pacing.currentDelayMs).toBe(160);
      const seen = next().length;
      value = '13';
      // The poll that sees 13 waits one refresh; the next (13 again) backs off anew.
      await expect.poll(() => next().slice(seen).includes(40), { timeout: 15_000 }).toBe(true);
      const after = next().slice(seen);
      const tail = after.slice(after.indexOf(40), after.indexOf(40) + 3);
      expect(tail).toEqual([40, 80, 160].slice(0, tail.length));
    } finally {
      await src.stop();
    }
  });

  it('a failing source never backs off: its recovery shows within a refresh', async () => {
    promAnswer = () => ({ status: 500, body: 'down' });
    const r = recorder();
    const src = new MetricsSource({ target, config: config({ prometheus: base, requestRate: 'sum(rate(x[1m]))' }), intervalMs: 40, emit: r.emit, maxBackoff: 4 });
    src.start();
    try {
      await expect.poll(() => src.pacing.currentDelayMs === 40 && r.events.filter((e) => e.type === 'source-error').length === 1, { timeout: 15_000 }).toBe(true);
      await new Promise((res) => setTimeout(res, 300));
      expect(src.pacing.currentDelayMs).toBe(40);
    } finally {
      await src.stop();
    }
  });

  it('polls nothing while its pane is hidden, and at once when shown again', async () => {
    let asked = 0;
    promAnswer = () => (asked++, { status: 200, body: vector(String(asked)) });
    const r = recorder();
    const src = new MetricsSource({ target, config: config({ prometheus: base, requestRate: 'q' }), intervalMs: 50, emit: r.emit });
    src.start();
    try {
      await expect.poll(() => asked, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
      src.setShown(false);
      // A poll in flight may still land: wait for it to end (on a busy machine its request can
      // reach the server well after 100 ms), then count.
      await expect.poll(() => (src as unknown as { polling?: Promise<void> }).polling, { timeout: 15_000 }).toBeUndefined();
      const before = asked;
      await new Promise((res) => setTimeout(res, 400));
      expect(asked).toBe(before);
      expect(src.pacing.armed).toBe(false);
      src.setShown(true);
      // (At least one: if the check comes late, the polls after it may have come too.)
      await expect.poll(() => asked, { timeout: 10_000 }).toBeGreaterThanOrEqual(before + 1);
    } finally {
      await src.stop();
    }
  });

  it('stop() aborts a poll in flight and emits nothing for it', async () => {
    // The answer would take 10 s: stop() must not wait for it (a margin of seconds, not of 1 s,
    // for a busy machine).
    delayMs = 10_000;
    const r = recorder();
    const src = new MetricsSource({ target, config: config({ prometheus: base, requestRate: 'x' }), intervalMs: 1000, emit: r.emit });
    const asked = received;
    src.start();
    await expect.poll(() => received, { timeout: 15_000, interval: 5 }).toBeGreaterThan(asked); // the poll is in flight
    const t0 = Date.now();
    await src.stop();
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(r.events).toEqual([]);
    delayMs = 0;
  });
});

describe('checkMetricsConfig', () => {
  it('flags queries outside the scrape subset and queries without a source', () => {
    expect(checkMetricsConfig(config({ scrape: 'http://127.0.0.1:1/metrics', errorRate: 'sum(rate(x[1m]))', p99: 'quantile_over_time(0.99, x[5m])' }))).toEqual([
      { key: 'p99', message: expect.stringContaining('scrape mode supports rate/sum/sum by/histogram_quantile and /; use prometheus: for more') },
    ]);
    expect(checkMetricsConfig(config({ prometheus: 'http://127.0.0.1:1', p99: 'quantile_over_time(0.99, x[5m])' }))).toEqual([]);
    expect(checkMetricsConfig(config({ errorRate: 'x' }))).toEqual([{ key: 'metrics', message: 'errorRate needs prometheus: or scrape:' }]);
  });
});

import { describe, expect, it } from 'vitest';
import { parsePromText, type PromSample } from '../../src/metrics/prom-text.js';
import {
  bucketQuantile,
  checkScrapeExpr,
  compileScrapeExpr,
  extrapolatedRate,
  parseDurationMs,
  parseScrapeExpr,
  PromEvalError,
  PromQLSubsetError,
  SCRAPE_SUBSET_HINT,
  ScrapeWindow,
  toReadingValue,
} from '../../src/metrics/scrape-eval.js';

const S = 1000;
const T0 = 1_700_000_000_000;

function counter(name: string, labels: Record<string, string>, value: number): PromSample {
  return { name, labels, value };
}

/** Evaluates `expr` at `at` over the given scrapes. */
function evalAt(expr: string, scrapes: [number, PromSample[]][], at?: number, retainMs = 10 * 60 * S) {
  const w = new ScrapeWindow({ retainMs });
  for (const [t, samples] of scrapes) w.add(t, samples);
  return toReadingValue(w.evaluate(parseScrapeExpr(expr), at));
}

describe('parseScrapeExpr', () => {
  it('parses the expressions our configs use', () => {
    expect(parseScrapeExpr('sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))')).toEqual({
      kind: 'div',
      left: {
        kind: 'sum',
        expr: {
          kind: 'rate',
          rangeMs: 60 * S,
          selector: { kind: 'selector', matchers: [{ name: '__name__', op: '=', value: 'http_requests_total' }, { name: 'code', op: '=~', value: '5..' }] },
        },
      },
      right: { kind: 'sum', expr: { kind: 'rate', rangeMs: 60 * S, selector: { kind: 'selector', matchers: [{ name: '__name__', op: '=', value: 'http_requests_total' }] } } },
    });
    const q = parseScrapeExpr('histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))');
    expect(q).toMatchObject({ kind: 'histogram_quantile', q: 0.99, expr: { kind: 'sum', by: ['le'], expr: { kind: 'rate', rangeMs: 300 * S } } });
    expect(parseScrapeExpr('sum(rate(x[30s])) by (le, job)')).toMatchObject({ kind: 'sum', by: ['le', 'job'] });
    expect(parseScrapeExpr("rate(x{a!='b', c!~`d.*`,}[1h30m])")).toMatchObject({
      kind: 'rate',
      rangeMs: 5400 * S,
      selector: { matchers: [{ name: '__name__', value: 'x' }, { name: 'a', op: '!=', value: 'b' }, { name: 'c', op: '!~', value: 'd.*' }] },
    });
    expect(parseScrapeExpr('(process_open_fds / process_max_fds)')).toMatchObject({ kind: 'div' });
    expect(parseScrapeExpr('rate({__name__="x"}[1m]) # comment')).toMatchObject({ kind: 'rate' });
    expect(compileScrapeExpr('sum(rate(a[1m])) / sum(rate(b[5m]))')).toMatchObject({ names: new Set(['a', 'b']), maxRangeMs: 300 * S });
  });

  it('refuses what is outside the subset, saying what is supported', () => {
    for (const expr of [
      'irate(x[1m])',
      'avg(rate(x[1m]))',
      'max by (le) (x)',
      'sum without (code) (rate(x[1m]))',
      'sum(rate(x[1m])) * 100',
      'a + b',
      'a > 0',
      'rate(x[5m:1m])',
      'x offset 5m',
      'rate(x[1m] offset 1h)',
      'x[1m]',
      'a / on(job) b',
      'a and b',
    ]) {
      const msg = checkScrapeExpr(expr);
      expect(msg, expr).toBeDefined();
      expect(msg, expr).toContain(SCRAPE_SUBSET_HINT);
      expect(msg, expr).toMatch(/column \d+/);
    }
    expect(checkScrapeExpr('irate(x[1m])')).toBe(`function or aggregation "irate" at column 1 is not supported: ${SCRAPE_SUBSET_HINT}`);
    expect(() => parseScrapeExpr('a * b')).toThrow(PromQLSubsetError);
  });

  it('gives syntax errors with a column', () => {
    expect(checkScrapeExpr('sum(rate(x[1m])')).toMatch(/expected "\)" at column 16, found the end/);
    expect(checkScrapeExpr('rate(x[1q])')).toMatch(/invalid duration "1q" at column 8/);
    expect(checkScrapeExpr('rate(x)')).toMatch(/rate needs a range/);
    expect(checkScrapeExpr('x{a="1}')).toMatch(/unterminated string/);
    expect(checkScrapeExpr('x{a=~"("}')).toMatch(/invalid regular expression/);
    expect(checkScrapeExpr('')).toMatch(/empty/);
    expect(checkScrapeExpr('{a=""}')).toMatch(/does not match the empty string/);
    expect(checkScrapeExpr('histogram_quantile(q, x)')).toMatch(/the quantile/);
    expect(checkScrapeExpr('sum(rate(x[1m]))')).toBeUndefined();
  });

  it('durations', () => {
    expect(parseDurationMs('30s')).toBe(30 * S);
    expect(parseDurationMs('1m30s')).toBe(90 * S);
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs('1d')).toBe(86_400 * S);
    expect(parseDurationMs('1.5m')).toBeUndefined();
    expect(parseDurationMs('0s')).toBeUndefined();
  });
});

describe('rate', () => {
  it('handles a counter reset (hand-computed)', () => {
    // 100 → 150 → (reset) 20 → 70 over 30 s: increase (70 - 100) + 150 = 120, i.e. 4/s.
    const scrapes: [number, PromSample[]][] = [100, 150, 20, 70].map((v, i) => [T0 + i * 10 * S, [counter('c', {}, v)]]);
    expect(evalAt('rate(c[30s])', scrapes)).toBeCloseTo(4, 10);
    expect(extrapolatedRate([{ t: 0, v: 100 }, { t: 10 * S, v: 150 }, { t: 20 * S, v: 20 }, { t: 30 * S, v: 70 }], 0, 30 * S)).toBeCloseTo(4, 10);
  });

  it('over a fully covered range, extrapolates to the range edges as Prometheus does', () => {
    // 1/s, scraped every 10 s for 2 minutes.
    const scrapes: [number, PromSample[]][] = [];
    for (let i = 0; i <= 12; i++) scrapes.push([T0 + i * 10 * S, [counter('c', {}, 1000 + i * 10)]]);
    expect(evalAt('rate(c[1m])', scrapes)).toBeCloseTo(1, 10);
    // Evaluated 5 s after the last scrape: points 70..120 s, extrapolated 5 s each side: still 1/s.
    expect(evalAt('rate(c[1m])', scrapes, T0 + 125 * S)).toBeCloseTo(1, 10);
    // 20 s after the last scrape: points 80..120 s (increase 40); the end gap (20 s) exceeds
    // 1.1 x the 10 s spacing, so only half a spacing is extrapolated there: 40 x (40 + 5) / 40 / 60.
    expect(evalAt('rate(c[1m])', scrapes, T0 + 140 * S)).toBeCloseTo(45 / 60, 10);
  });

  it('a series that starts inside the range is extrapolated no further back than zero', () => {
    const scrapes: [number, PromSample[]][] = [];
    for (let i = 0; i <= 12; i++) {
      const samples = [counter('c', { code: '200' }, 1000 + i * 10)];
      if (i >= 9) samples.push(counter('c', { code: '500' }, (i - 9) * 10));
      scrapes.push([T0 + i * 10 * S, samples]);
    }
    // code=500: 0, 10, 20, 30 at 90..120 s: 30 over 30 s, no extrapolation to the start (zero
    // was reached exactly at the first sample): 30 / 60 s.
    expect(evalAt('rate(c{code="500"}[1m])', scrapes)).toBeCloseTo(0.5, 10);
    expect(evalAt('sum(rate(c{code=~"5.."}[1m])) / sum(rate(c[1m]))', scrapes)).toBeCloseTo(0.5 / 1.5, 10);
    expect(evalAt('sum(rate(c{code!="500"}[1m]))', scrapes)).toBeCloseTo(1, 10);
    expect(evalAt('sum(rate(c{code!~"2.*"}[1m]))', scrapes)).toBeCloseTo(0.5, 10);
  });

  it('while watching for less than the range, uses the time watched', () => {
    const scrapes: [number, PromSample[]][] = [
      [T0, [counter('c', {}, 500)]],
      [T0 + 2 * S, [counter('c', {}, 510)]],
    ];
    expect(evalAt('rate(c[1m])', scrapes)).toBeCloseTo(5, 10);
  });

  it('one scrape is not enough: no data', () => {
    expect(evalAt('rate(c[1m])', [[T0, [counter('c', {}, 5)]]])).toBeNull();
    expect(evalAt('sum(rate(c[1m]))', [[T0, [counter('c', {}, 5)]]])).toBeNull();
    expect(evalAt('rate(c[1m])', [])).toBeNull();
  });

  it('0/0 (no traffic) is no data, not NaN', () => {
    const scrapes: [number, PromSample[]][] = [
      [T0, [counter('c', { code: '500' }, 3), counter('c', { code: '200' }, 7)]],
      [T0 + 5 * S, [counter('c', { code: '500' }, 3), counter('c', { code: '200' }, 7)]],
    ];
    expect(evalAt('sum(rate(c{code=~"5.."}[1m])) / sum(rate(c[1m]))', scrapes)).toBeNull();
  });
});

describe('sum, division, instant selectors', () => {
  const scrapes: [number, PromSample[]][] = [
    [T0, [counter('h_bucket', { le: '0.1', path: '/a' }, 0), counter('h_bucket', { le: '0.1', path: '/b' }, 0), counter('h_bucket', { le: '+Inf', path: '/a' }, 0), counter('h_bucket', { le: '+Inf', path: '/b' }, 0), counter('g', { pool: 'x' }, 3)]],
    [T0 + 10 * S, [counter('h_bucket', { le: '0.1', path: '/a' }, 10), counter('h_bucket', { le: '0.1', path: '/b' }, 30), counter('h_bucket', { le: '+Inf', path: '/a' }, 20), counter('h_bucket', { le: '+Inf', path: '/b' }, 40), counter('g', { pool: 'x' }, 4)]],
  ];

  it('sum by (le) groups on le only', () => {
    const w = new ScrapeWindow({ retainMs: 60 * S });
    for (const [t, s] of scrapes) w.add(t, s);
    const v = w.evaluate(parseScrapeExpr('sum by (le) (rate(h_bucket[1m]))'));
    expect(v.type).toBe('vector');
    const els = (v as { elements: { labels: Record<string, string>; value: number }[] }).elements;
    expect(els.map((e) => [e.labels, e.value]).sort((a, b) => (a[1] as number) - (b[1] as number))).toEqual([
      [{ le: '0.1' }, 4],
      [{ le: '+Inf' }, 6],
    ]);
  });

  it('several series without aggregation is an error that says so', () => {
    expect(() => evalAt('rate(h_bucket[1m])', scrapes)).toThrow(PromEvalError);
    expect(() => evalAt('rate(h_bucket[1m])', scrapes)).toThrow(/aggregate it to one/);
  });

  it('instant selectors read the latest scrape (gauges), and divide by numbers', () => {
    expect(evalAt('g', scrapes)).toBe(4);
    expect(evalAt('g{pool="x"} / 8', scrapes)).toBe(0.5);
    expect(evalAt('g', scrapes, T0 + 5 * S)).toBe(3);
    expect(evalAt('g{pool="y"}', scrapes)).toBeNull();
    expect(evalAt('1 / 4', scrapes)).toBe(0.25);
    // Vector / vector matches on identical label sets (the name is not part of them).
    expect(evalAt('sum by (le) (rate(h_bucket{le="0.1"}[1m])) / sum by (le) (rate(h_bucket{le="0.1"}[1m]))', scrapes)).toBe(1);
    expect(evalAt('sum by (le) (rate(h_bucket{le="0.1"}[1m])) / sum(rate(h_bucket[1m]))', scrapes)).toBeNull();
  });

  it('a series gone from the latest scrape is not in an instant selector', () => {
    expect(evalAt('g', [...scrapes, [T0 + 20 * S, [counter('other', {}, 1)]]])).toBeNull();
  });
});

describe('histogram_quantile', () => {
  // Cumulative: le=0.1: 10, 0.5: 60, 1: 90, +Inf: 100.
  const buckets = [
    { upperBound: 0.1, count: 10 },
    { upperBound: 0.5, count: 60 },
    { upperBound: 1, count: 90 },
    { upperBound: Infinity, count: 100 },
  ];

  it('interpolates linearly inside the bucket (hand-computed)', () => {
    expect(bucketQuantile(0.5, buckets)).toBeCloseTo(0.1 + 0.4 * (40 / 50), 12); // 0.42
    expect(bucketQuantile(0.75, buckets)).toBeCloseTo(0.5 + 0.5 * (15 / 30), 12); // 0.75
    expect(bucketQuantile(0.05, buckets)).toBeCloseTo(0.05, 12); // first bucket starts at 0
    expect(bucketQuantile(0.9, buckets)).toBeCloseTo(1, 12);
    // In the +Inf bucket: the highest finite bound.
    expect(bucketQuantile(0.99, buckets)).toBe(1);
    expect(bucketQuantile(-0.1, buckets)).toBe(-Infinity);
    expect(bucketQuantile(1.1, buckets)).toBe(Infinity);
  });

  it('edge cases follow Prometheus', () => {
    expect(bucketQuantile(0.5, buckets.slice(0, 3))).toBeNaN(); // no +Inf bucket
    expect(bucketQuantile(0.5, [{ upperBound: Infinity, count: 5 }])).toBeNaN(); // one bucket
    expect(bucketQuantile(0.5, buckets.map((b) => ({ ...b, count: 0 })))).toBeNaN(); // no observations
    // Unsorted input and a non-monotonic count (scrape race) are repaired.
    const messy = [buckets[3]!, buckets[1]!, { upperBound: 1, count: 55 }, buckets[0]!];
    expect(bucketQuantile(0.5, messy)).toBeCloseTo(bucketQuantile(0.5, [buckets[0]!, buckets[1]!, { upperBound: 1, count: 60 }, buckets[3]!]), 12);
  });

  it('over scrapes: histogram_quantile(0.99, sum by (le) (rate(x_bucket[1m])))', () => {
    const les = ['0.005', '0.01', '0.025', '0.05', '0.1', '+Inf'];
    // Per second: 50 obs <= 0.005, 30 in (0.005, 0.01], 15 in (0.01, 0.025], 4 in (0.025, 0.05], 1 in (0.05, 0.1].
    const perSecond = [50, 80, 95, 99, 100, 100];
    const scrape = (k: number): PromSample[] =>
      les.flatMap((le, i) => [counter('x_bucket', { le, instance: 'a' }, (perSecond[i]! * k * 10) / 2), counter('x_bucket', { le, instance: 'b' }, (perSecond[i]! * k * 10) / 2)]);
    const scrapes: [number, PromSample[]][] = [0, 1, 2, 3].map((k) => [T0 + k * 10 * S, scrape(k)]);
    // rank 99 of 100 → bucket (0.025, 0.05] holding 95..99: 0.025 + 0.025 x (4/4) = 0.05
    expect(evalAt('histogram_quantile(0.99, sum by (le) (rate(x_bucket[1m])))', scrapes)).toBeCloseTo(0.05, 12);
    // rank 90 → bucket (0.01, 0.025]: 0.01 + 0.015 x (10/15) = 0.02
    expect(evalAt('histogram_quantile(0.9, sum by (le) (rate(x_bucket[1m])))', scrapes)).toBeCloseTo(0.02, 12);
    // Without summing the instances away: one quantile per instance (an error for a reading).
    expect(() => evalAt('histogram_quantile(0.9, rate(x_bucket[1m]))', scrapes)).toThrow(/2 series/);
  });
});

describe('ScrapeWindow', () => {
  it('keeps only the named metrics and only for retainMs', () => {
    const w = new ScrapeWindow({ retainMs: 30 * S, keep: new Set(['c']) });
    for (let i = 0; i < 10; i++) w.add(T0 + i * 10 * S, [counter('c', {}, i), counter('junk', {}, i)]);
    expect(w.size).toBe(4); // 60..90 s
    expect(w.firstAt).toBe(T0);
    expect(toReadingValue(w.evaluate(parseScrapeExpr('junk')))).toBeNull();
    expect(toReadingValue(w.evaluate(parseScrapeExpr('c')))).toBe(9);
    // Out-of-order scrapes are ignored.
    w.add(T0, [counter('c', {}, 100)]);
    expect(toReadingValue(w.evaluate(parseScrapeExpr('c')))).toBe(9);
  });

  it('works on parsed exposition text', () => {
    const body = (ok: number, err: number) => `# TYPE r counter\nr{code="200"} ${ok}\nr{code="500"} ${err}\n`;
    const w = new ScrapeWindow({ retainMs: 60 * S });
    w.add(T0, parsePromText(body(0, 0)).samples);
    w.add(T0 + 10 * S, parsePromText(body(70, 30)).samples);
    expect(toReadingValue(w.evaluate(parseScrapeExpr('sum(rate(r{code=~"5.."}[1m])) / sum(rate(r[1m]))')))).toBeCloseTo(0.3, 12);
  });
});

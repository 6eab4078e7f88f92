import { describe, expect, it } from 'vitest';
import { meanBetween, MetricHistory, pushBounded, ratioTo } from '../../src/metrics/history.js';

describe('MetricHistory', () => {
  it('keeps a bounded series per metric', () => {
    const h = new MetricHistory({ maxPoints: 5 });
    for (let i = 0; i < 8; i++) h.add('p99', i * 1000, i);
    expect(h.series('p99').map((p) => p.v)).toEqual([3, 4, 5, 6, 7]);
    expect(h.series('none')).toEqual([]);
    h.addReadings(9000, [
      { name: 'p99', value: null, unit: 'seconds' },
      { name: 'cpu', value: 50, unit: 'percent' },
    ]);
    expect(h.series('p99').at(-1)).toEqual({ t: 9000, v: null });
    expect(h.latest('p99')).toEqual({ t: 7000, v: 7 });
    expect(h.names().sort()).toEqual(['cpu', 'p99']);
    h.add('cpu', 10_000, NaN);
    expect(h.series('cpu').at(-1)!.v).toBeNull();
  });

  it('baseline is the mean of a chosen earlier period; ratio to it', () => {
    const h = new MetricHistory();
    for (let i = 0; i < 10; i++) h.add('errorRate', i * 1000, i < 5 ? 0.01 + (i % 2) * 0.02 : 0.06);
    // [0, 5000): 0.01, 0.03, 0.01, 0.03, 0.01 → 0.018
    expect(h.setBaseline('errorRate', 0, 5000)).toBeCloseTo(0.018, 12);
    expect(h.baseline('errorRate')).toBeCloseTo(0.018, 12);
    expect(h.ratio('errorRate')).toBeCloseTo(0.06 / 0.018, 12);
    expect(h.ratio('errorRate', 0.036)).toBeCloseTo(2, 12);
    expect(h.ratio('unknown')).toBeNull();
    // The baseline stays when its points have scrolled out.
    const small = new MetricHistory({ maxPoints: 2 });
    small.add('x', 0, 2);
    small.setBaseline('x', 0, 1);
    small.add('x', 1, 4);
    small.add('x', 2, 6);
    expect(small.ratio('x')).toBe(3);
    // A period without data: no baseline.
    expect(h.setBaseline('errorRate', 50_000, 60_000)).toBeNull();
    h.setBaselineValue('errorRate', 0.02);
    expect(h.ratio('errorRate')).toBeCloseTo(3, 12);
  });

  it('pure helpers', () => {
    const s = [{ t: 0, v: 1 }];
    const s2 = pushBounded(s, { t: 1, v: 2 }, 2);
    const s3 = pushBounded(s2, { t: 2, v: 3 }, 2);
    expect(s).toEqual([{ t: 0, v: 1 }]);
    expect(s3).toEqual([
      { t: 1, v: 2 },
      { t: 2, v: 3 },
    ]);
    expect(meanBetween([{ t: 0, v: 1 }, { t: 1, v: null }, { t: 2, v: 3 }], 0, 3)).toBe(2);
    expect(ratioTo(0, 0)).toBe(1);
    expect(ratioTo(0.1, 0)).toBe(Infinity);
    expect(ratioTo(null, 1)).toBeNull();
    expect(ratioTo(1, null)).toBeNull();
  });
});

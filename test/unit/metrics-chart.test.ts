import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderChart, sparkline, type ChartPoint } from '../../src/metrics/chart.js';

const BRAILLE_OR_SPACE = /^[\u2800-\u28ff ]*$/;

function series(values: (number | null)[]): ChartPoint[] {
  return values.map((v, i) => ({ t: 1_000_000 + i * 2000, v }));
}

function shapeOk(lines: string[], width: number, height: number) {
  expect(lines).toHaveLength(height);
  for (const l of lines) {
    expect(l).toHaveLength(width);
    expect(l).toMatch(BRAILLE_OR_SPACE);
    expect(l).not.toContain('\n');
    expect(l).not.toContain('\u001b');
  }
}

const ink = (lines: string[]) => lines.join('').replace(/ /g, '').length;

describe('renderChart', () => {
  it('has exactly height lines of width cells, plain text', () => {
    const lines = renderChart(series([1, 3, 2, 5, 4, 6, 2, 8]), { width: 20, height: 4 });
    shapeOk(lines, 20, 4);
    expect(ink(lines)).toBeGreaterThan(0);
  });

  it('empty series: blank', () => {
    const lines = renderChart([], { width: 10, height: 3 });
    shapeOk(lines, 10, 3);
    expect(ink(lines)).toBe(0);
    expect(ink(renderChart(series([null, NaN as unknown as null]), { width: 10, height: 3 }))).toBe(0);
  });

  it('single point: one dot at the right edge', () => {
    const lines = renderChart(series([5]), { width: 10, height: 2 });
    shapeOk(lines, 10, 2);
    expect(ink(lines)).toBe(1);
    expect(lines.some((l) => l[9] !== ' ')).toBe(true);
  });

  it('flat line: one row of ink', () => {
    const lines = renderChart(series(new Array(50).fill(7)), { width: 25, height: 4 });
    shapeOk(lines, 25, 4);
    const inked = lines.filter((l) => l.trim() !== '');
    expect(inked).toHaveLength(1);
    expect(inked[0]!.replace(/ /g, '')).toHaveLength(25);
    // Zero everywhere also draws (at the bottom).
    const zeros = renderChart(series(new Array(10).fill(0)), { width: 10, height: 2 });
    expect(zeros[1]!.trim()).not.toBe('');
  });

  it('gaps break the line', () => {
    const full = renderChart(series([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]), { width: 10, height: 1, min: 0, max: 2 });
    const gap = renderChart(series([1, 1, 1, null, null, null, 1, 1, 1, 1]), { width: 10, height: 1, min: 0, max: 2 });
    expect(ink(gap)).toBeLessThan(ink(full));
    expect(gap[0]![4]).toBe(' ');
  });

  it('baseline (dotted) and thresholds (dashed) are drawn, also without data', () => {
    const lines = renderChart([], { width: 12, height: 4, baseline: 1, thresholds: [2] });
    shapeOk(lines, 12, 4);
    expect(lines.filter((l) => l.trim() !== '')).toHaveLength(2);
    // Outside an explicit range: not drawn.
    expect(ink(renderChart([], { width: 12, height: 4, thresholds: [10], min: 0, max: 5 }))).toBe(0);
  });

  it('odd sizes and zero sizes', () => {
    shapeOk(renderChart(series([1, 2]), { width: 1, height: 1 }), 1, 1);
    expect(renderChart(series([1, 2]), { width: 5, height: 0 })).toEqual([]);
    expect(renderChart(series([1, 2]), { width: 0, height: 2 })).toEqual(['', '']);
    shapeOk(renderChart(series([1, 2]), { width: 7.6, height: 2.2 }), 7, 2);
  });

  it('any series keeps the shape (property)', () => {
    const value = fc.oneof(fc.double(), fc.constant(null), fc.integer({ min: -5, max: 5 }));
    const point = fc.record({ t: fc.oneof(fc.integer({ min: 0, max: 1e6 }), fc.double()), v: value });
    fc.assert(
      fc.property(fc.array(point, { maxLength: 150 }), fc.integer({ min: 1, max: 90 }), fc.integer({ min: 1, max: 10 }), fc.option(fc.double()), (pts, w, h, baseline) => {
        shapeOk(renderChart(pts, { width: w, height: h, baseline, thresholds: [1, 2] }), w, h);
      }),
      { numRuns: 300 },
    );
  });
});

describe('sparkline', () => {
  it('scales floats onto the 8 blocks, latest at the right', () => {
    expect(sparkline([0, 0.5, 1], 3)).toBe('▁▅█');
    expect(sparkline([0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.007, 0.008], 8)).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([1, 2], 5)).toBe('   ▁█');
    expect(sparkline([1, 2, 3, 4, 5], 2)).toBe('▁█');
    expect(sparkline([1, null, NaN, 3], 4)).toBe('▁  █');
    expect(sparkline([5, 5, 5], 3)).toBe('▄▄▄');
    expect(sparkline([0, 0], 2)).toBe('▁▁');
    expect(sparkline([], 3)).toBe('   ');
    expect(sparkline([1, 2], 0)).toBe('');
    expect(sparkline([0.5], 1, { min: 0, max: 1 })).toBe('▅');
  });
});

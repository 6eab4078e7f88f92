// Small braille line charts for the metrics pane, as plain text (the screen colours them).
//
// Drawing goes through drawille-canvas-blessed-contrib's Context (moveTo / lineTo / stroke with its
// Bresenham lines), but into our own pixel grid rather than the package's default one: that one
// allocates with the deprecated `new Buffer()` (once bundled, Node prints a DEP0005 warning on
// stderr, which would land on the console's screen) and wraps every cell in ANSI colour codes.
// The grid below is the same 2x4-dots-per-cell braille layout, without either.

import Drawille from 'drawille-canvas-blessed-contrib';

export interface ChartPoint {
  t: number;
  v: number | null;
}

export interface ChartOptions {
  /** Cells (columns) of output. */
  width: number;
  /** Lines of output. */
  height: number;
  /** Drawn as a dotted horizontal line. */
  baseline?: number | null;
  /** Each drawn as a dashed horizontal line (e.g. 1.5x and 2x the baseline). */
  thresholds?: readonly number[];
  /** Value at the bottom edge. Default: 0 when every value is >= 0, else the lowest value. */
  min?: number;
  /** Value at the top edge. Default: the highest of the values, baseline and thresholds, +10 %. */
  max?: number;
}

// Braille dot bits by (y % 4, x % 2), as in drawille.
const DOT = [
  [0x01, 0x08],
  [0x02, 0x10],
  [0x04, 0x20],
  [0x40, 0x80],
] as const;

/** A braille pixel grid `width` x `height` dots (2 x 4 dots per character cell). */
class BrailleGrid {
  readonly cells: Uint8Array;
  readonly cols: number;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    if (width % 2 !== 0) throw new Error('width must be a multiple of 2');
    if (height % 4 !== 0) throw new Error('height must be a multiple of 4');
    this.cols = width / 2;
    this.cells = new Uint8Array((width / 2) * (height / 4));
  }
  private index(x: number, y: number): number {
    return Math.floor(y / 4) * this.cols + Math.floor(x / 2);
  }
  set(x: number, y: number): void {
    x = Math.floor(x);
    y = Math.floor(y);
    if (!(x >= 0 && x < this.width && y >= 0 && y < this.height)) return;
    this.cells[this.index(x, y)]! |= DOT[y % 4]![x % 2]!;
  }
  unset(x: number, y: number): void {
    x = Math.floor(x);
    y = Math.floor(y);
    if (!(x >= 0 && x < this.width && y >= 0 && y < this.height)) return;
    this.cells[this.index(x, y)]! &= ~DOT[y % 4]![x % 2]!;
  }
  /** Rows of characters, `delimiter` after each (drawille's frame(), minus the colour codes). */
  frame(delimiter = '\n'): string {
    return this.lines().map((l) => l + delimiter).join('');
  }
  lines(): string[] {
    const out: string[] = [];
    for (let r = 0; r < this.height / 4; r++) {
      let line = '';
      for (let c = 0; c < this.cols; c++) {
        const bits = this.cells[r * this.cols + c]!;
        line += bits === 0 ? ' ' : String.fromCharCode(0x2800 + bits);
      }
      out.push(line);
    }
    return out;
  }
}

function finite(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * A line chart of `points` (x by time, y by value) as `height` lines of exactly `width` braille
 * characters, no ANSI codes, no newlines. null/NaN values break the line (a gap); an empty series
 * gives blank lines; a flat series a flat line.
 */
export function renderChart(points: readonly ChartPoint[], opts: ChartOptions): string[] {
  const width = Math.max(0, Math.floor(opts.width || 0));
  const height = Math.max(0, Math.floor(opts.height || 0));
  if (height === 0) return [];
  if (width === 0) return new Array<string>(height).fill('');

  const w = width * 2;
  const h = height * 4;
  const ctx = new Drawille(w, h, BrailleGrid);
  const grid = ctx._canvas as unknown as BrailleGrid;

  const timed = points.filter((p) => finite(p.t));
  const values = timed.map((p) => p.v).filter(finite);
  const baseline = finite(opts.baseline) ? opts.baseline : undefined;
  const thresholds = (opts.thresholds ?? []).filter(finite);
  if (values.length === 0 && baseline === undefined && thresholds.length === 0) return grid.lines();

  // Vertical scale.
  const all = [...values, ...(baseline !== undefined ? [baseline] : []), ...thresholds];
  let lo = finite(opts.min) ? opts.min : Math.min(...all);
  if (!finite(opts.min) && lo > 0) lo = 0;
  let hi = finite(opts.max) ? opts.max : Math.max(...all);
  if (!finite(opts.max) && hi > lo) hi += (hi - lo) * 0.1;
  if (!(hi > lo)) {
    // A flat series (or an explicit empty range): centre it.
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.5;
    if (finite(opts.max) && !finite(opts.min)) lo = hi - 2 * pad;
    else if (finite(opts.min) && !finite(opts.max)) hi = lo + 2 * pad;
    else {
      lo -= pad;
      hi += pad;
    }
    if (!(hi > lo)) hi = lo + 1;
  }
  const yOf = (v: number) => Math.min(h - 1, Math.max(0, Math.round(((hi - v) / (hi - lo)) * (h - 1))));

  // Guides: thresholds dashed (2 on, 2 off), baseline dotted (1 on, 2 off).
  const hline = (v: number, on: number, period: number) => {
    if (v < lo || v > hi) return;
    const y = yOf(v);
    ctx.beginPath();
    for (let x = 0; x < w; x += period) {
      ctx.moveTo(x, y);
      ctx.lineTo(Math.min(w - 1, x + on - 1), y);
    }
    ctx.stroke();
  };
  for (const t of thresholds) hline(t, 2, 4);
  if (baseline !== undefined) hline(baseline, 1, 3);

  // The series.
  if (values.length > 0) {
    let t0 = Infinity;
    let t1 = -Infinity;
    for (const p of timed) {
      if (p.t < t0) t0 = p.t;
      if (p.t > t1) t1 = p.t;
    }
    const xOf = (t: number) => (t1 > t0 ? Math.round(((t - t0) / (t1 - t0)) * (w - 1)) : w - 1);
    const sorted = timed.length > 1 && timed.some((p, i) => i > 0 && p.t < timed[i - 1]!.t) ? [...timed].sort((a, b) => a.t - b.t) : timed;
    ctx.beginPath();
    let drawing = false;
    for (const p of sorted) {
      if (!finite(p.v)) {
        drawing = false;
        continue;
      }
      const x = xOf(p.t);
      const y = yOf(p.v);
      if (!drawing) {
        ctx.moveTo(x, y);
        ctx.lineTo(x, y); // a lone point between gaps still shows as a dot
        drawing = true;
      } else {
        ctx.lineTo(x, y);
      }
    }
    ctx.stroke();
  }
  return grid.lines();
}

const BLOCKS = '▁▂▃▄▅▆▇█';

/**
 * A one-line chart of the last `width` values in block characters, right-aligned (latest at the
 * right). Floats are scaled onto the 8 levels; null/NaN shows as a space; a flat series as a flat
 * row (lowest block for zeros, middle block otherwise).
 */
export function sparkline(values: readonly (number | null | undefined)[], width: number, opts: { min?: number; max?: number } = {}): string {
  const n = Math.max(0, Math.floor(width || 0));
  if (n === 0) return '';
  const tail = values.slice(-n);
  const nums = tail.filter(finite);
  const lo = finite(opts.min) ? opts.min : nums.length ? Math.min(...nums) : 0;
  const hi = finite(opts.max) ? opts.max : nums.length ? Math.max(...nums) : 0;
  let out = ' '.repeat(n - tail.length);
  for (const v of tail) {
    if (!finite(v)) out += ' ';
    else if (!(hi > lo)) out += v === 0 ? BLOCKS[0] : BLOCKS[3];
    else {
      const level = Math.round(((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * (BLOCKS.length - 1));
      out += BLOCKS[level];
    }
  }
  return out;
}

/** Micro-benchmark for `npm run bench`: ms per 80x8 chart of 120 points (with guides). */
export function benchChart(iterations = 500): number {
  const points: ChartPoint[] = [];
  for (let i = 0; i < 120; i++) {
    const v = i % 37 === 5 ? null : 0.02 + 0.01 * Math.sin(i / 7) + 0.003 * Math.cos(i * 1.7);
    points.push({ t: 1_700_000_000_000 + i * 2000, v });
  }
  const opts: ChartOptions = { width: 80, height: 8, baseline: 0.02, thresholds: [0.03, 0.04] };
  for (let i = 0; i < 50; i++) renderChart(points, opts); // warm-up
  const start = performance.now();
  let sink = 0;
  for (let i = 0; i < iterations; i++) sink += renderChart(points, opts).length;
  const ms = (performance.now() - start) / iterations;
  if (sink < 0) throw new Error('unreachable');
  return ms;
}

// Benchmark of the watch engine, for `npm run bench` (a figure, never a timed test). The only
// clock in src/release/watch lives here: the engine itself takes time as input.

import { defaultWatchConfig, replay, type WatchEvent } from './engine.js';

/** A watch of `n` samples one second apart: an error-rate drift into the soft band every 97th
 * interval (answered "continue"), a single health blip every 211th, ending in a pass. */
export function benchEvents(n = 10_000): WatchEvent[] {
  const start = 1_700_000_000_000;
  const interval = 1000;
  const config = defaultWatchConfig({ duration: n * interval, interval });
  const events: WatchEvent[] = [
    { type: 'start', at: start, baseline: { errorRate: { mean: 0.01, count: 30 }, p99: { mean: 0.2, count: 30 } }, config },
  ];
  for (let i = 0; i < n; i++) {
    const at = start + i * interval + 10;
    const drift = i % 97 === 0 ? 1.6 : 1 + (i % 7) / 20;
    events.push({
      type: 'sample',
      at,
      sample: {
        at,
        metrics: { errorRate: 0.01 * drift, p99: 0.2 * (1 + (i % 5) / 20), requestRate: 100 },
        health: { api: i % 211 !== 5, db: true },
      },
    });
    if (i % 97 === 0 || i % 211 === 5) events.push({ type: 'gate-answer', at: at + 1, answer: 'continue', by: 'bench' });
    if (i % 10 === 0) events.push({ type: 'tick', at: at + 500 });
  }
  events.push({ type: 'tick', at: start + n * interval });
  return events;
}

/** Milliseconds to replay a 10 000-sample watch window (median of 5 timed runs after a warm-up). */
export function benchWatch(n = 10_000): number {
  const events = benchEvents(n);
  const runs: number[] = [];
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    const s = replay(events);
    const t = performance.now() - t0;
    if (s.status !== 'passed') throw new Error(`bench watch ended ${s.status}, expected passed`);
    if (i > 0) runs.push(t);
  }
  runs.sort((a, b) => a - b);
  return runs[Math.floor(runs.length / 2)]!;
}

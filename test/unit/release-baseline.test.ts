// Which journaled baseline a release is judged against, and how far apart baseline readings are.
import { describe, expect, it } from 'vitest';
import type { ReleaseEvent } from '../../src/release/events.js';
import { MAX_READING_SPACING_MS, readingSpacing, releaseBaselineEvent } from '../../src/release/runner.js';

let seq = 0;
const ev = (e: Record<string, unknown>): ReleaseEvent => ({ v: 1, seq: ++seq, at: `2026-11-23T14:0${seq % 10}:00.000+00:00`, by: 't@h', ...e }) as ReleaseEvent;
const baseline = (mean: number) => ev({ type: 'baseline', metrics: { errorRate: { mean, samples: 3 } }, source: 'test' });

describe('releaseBaselineEvent', () => {
  it('is the baseline journaled before the deploy, not a later one', () => {
    const pre = baseline(0.01);
    const events = [ev({ type: 'phase', phase: 'strategy' }), ev({ type: 'phase', phase: 'execute' }), pre, ev({ type: 'command', purpose: 'deploy', command: 'x', code: 0, durationMs: 1, tail: [] }), ev({ type: 'phase', phase: 'watch' })];
    expect(releaseBaselineEvent(events)).toBe(pre);
  });

  it('ignores the baseline a mini watch read after a rollback', () => {
    const events = [ev({ type: 'phase', phase: 'execute' }), ev({ type: 'phase', phase: 'rollback' }), baseline(0.3)];
    expect(releaseBaselineEvent(events)).toBeUndefined();
  });

  it('keeps the pre-deploy baseline across a rollback', () => {
    const pre = baseline(0.01);
    expect(releaseBaselineEvent([pre, ev({ type: 'phase', phase: 'rollback' }), baseline(0.3)])).toBe(pre);
  });
});

describe('readingSpacing', () => {
  it('is the watch interval, at most 20 s', () => {
    expect(readingSpacing(3000)).toBe(3000);
    expect(readingSpacing(60_000)).toBe(MAX_READING_SPACING_MS);
    expect(MAX_READING_SPACING_MS).toBe(20_000);
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Poller } from '../../src/live/poller.js';

/** A poller whose polls are recorded; each poll takes `takesMs` and reports `changed()`. */
function setup(opts: { intervalMs?: number; takesMs?: number; backoff?: number; changed?: () => boolean; fail?: () => boolean } = {}) {
  const polls: number[] = [];
  const delays: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const poller = new Poller({
    intervalMs: opts.intervalMs ?? 1000,
    ...(opts.backoff ? { backoff: { maxFactor: opts.backoff } } : {}),
    poll: async (pace) => {
      polls.push(Date.now());
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      if (opts.takesMs) await new Promise((r) => setTimeout(r, opts.takesMs));
      inFlight--;
      if (opts.fail?.()) throw new Error('poll failed');
      delays.push(pace(opts.changed?.() ?? true));
    },
  });
  return { poller, polls, delays, maxInFlight: () => maxInFlight };
}

describe('Poller', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
  });
  afterEach(() => vi.useRealTimers());

  it('polls at start, then an interval after each poll ends; polls never overlap', async () => {
    const t = setup({ intervalMs: 1000, takesMs: 300 });
    t.poller.start();
    t.poller.start(); // idempotent
    await vi.advanceTimersByTimeAsync(3_000);
    expect(t.polls).toEqual([0, 1300, 2600]);
    expect(t.maxInFlight()).toBe(1);
    expect(t.delays).toEqual([1000, 1000, 1000]);
  });

  it('hidden: no timer and no polls; shown again it polls at once when its data is older than the interval', async () => {
    const t = setup({ intervalMs: 1000 });
    t.poller.start();
    await vi.advanceTimersByTimeAsync(10);
    t.poller.setShown(false);
    expect(t.poller.armed).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(t.polls).toEqual([0]);
    t.poller.setShown(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(t.polls).toEqual([0, 5010]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.polls).toEqual([0, 5010, 6010]);
  });

  it('shown again within the interval: waits for the rest of it, not a whole one', async () => {
    const t = setup({ intervalMs: 1000 });
    t.poller.start();
    await vi.advanceTimersByTimeAsync(400);
    t.poller.setShown(false);
    await vi.advanceTimersByTimeAsync(200);
    t.poller.setShown(true);
    await vi.advanceTimersByTimeAsync(399);
    expect(t.polls).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.polls).toEqual([0, 1000]);
  });

  it('hidden before start: nothing is polled until shown', async () => {
    const t = setup({ intervalMs: 1000 });
    t.poller.setShown(false);
    t.poller.start();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(t.polls).toEqual([]);
    t.poller.setShown(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(t.polls).toEqual([3000]);
  });

  it('hidden during a poll: the poll finishes and nothing is armed after it', async () => {
    const t = setup({ intervalMs: 1000, takesMs: 500 });
    t.poller.start();
    await vi.advanceTimersByTimeAsync(100);
    t.poller.setShown(false);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(t.polls).toEqual([0]);
    expect(t.delays).toEqual([1000]);
    expect(t.poller.armed).toBe(false);
  });

  it('backoff: the wait doubles while nothing changes, up to the cap; a change, an error or being shown again resets it', async () => {
    let changed = false;
    let fail = false;
    const t = setup({ intervalMs: 1000, backoff: 4, changed: () => changed, fail: () => fail });
    t.poller.start();
    await vi.advanceTimersByTimeAsync(0);
    // The first poll finds nothing to compare with: it counts as unchanged here, so it backs off.
    await vi.advanceTimersByTimeAsync(2_000 + 4_000 + 4_000);
    expect(t.polls).toEqual([0, 2000, 6000, 10000]);
    expect(t.delays).toEqual([2000, 4000, 4000, 4000]);
    changed = true;
    await vi.advanceTimersByTimeAsync(4_000);
    expect(t.delays.at(-1)).toBe(1000);
    changed = false;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.delays.at(-1)).toBe(2000);
    fail = true;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(t.poller.currentDelayMs).toBe(1000);
    fail = false;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.poller.currentDelayMs).toBe(2000);
    t.poller.setShown(false);
    t.poller.setShown(true);
    expect(t.poller.currentDelayMs).toBe(1000);
  });

  it('without backoff an unchanged poll keeps the interval', async () => {
    const t = setup({ intervalMs: 1000, changed: () => false });
    t.poller.start();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(t.polls).toEqual([0, 1000, 2000, 3000]);
    expect(new Set(t.delays)).toEqual(new Set([1000]));
  });

  it('stop() waits for the poll in flight and nothing is polled after', async () => {
    const t = setup({ intervalMs: 100, takesMs: 300 });
    t.poller.start();
    let stopped = false;
    const p = t.poller.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(299);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await p;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(t.polls).toEqual([0]);
    expect(vi.getTimerCount()).toBe(0);
  });
});

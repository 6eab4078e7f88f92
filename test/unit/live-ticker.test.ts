import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { LiveStore } from '../../src/live/store.js';
import { SecondTicker } from '../../src/live/ticker.js';

const parsed = parseConfigText('project: t\nenvironments:\n  local:\n    target: local\n', 'hubops.yaml');
if (!parsed.ok) throw new Error('fixture config invalid');
const env = parsed.loaded.config.environments.local!;
const ev = (at: number) => ({ type: 'logs-dropped' as const, at, source: 'app', count: 1 });

describe('SecondTicker and the live store', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.UTC(2026, 11, 1, 10, 0, 0, 0));
  });
  afterEach(() => vi.useRealTimers());

  it('ticks just after each whole second; onNext once; nothing armed once everyone left', () => {
    const t = new SecondTicker();
    const seen: string[] = [];
    vi.advanceTimersByTime(300);
    const stop = t.onEvery(() => seen.push(`every@${Date.now() % 10_000}`));
    t.onNext(() => seen.push(`next@${Date.now() % 10_000}`));
    vi.advanceTimersByTime(2_000);
    expect(seen).toEqual(['every@1005', 'next@1005', 'every@2005']);
    stop();
    expect(vi.getTimerCount()).toBe(0);
    const cancel = t.onNext(() => seen.push('never'));
    cancel();
    vi.advanceTimersByTime(2_000);
    expect(seen).not.toContain('never');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a change well before the tick is drawn after frameMs; one just before it waits for the tick, in the clock’s callback', () => {
    const ticker = new SecondTicker();
    const store = new LiveStore(env, 100, ticker, 400);
    const log: string[] = [];
    store.subscribe(() => log.push(`store@${Date.now() % 10_000}`));
    ticker.onEvery(() => log.push(`clock@${Date.now() % 10_000}`));
    // 0.100 s: 905 ms before the tick → drawn 100 ms later.
    vi.advanceTimersByTime(100);
    store.emit(ev(Date.now()));
    vi.advanceTimersByTime(100);
    expect(log).toEqual(['store@200']);
    // 0.700 s: 305 ms before the tick → held for it, drawn with the clock (same callback).
    vi.advanceTimersByTime(500);
    store.emit(ev(Date.now()));
    vi.advanceTimersByTime(200);
    expect(log).toEqual(['store@200']);
    vi.advanceTimersByTime(200);
    expect(log).toEqual(['store@200', 'clock@1005', 'store@1005']);
    // Many changes before a tick: one notification.
    vi.advanceTimersByTime(700);
    for (let i = 0; i < 50; i++) store.emit(ev(Date.now()));
    vi.advanceTimersByTime(400);
    expect(log.filter((l) => l.startsWith('store')).length).toBe(3);
  });

  it('stops its timer when the screen unsubscribes', () => {
    const ticker = new SecondTicker();
    const store = new LiveStore(env, 100, ticker, 400);
    const unsubscribe = store.subscribe(() => {});
    vi.advanceTimersByTime(700);
    store.emit(ev(Date.now()));
    expect(vi.getTimerCount()).toBe(1);
    unsubscribe();
    expect(vi.getTimerCount()).toBe(0);
  });
});

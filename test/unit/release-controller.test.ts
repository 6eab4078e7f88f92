// The console's release controller: questions open and resolve on keys, the hard-breach countdown
// elapses or is stopped, progress and journal events become the panel's state.
import { describe, expect, it } from 'vitest';
import { ReleaseController, type Launch } from '../../screens/release/controller.js';
import type { ReleaseEvent } from '../../src/release/events.js';
import type { GateReport } from '../../src/release/gate/gate.js';
import type { Answerer, ReleaseResult } from '../../src/release/runner.js';

const gate = { version: '1.2.0', blocking: false, checks: [{ name: 'tree', status: 'pass', detail: 'clean', overridable: false }] } as unknown as GateReport;
const ev = (e: Record<string, unknown>): ReleaseEvent => ({ v: 1, seq: 1, at: '2026-11-23T03:00:00.000Z', by: 'me@host', ...e }) as ReleaseEvent;
const result = (verdict: ReleaseResult['verdict']): ReleaseResult => ({ verdict, reason: 'r', report: '/r.md', exitCode: 0 });

/** A launch the test drives by hand: it hands out the answerer and callbacks, and a way to finish. */
function manualLaunch() {
  let run: Parameters<Launch>[0] | undefined;
  let finish!: (r: ReleaseResult) => void;
  const launch: Launch = (r) => {
    run = r;
    return new Promise((res) => (finish = res));
  };
  return { launch, run: () => run!, finish: (r: ReleaseResult) => finish(r) };
}

function fakeTimers() {
  const timers: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  return {
    timers,
    setTimer: (fn: () => void, ms: number) => {
      const t = { fn, ms, cancelled: false };
      timers.push(t);
      return { cancel: () => void (t.cancelled = true) };
    },
  };
}

describe('ReleaseController', () => {
  it('keeps the watch window series and draws them against baseline and limits', async () => {
    const { watchCharts } = await import('../../screens/release/ReleasePanel.js');
    const m = manualLaunch();
    const c = new ReleaseController({ env: 'prod', enabled: true, launch: m.launch, thresholds: { errorRate: { soft: 1.5, hard: 2 } } });
    void c.begin('');
    c.onEvent(ev({ type: 'baseline', metrics: { errorRate: { mean: 0.01, samples: 10 } }, source: 'Prometheus' }));
    for (const [i, v] of [0.01, 0.012, 0.03].entries()) c.onEvent(ev({ type: 'sample', window: 'watch', at: new Date(Date.UTC(2026, 10, 23, 3, 0, i * 5)).toISOString(), metrics: { errorRate: v }, health: {} }));
    const snap = c.getSnapshot();
    expect(snap.series.errorRate).toMatchObject({ baseline: 0.01, points: [{ v: 0.01 }, { v: 0.012 }, { v: 0.03 }] });
    const lines = watchCharts(snap, c.thresholds, 40, 8).map((l) => l.map((p) => p.text).join(''));
    expect(lines[0]).toBe('errorRate 3.00% · baseline 1.00% · soft ≥ 1.50% · hard ≥ 2.00%');
    expect(lines).toHaveLength(4);
    expect(lines.slice(1).every((l) => l.length === 40)).toBe(true);
    expect(lines.slice(1).join('')).toMatch(/[\u2801-\u28ff]/);
    m.finish(result('Released'));
  });

  it('a blocking check can be overridden with a typed reason before proceeding', async () => {
    const m = manualLaunch();
    const c = new ReleaseController({ env: 'staging', enabled: true, launch: m.launch });
    void c.begin('');
    const blocked = {
      version: '1.2.0',
      blocking: true,
      checks: [
        { name: 'blackout', status: 'block', detail: 'Friday after 16:00', overridable: true },
        { name: 'tree', status: 'block', detail: 'src/a.ts modified', overridable: false },
      ],
    } as unknown as GateReport;
    const g = m.run().answerer.preRelease(blocked);
    expect(c.activeKeys().map((k) => k.key)).toEqual(['A', 'B', 'C', 'O']);
    c.key('O');
    // Only the blackout may be overridden: straight to its reason.
    expect(c.getSnapshot().question).toMatchObject({ overriding: { check: 'blackout', reason: '' } });
    c.key('enter');
    expect(c.getSnapshot().question).toMatchObject({ overriding: { check: 'blackout' } });
    for (const ch of 'hotfix') c.key(ch);
    c.key('space');
    for (const ch of 'INC-42') c.key(ch);
    c.key('enter');
    expect(c.activeKeys().map((k) => k.key)).toEqual(['A', 'B', 'C']);
    c.key('A');
    await expect(g).resolves.toEqual({ choice: 'proceed', overrides: [{ check: 'blackout', reason: 'hotfix INC-42' }] });
    m.finish(result('Aborted'));
  });

  it('on production, A asks for the environment name to be typed; a wrong name does nothing', async () => {
    const m = manualLaunch();
    const c = new ReleaseController({ env: 'prod', enabled: true, production: true, launch: m.launch });
    void c.begin('');
    let settled = false;
    const g = m.run().answerer.preRelease(gate).then((a) => ((settled = true), a));
    c.key('A');
    expect(c.getSnapshot().question).toMatchObject({ kind: 'gate', confirming: '' });
    expect(c.activeKeys().map((k) => k.key)).toEqual(['Enter', 'Esc']);
    for (const ch of 'pord') c.key(ch);
    c.key('enter');
    await Promise.resolve();
    expect(settled).toBe(false);
    expect(c.getSnapshot().lines.at(-1)).toBe('not confirmed: "pord" is not prod');
    for (const ch of 'prod') c.key(ch);
    c.key('enter');
    await expect(g).resolves.toEqual({ choice: 'proceed', overrides: [] });
    expect(c.getSnapshot().lines.at(-1)).toBe('gate: A proceed (confirmed by typing prod)');
    m.finish(result('Released'));
  });

  it('opens the gate question and resolves it with A, then a strategy by digit', async () => {
    const m = manualLaunch();
    const c = new ReleaseController({ env: 'prod', enabled: true, launch: m.launch });
    const done = c.begin('');
    expect(m.run().request).toEqual({});
    const answerer: Answerer = m.run().answerer;
    const g = answerer.preRelease(gate);
    expect(c.getSnapshot().question?.kind).toBe('gate');
    expect(c.activeKeys().map((k) => k.key)).toEqual(['A', 'B', 'C']);
    expect(c.takes('x')).toBe(false);
    expect(c.key('x')).toBe(false);
    expect(c.key('A')).toBe(true);
    await expect(g).resolves.toEqual({ choice: 'proceed', overrides: [] });
    expect(c.getSnapshot().question).toBeUndefined();

    const s = answerer.strategy(['all-at-once', 'manual']);
    expect(c.takes('3')).toBe(false);
    c.key('2');
    await expect(s).resolves.toBe('manual');

    const mn = answerer.manual(['deploy by hand']);
    c.key('d');
    await expect(mn).resolves.toBe('done');
    m.finish(result('Released'));
    await expect(done).resolves.toMatchObject({ verdict: 'Released' });
    expect(c.getSnapshot().status).toBe('done');
    expect(c.close()).toBe(true);
    expect(c.getSnapshot().visible).toBe(false);
  });

  it('asks the soft gate: continue, roll back, or extend by typed minutes', async () => {
    const m = manualLaunch();
    const c = new ReleaseController({ env: 'prod', enabled: true, launch: m.launch });
    void c.begin('1.2.0');
    expect(m.run().request).toEqual({ version: '1.2.0' });
    const a = m.run().answerer;
    let p = a.soft(['error rate 1.7x baseline']);
    c.key('c');
    await expect(p).resolves.toEqual({ answer: 'continue' });
    p = a.soft(['x']);
    c.key('e');
    expect(c.getSnapshot().question).toMatchObject({ kind: 'soft', typing: '' });
    c.key('enter'); // nothing typed: stays open
    expect(c.getSnapshot().question?.kind).toBe('soft');
    c.key('1');
    c.key('9');
    c.key('backspace');
    c.key('5');
    c.key('enter');
    await expect(p).resolves.toEqual({ answer: 'extend', minutes: 15 });
    p = a.soft(['x']);
    c.key('r');
    await expect(p).resolves.toEqual({ answer: 'rollback' });
  });

  it('rolls back when the countdown elapses, and a key stops it (then r / c)', async () => {
    const m = manualLaunch();
    const t = fakeTimers();
    let now = 1_000_000;
    const c = new ReleaseController({ env: 'prod', enabled: true, launch: m.launch, now: () => now, setTimer: t.setTimer });
    void c.begin();
    const a = m.run().answerer;
    const first = a.countdown(['p99 3.4x baseline'], 10);
    expect(c.getSnapshot().question).toMatchObject({ kind: 'countdown', deadline: now + 10_000 });
    expect(t.timers[0]!.ms).toBe(10_000);
    now += 10_000;
    t.timers[0]!.fn();
    await expect(first).resolves.toBe('elapsed');

    const second = a.countdown(['p99 3.4x baseline'], 10);
    expect(c.takes('s')).toBe(true);
    c.key('s');
    await expect(second).resolves.toBe('stopped');
    expect(t.timers[1]!.cancelled).toBe(true);
    expect(c.getSnapshot().lines.at(-1)).toMatch(/STOPPED/);
    const after = a.afterStop(['p99 3.4x baseline']);
    c.key('c');
    await expect(after).resolves.toBe('continue');
  });

  it('follows the journal: version, phase, watch window left with extensions, intervals, the take-over notice', async () => {
    const m = manualLaunch();
    const c = new ReleaseController({ env: 'prod', enabled: true, launch: m.launch });
    void c.begin();
    const r = m.run();
    r.onEvent(ev({ type: 'started', id: 'x', version: '1.2.0', env: 'prod', previous: '1.1.0', report: '/r', watch: { durationMs: 30 * 60_000, intervalMs: 60_000 } }));
    r.onEvent(ev({ type: 'phase', phase: 'watch', at: '2026-11-23T03:00:00.000Z' }));
    const t0 = Date.parse('2026-11-23T03:00:00.000Z');
    expect(c.getSnapshot()).toMatchObject({ version: '1.2.0', phase: 'watch' });
    expect(c.watchLeftMs(t0 + 60_000)).toBe(29 * 60_000);
    r.onEvent(ev({ type: 'decision', gate: 'soft', choice: 'extend', reason: '10 min' }));
    expect(c.watchLeftMs(t0 + 60_000)).toBe(39 * 60_000);
    r.out('  interval 1: ok');
    r.out('  interval 2: soft — error rate 1.6x');
    expect(c.getSnapshot().intervals.map((i) => i.level)).toEqual(['ok', 'soft']);
    r.onEvent(ev({ type: 'verdict', verdict: 'Rolled-Back', reason: 'hard breach; then the rollback command failed — system state unknown, escalate to a human' }));
    m.finish(result('Rolled-Back'));
    await new Promise((res) => setTimeout(res, 0));
    expect(c.getSnapshot().unknown).toMatch(/system state unknown/);
    expect(c.close()).toBe(false); // the notice goes first, with Esc
    expect(c.takes('escape')).toBe(true);
    c.key('escape');
    expect(c.getSnapshot().unknown).toBeUndefined();
    expect(c.close()).toBe(true);
  });

  it('does nothing when releases are off, and shows a failed run', async () => {
    const off = new ReleaseController({ env: 'prod', enabled: false, launch: () => Promise.reject(new Error('no')) });
    await expect(off.begin()).resolves.toBeUndefined();
    expect(off.getSnapshot().status).toBe('idle');
    const c = new ReleaseController({ env: 'prod', enabled: true, launch: () => Promise.reject(new Error('the version could not be worked out')) });
    await c.begin();
    expect(c.getSnapshot()).toMatchObject({ status: 'done', error: 'the version could not be worked out' });
  });
});

import { describe, expect, it } from 'vitest';
import {
  baselineFrom,
  baselineFromRange,
  baselineFromValues,
  decisionOf,
  defaultWatchConfig,
  describeRules,
  initialWatchState,
  intervalsOf,
  nextPollAt,
  reduceWatch,
  remainingMs,
  replay,
  resolveSoftNonInteractive,
  rollbackDue,
  robustMean,
  type Baseline,
  type MetricValue,
  type WatchConfig,
  type WatchEvent,
  type WatchState,
} from '../../src/release/watch/engine.js';
import { journalSafe, parseWatchEvent } from '../../src/release/watch/journal.js';
import { benchEvents } from '../../src/release/watch/bench.js';

const T0 = Date.UTC(2026, 10, 3, 3, 0, 0);
const MIN = 60_000;
const BASE: Baseline = { errorRate: { mean: 0.01, count: 30 }, p99: { mean: 0.2, count: 30 } };
const OK = { errorRate: 0.01, p99: 0.2 };

const start = (config: WatchConfig = defaultWatchConfig(), baseline: Baseline = BASE): WatchEvent => ({
  type: 'start',
  at: T0,
  baseline,
  config,
});
/** The sample taken at the start of interval k (plus a little query time). */
const sample = (k: number, metrics: Record<string, MetricValue> = OK, health: Record<string, boolean> = { api: true }, offset = 500): WatchEvent => ({
  type: 'sample',
  at: T0 + k * MIN + offset + 200,
  sample: { at: T0 + k * MIN + offset, metrics, health },
});
const tick = (ms: number): WatchEvent => ({ type: 'tick', at: T0 + ms });
const okRun = (from: number, to: number): WatchEvent[] => Array.from({ length: to - from }, (_, i) => sample(from + i));
const kindOf = (s: WatchState) => {
  const d = decisionOf(s);
  return typeof d === 'string' ? d : d.kind;
};

describe('watch engine: the series from the issue', () => {
  it('a step up in errors is hard: automatic rollback after the 10 s countdown', () => {
    const events = [start(), ...okRun(0, 5), sample(5, { errorRate: 0.03, p99: 0.2 })];
    const s = replay(events);
    const d = decisionOf(s);
    expect(d).toMatchObject({ kind: 'hard', critical: false, rollbackAt: T0 + 5 * MIN + 700 + 10_000 });
    if (typeof d === 'string' || d.kind !== 'hard') throw new Error('expected hard');
    expect(d.reasons[0]).toMatch(/^errorRate 0\.03 = 3× baseline 0\.01, hard at >= 2× — interval 6 \(T\+5m\)$/);
    expect(intervalsOf(s).map((i) => i.level)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'hard']);
    expect(rollbackDue(s, T0 + 5 * MIN + 10_699)).toBe(false);
    expect(rollbackDue(s, T0 + 5 * MIN + 10_700)).toBe(true);
    // Once it is due, a "roll back now" does not rewrite who rolled back.
    const late = reduceWatch(s, { type: 'gate-answer', at: T0 + 5 * MIN + 10_700, answer: 'rollback', by: 'ana' });
    expect(decisionOf(late)).toEqual(decisionOf(s));
    // Once the rollback is due the engine stops scoring; a late stop is refused and recorded.
    const after = reduceWatch(reduceWatch(s, sample(6)), { type: 'countdown-stopped', at: T0 + 7 * MIN, by: 'ana' });
    expect(decisionOf(after)).toEqual(d);
    expect(intervalsOf(after)).toHaveLength(6);
    expect(after.ignored.recent.map((r) => r.why)).toEqual(['the rollback is due: no more scoring', 'too late: the rollback was already due']);
  });

  it('slow latency drift into the soft band opens a gate, not a rollback', () => {
    const drift = [0.2, 0.22, 0.24, 0.26, 0.28, 0.3, 0.32];
    const s = replay([start(), ...drift.map((p99, k) => sample(k, { errorRate: 0.01, p99 }))]);
    // The gate opens on 1.5× exactly (>=) and shows the latest value of the drift.
    expect(s.history.at(-1)).toEqual({ at: T0 + 5 * MIN + 700, kind: 'soft-gate', reasons: ['p99 0.3 = 1.5× baseline 0.2, soft at >= 1.5× — interval 6 (T+5m)'] });
    expect(decisionOf(s)).toEqual({ kind: 'soft-gate', reasons: ['p99 0.32 = 1.6× baseline 0.2, soft at >= 1.5× — interval 7 (T+6m)'] });
    expect(intervalsOf(s).map((i) => i.level)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'soft', 'soft']);
    // The gate holds while the drift goes on; the gate is one, not one per interval.
    expect(s.history.filter((h) => h.kind === 'soft-gate')).toHaveLength(1);
  });

  it('flapping health: single blips are soft, two failures in a row are hard', () => {
    const flaps = [true, false, true, false, true, false, true];
    let s = replay([start(), ...flaps.map((ok, k) => sample(k, OK, { api: ok, db: true }))]);
    expect(kindOf(s)).toBe('soft-gate');
    expect(decisionOf(s)).toMatchObject({ reasons: [expect.stringMatching(/^health api failed once \(a single blip; hard at 2 in a row\) — interval 6/)] });
    expect(intervalsOf(s).map((i) => i.level)).toEqual(['ok', 'soft', 'ok', 'soft', 'ok', 'soft', 'ok']);
    s = reduceWatch(s, sample(7, OK, { api: false, db: true }));
    expect(kindOf(s)).toBe('soft-gate');
    s = reduceWatch(s, sample(8, OK, { api: false, db: true }));
    expect(decisionOf(s)).toMatchObject({ kind: 'hard', reasons: [expect.stringMatching(/^health api failed 2 intervals in a row \(hard at 2\) — interval 9/)] });
  });

  it('a check missing from a sample is unknown: it neither resets nor extends a failure run', () => {
    const s = replay([start(), sample(0, OK, { api: false }), sample(1, OK, {}), sample(2, OK, { api: false })]);
    expect(kindOf(s)).toBe('hard');
  });

  it('silence from the start is hard once the grace period (3 m) is over', () => {
    let s = replay([start(), tick(MIN), tick(2 * MIN), tick(3 * MIN - 1)]);
    expect(decisionOf(s)).toBe('watching');
    expect(intervalsOf(s).map((i) => i.level)).toEqual(['no-data', 'no-data']);
    s = reduceWatch(s, tick(3 * MIN));
    expect(decisionOf(s)).toEqual({
      kind: 'hard',
      critical: false,
      rollbackAt: T0 + 3 * MIN + 10_000,
      reasons: ['no data at all in the first 3m (blind is a failure)'],
    });
  });

  it('empty answers and failed queries are not data either', () => {
    const nulls = replay([start(), sample(0, { errorRate: null, p99: NaN }), sample(1, { errorRate: { error: 'timeout' }, p99: null }), sample(2, {}), tick(3 * MIN)]);
    expect(decisionOf(nulls)).toMatchObject({ kind: 'hard', reasons: ['no data at all in the first 3m (blind is a failure)'] });
    // One value in the first three minutes is enough to see.
    const seen = replay([start(), sample(0, { errorRate: null, p99: null }), sample(2, { errorRate: 0.01, p99: null }), tick(3 * MIN)]);
    expect(decisionOf(seen)).toBe('watching');
  });

  it('silence mid-window: no-data intervals, and hard after 4 in a row (loud, like query errors)', () => {
    let s = replay([start(), ...okRun(0, 5), tick(8 * MIN)]);
    expect(decisionOf(s)).toBe('watching');
    expect(intervalsOf(s).map((i) => `${i.level}/${i.source}`).slice(5)).toEqual(['no-data/gap', 'no-data/gap', 'no-data/gap']);
    s = reduceWatch(s, tick(9 * MIN));
    expect(decisionOf(s)).toMatchObject({
      kind: 'hard',
      reasons: ['errorRate: no data for 4 intervals in a row (limit 4) — interval 9 (T+8m)', 'p99: no data for 4 intervals in a row (limit 4) — interval 9 (T+8m)'],
    });
    // Health results alone do not make a metric seen.
    const healthOnly = replay([start(), ...okRun(0, 5), ...[5, 6, 7, 8].map((k) => sample(k, {}, { api: true }))]);
    expect(kindOf(healthOnly)).toBe('hard');
    // Three silent intervals then data again: recorded, not hard.
    const back = replay([start(), ...okRun(0, 5), tick(8 * MIN), sample(8)]);
    expect(decisionOf(back)).toBe('watching');
  });

  it('a spike then recovery: one soft interval, a gate, and a pass once answered continue', () => {
    const events = [start(), ...okRun(0, 3), sample(3, { errorRate: 0.016, p99: 0.2 }), sample(4)];
    let s = replay(events);
    expect(decisionOf(s)).toMatchObject({ kind: 'soft-gate' });
    s = reduceWatch(s, { type: 'gate-answer', at: T0 + 4 * MIN + 5000, answer: 'continue', by: 'ana' });
    expect(decisionOf(s)).toBe('watching');
    for (let k = 5; k < 30; k++) s = reduceWatch(s, sample(k));
    expect(decisionOf(s)).toBe('watching');
    expect(remainingMs(s, T0 + 29 * MIN)).toBe(MIN);
    s = reduceWatch(s, tick(30 * MIN));
    expect(decisionOf(s)).toEqual({ kind: 'passed' });
    expect(intervalsOf(s).filter((i) => i.level !== 'ok').map((i) => `${i.index}:${i.level}`)).toEqual(['3:soft']);
    expect(s.history.map((h) => `${h.kind}${h.by ? ` by ${h.by}` : ''}`)).toEqual(['started', 'soft-gate', 'answered by ana', 'passed']);
  });

  it('an unanswered gate never passes, even at the end of the window', () => {
    const s = replay([start(), sample(0, { errorRate: 0.016, p99: 0.2 }), ...okRun(1, 30), tick(31 * MIN)]);
    expect(kindOf(s)).toBe('soft-gate');
    const answered = reduceWatch(s, { type: 'gate-answer', at: T0 + 32 * MIN, answer: 'continue', by: 'ana' });
    expect(kindOf(answered)).toBe('passed');
  });

  it('"continue" accepts a drift until it is back to ok; a new drift asks again', () => {
    let s = replay([start(), sample(0, { errorRate: 0.016, p99: 0.2 })]);
    s = reduceWatch(s, { type: 'gate-answer', at: T0 + 10_000, answer: 'continue', by: 'ana' });
    s = reduceWatch(s, sample(1, { errorRate: 0.017, p99: 0.2 }));
    expect(decisionOf(s)).toBe('watching');
    s = reduceWatch(s, sample(2, { errorRate: 0.017, p99: 0.31 }));
    expect(decisionOf(s)).toMatchObject({ kind: 'soft-gate', reasons: [expect.stringMatching(/^p99 /)] });
    s = reduceWatch(s, { type: 'gate-answer', at: T0 + 2 * MIN + 10_000, answer: 'continue', by: 'ana' });
    s = reduceWatch(s, sample(3));
    s = reduceWatch(s, sample(4, { errorRate: 0.016, p99: 0.2 }));
    expect(kindOf(s)).toBe('soft-gate');
    // A hard breach still rolls back while a gate waits.
    s = reduceWatch(s, sample(5, { errorRate: 0.05, p99: 0.2 }));
    expect(kindOf(s)).toBe('hard');
  });

  it('a noisy baseline: the trimmed mean resists one outlier (the plain mean does not)', () => {
    const values = [0.01, 0.011, 0.009, 0.01, 0.5, 0.012, 0.01, 0.009, 0.011, 0.01];
    const pre = values.map((errorRate, i) => ({ at: T0 - (10 - i) * MIN, metrics: { errorRate, p99: i === 3 ? { error: 'timeout' } : 0.2 }, health: {} }));
    const b = baselineFrom(pre);
    expect(b.errorRate!.count).toBe(10);
    expect(b.errorRate!.mean).toBeCloseTo(0.062 / 6, 12);
    expect(values.reduce((a, x) => a + x, 0) / values.length).toBeGreaterThan(0.05);
    expect(b.p99!.count).toBe(9);
    expect(b.p99!.mean).toBeCloseTo(0.2, 12);
    // With that baseline a 3× error rate is still caught.
    expect(kindOf(replay([start(defaultWatchConfig(), b), sample(0, { errorRate: 0.031, p99: 0.2 })]))).toBe('hard');
    expect(robustMean([])).toBeNull();
    expect(robustMean([1, 3])).toEqual({ mean: 2, count: 2 });
    expect(robustMean([1, 2, 100])).toEqual({ mean: 2, count: 3 });
    expect(robustMean([NaN, Infinity, null, 4])).toEqual({ mean: 4, count: 1 });
    expect(baselineFromValues({ p99: [null, null], errorRate: [0, 0, 0] })).toEqual({ errorRate: { mean: 0, count: 3 } });
    const range = baselineFromRange({ p99: [{ points: [{ v: 0.2 }, { v: 0.2 }, { v: 9 }, { v: 0.2 }, { v: 0.2 }] }] });
    expect(range.p99!.count).toBe(5);
    expect(range.p99!.mean).toBeCloseTo(0.2, 12);
  });

  it('query errors: 4 in a row are hard; 3 then a value are not', () => {
    const err = (k: number) => sample(k, { errorRate: { error: 'HTTP 503 from prometheus' }, p99: 0.2 });
    const three = replay([start(), ...[0, 1, 2].map(err), sample(3)]);
    expect(decisionOf(three)).toBe('watching');
    expect(intervalsOf(three).map((i) => i.level)).toEqual(['error', 'error', 'error', 'ok']);
    const four = replay([start(), ...[0, 1, 2, 3].map(err)]);
    expect(decisionOf(four)).toMatchObject({
      kind: 'hard',
      reasons: ['errorRate: query failed 4 intervals in a row (limit 4; last: HTTP 503 from prometheus) — interval 4 (T+3m)'],
    });
    // An empty answer breaks the error run but not the silence run.
    const mixed = replay([start(), err(0), err(1), sample(2, { errorRate: null, p99: 0.2 }), err(3)]);
    expect(mixed.counters.errors.errorRate).toBe(1);
    expect(mixed.counters.silent.errorRate).toBe(4);
    expect(kindOf(mixed)).toBe('hard');
  });

  it('a critical metric rolls back at once, and the countdown cannot be stopped', () => {
    const config = defaultWatchConfig({ metrics: { errorRate: { critical: true }, p99: {} } });
    let s = replay([start(config), sample(0), sample(1, { errorRate: 0.02, p99: 0.2 })]);
    expect(decisionOf(s)).toMatchObject({ kind: 'hard', critical: true, rollbackAt: T0 + MIN + 700 });
    s = reduceWatch(s, { type: 'countdown-stopped', at: T0 + MIN + 700, by: 'ana' });
    expect(decisionOf(s)).toMatchObject({ kind: 'hard', rollbackAt: T0 + MIN + 700 });
    expect(s.ignored.recent.at(-1)?.why).toMatch(/critical/);
    // A non-critical metric keeps its countdown.
    const p99 = replay([start(config), sample(0, { errorRate: 0.01, p99: 0.6 })]);
    expect(decisionOf(p99)).toMatchObject({ kind: 'hard', critical: false, rollbackAt: T0 + 700 + 10_000 });
  });

  it('extend by N minutes moves the end; drift accepted by "extend" is asked about again at the new end', () => {
    let s = replay([start(), ...okRun(0, 29), sample(29, { errorRate: 0.016, p99: 0.2 })]);
    expect(s.endAt).toBe(T0 + 30 * MIN);
    s = reduceWatch(s, { type: 'gate-answer', at: T0 + 29 * MIN + 5000, answer: 'extend', minutes: 10, by: 'ana' });
    expect(s.endAt).toBe(T0 + 40 * MIN);
    expect(s.extensions).toEqual([{ at: T0 + 29 * MIN + 5000, minutes: 10, by: 'ana' }]);
    s = reduceWatch(s, tick(30 * MIN));
    expect(decisionOf(s)).toBe('watching');
    expect(nextPollAt(s)).toBe(T0 + 30 * MIN);
    let ok = s;
    for (let k = 30; k < 40; k++) ok = reduceWatch(ok, sample(k));
    ok = reduceWatch(ok, tick(40 * MIN));
    expect(decisionOf(ok)).toEqual({ kind: 'passed' });
    let drifting = s;
    for (let k = 30; k < 40; k++) drifting = reduceWatch(drifting, sample(k, { errorRate: 0.016, p99: 0.2 }));
    drifting = reduceWatch(drifting, tick(40 * MIN));
    expect(decisionOf(drifting)).toEqual({ kind: 'soft-gate', reasons: ['errorRate still in the soft band at the end of the extension'] });
    // Extending from the end-of-window gate starts the extension at the answer: the wait at the
    // gate is outside the window, not silence.
    let atEnd = replay([start(), ...okRun(0, 29), sample(29, { errorRate: 0.016, p99: 0.2 }), tick(30 * MIN)]);
    expect(kindOf(atEnd)).toBe('soft-gate');
    atEnd = reduceWatch(atEnd, { type: 'gate-answer', at: T0 + 36 * MIN + 20_000, answer: 'extend', minutes: 5, by: 'ana' });
    expect(atEnd.endAt).toBe(T0 + 41 * MIN);
    expect(nextPollAt(atEnd)).toBe(T0 + 36 * MIN);
    for (let k = 37; k < 41; k++) atEnd = reduceWatch(atEnd, sample(k));
    atEnd = reduceWatch(atEnd, tick(41 * MIN));
    // Interval 36 had no sample (the answer came 20 s into it): a no-data interval, then the end passes.
    expect(intervalsOf(atEnd).slice(30).map((i) => `${i.index}:${i.level}`)).toEqual(['36:no-data', '37:ok', '38:ok', '39:ok', '40:ok']);
    expect(decisionOf(atEnd)).toEqual({ kind: 'passed' });
    // Extend needs a positive number of minutes.
    const bad = reduceWatch(s, { type: 'gate-answer', at: T0 + 31 * MIN, answer: 'extend', by: 'ana' });
    expect(bad.endAt).toBe(T0 + 40 * MIN);
    expect(bad.ignored.recent.at(-1)?.why).toBe('extend needs a positive number of minutes');
  });

  it('a stopped countdown is recorded, and nothing rolls back until the gate is answered', () => {
    let s = replay([start(), sample(0), sample(1, { errorRate: 0.01, p99: 0.7 })]);
    const due = T0 + MIN + 700 + 10_000;
    expect(decisionOf(s)).toMatchObject({ kind: 'hard', rollbackAt: due });
    // "continue" cannot talk over a running countdown.
    s = reduceWatch(s, { type: 'gate-answer', at: T0 + MIN + 2000, answer: 'continue', by: 'ana' });
    expect(s.ignored.recent.at(-1)?.why).toBe('a rollback countdown is running: stop it first');
    s = reduceWatch(s, { type: 'countdown-stopped', at: T0 + MIN + 4000, by: 'ana' });
    expect(decisionOf(s)).toEqual({
      kind: 'hard',
      critical: false,
      rollbackAt: null,
      stopped: { at: T0 + MIN + 4000, by: 'ana' },
      reasons: ['p99 0.7 = 3.5× baseline 0.2, hard at >= 3× — interval 2 (T+1m)'],
    });
    expect(s.history.at(-1)).toEqual({ at: T0 + MIN + 4000, kind: 'countdown-stopped', by: 'ana' });
    // Time passes and more hard intervals come: no new countdown; a new kind of breach is added.
    s = reduceWatch(s, sample(2, { errorRate: 0.01, p99: 0.8 }));
    s = reduceWatch(s, sample(3, { errorRate: 0.05, p99: 0.8 }, {}, 0));
    s = reduceWatch(s, tick(3 * MIN + 30_000));
    expect(decisionOf(s)).toMatchObject({
      kind: 'hard',
      rollbackAt: null,
      reasons: [expect.stringMatching(/^p99 0\.7 /), expect.stringMatching(/^errorRate 0\.05 = 5× .* interval 4 \(T\+3m\)$/)],
    });
    const rolled = reduceWatch(s, { type: 'gate-answer', at: T0 + 3 * MIN + 40_000, answer: 'rollback', by: 'ana' });
    expect(decisionOf(rolled)).toEqual({ kind: 'rolled-back-by-user', by: 'ana' });
    const kept = reduceWatch(s, { type: 'gate-answer', at: T0 + 3 * MIN + 40_000, answer: 'continue', by: 'ana' });
    expect(decisionOf(kept)).toBe('watching');
    // Hard is hard: the next hard interval starts a new countdown.
    const again = reduceWatch(kept, sample(4, { errorRate: 0.01, p99: 0.9 }));
    expect(decisionOf(again)).toMatchObject({ kind: 'hard', rollbackAt: T0 + 4 * MIN + 700 + 10_000 });
  });

  it('skip needs a reason, and is refused while a rollback countdown runs', () => {
    const s = replay([start(), ...okRun(0, 3)]);
    const noReason = reduceWatch(s, { type: 'skip', at: T0 + 3 * MIN, reason: '  ', by: 'ana' });
    expect(decisionOf(noReason)).toBe('watching');
    expect(noReason.ignored.recent.at(-1)?.why).toBe('skipping the watch window needs a reason on record');
    const skipped = reduceWatch(s, { type: 'skip', at: T0 + 3 * MIN, reason: 'emergency roll-forward of the payment fix', by: 'ana' });
    expect(decisionOf(skipped)).toEqual({ kind: 'skipped', reason: 'emergency roll-forward of the payment fix', by: 'ana' });
    expect(skipped.history.at(-1)).toMatchObject({ kind: 'skipped', by: 'ana' });
    expect(decisionOf(reduceWatch(skipped, sample(3, { errorRate: 1, p99: 9 })))).toMatchObject({ kind: 'skipped' });
    const hard = reduceWatch(s, sample(3, { errorRate: 1, p99: 0.2 }));
    expect(kindOf(reduceWatch(hard, { type: 'skip', at: T0 + 3 * MIN + 800, reason: 'x', by: 'ana' }))).toBe('hard');
    // Skipping before the watch starts is on record too.
    expect(decisionOf(reduceWatch(initialWatchState(), { type: 'skip', at: T0, reason: 'manual strategy', by: 'ana' }))).toMatchObject({ kind: 'skipped' });
  });
});

describe('watch engine: limits and floors', () => {
  const at = (metrics: Record<string, MetricValue>, baseline: Baseline = BASE) => intervalsOf(replay([start(defaultWatchConfig(), baseline), sample(0, metrics)]))[0]!;

  it('limits trigger at >=: exactly 2.0× is hard, 1.999× is soft', () => {
    expect(at({ errorRate: 0.01 * 2, p99: 0.2 }).level).toBe('hard');
    expect(at({ errorRate: 0.01 * 1.999, p99: 0.2 }).level).toBe('soft');
    expect(at({ errorRate: 0.01 * 1.5, p99: 0.2 }).level).toBe('soft');
    expect(at({ errorRate: 0.01 * 1.499, p99: 0.2 }).level).toBe('ok');
    expect(at({ errorRate: 0.01, p99: 0.2 * 3 }).level).toBe('hard');
    expect(at({ errorRate: 0.01, p99: 0.2 * 2.999 }).level).toBe('soft');
    expect(at({ errorRate: 0.01, p99: Infinity }).level).toBe('hard');
    expect(at({ errorRate: 0.01 * 1.999, p99: 0.2 }).metrics.errorRate!.ratio).toBeCloseTo(1.999, 9);
  });

  it('a zero baseline is floored (errorRate 0.001, p99 5 ms), and a missing baseline is judged on the floor', () => {
    const zero: Baseline = { errorRate: { mean: 0, count: 30 }, p99: { mean: 0.001, count: 30 } };
    expect(at({ errorRate: 0.0019, p99: 0.001 }, zero).level).toBe('soft');
    expect(at({ errorRate: 0.002, p99: 0.001 }, zero).level).toBe('hard');
    expect(at({ errorRate: 0.0014, p99: 0.014 }, zero).level).toBe('soft');
    expect(at({ errorRate: 0, p99: 0.015 }, zero).level).toBe('hard');
    expect(at({ errorRate: 0, p99: 0.0074 }, zero).level).toBe('ok');
    const none = at({ errorRate: 0.0005, p99: 0.02 }, {});
    expect(none.metrics.p99).toMatchObject({ level: 'hard', ratio: 4 });
    expect(none.breaches[0]!.text).toMatch(/no baseline, floor 0\.005/);
    // A configured floor of 0 with a zero baseline: any error is infinitely many times nothing.
    const cfg = defaultWatchConfig({ metrics: { errorRate: { floor: 0 } } });
    const one = (errorRate: number) => intervalsOf(replay([start(cfg, { errorRate: { mean: 0, count: 5 } }), sample(0, { errorRate })]))[0]!;
    expect(one(0.0001).metrics.errorRate).toMatchObject({ level: 'hard', ratio: Infinity });
    expect(one(0).metrics.errorRate).toMatchObject({ level: 'ok', ratio: 1 });
  });

  it('several samples in one interval merge worst-first', () => {
    const s = replay([start(), sample(0, { errorRate: 0.01, p99: 0.2 }, { api: true }, 100), sample(0, { errorRate: 0.016, p99: 0.1 }, { api: false }, 30_000)]);
    const [i0] = intervalsOf(s);
    expect(i0).toMatchObject({ index: 0, samples: 2, level: 'soft' });
    expect(i0!.metrics.errorRate!.value).toBe(0.016);
    expect(i0!.metrics.p99!.value).toBe(0.2);
    expect(i0!.health.api!.ok).toBe(false);
    expect(s.counters.health.api).toBe(1);
  });

  it('a late sample for a closed interval is ignored and said so', () => {
    const s = replay([start(), sample(0), tick(2 * MIN), sample(1, { errorRate: 1, p99: 1 }, {}, 0)]);
    expect(decisionOf(s)).toBe('watching');
    expect(s.ignored.recent.at(-1)?.why).toBe('late: interval 2 is already closed');
  });

  it('a window whose end was not observed asks before it passes', () => {
    const s = replay([start(), ...okRun(0, 28), tick(30 * MIN)]);
    expect(decisionOf(s)).toEqual({ kind: 'soft-gate', reasons: ['errorRate: no data in the last 2 intervals — the end of the window was not observed', 'p99: no data in the last 2 intervals — the end of the window was not observed'] });
    expect(kindOf(reduceWatch(s, { type: 'gate-answer', at: T0 + 31 * MIN, answer: 'continue', by: 'ana' }))).toBe('passed');
  });
});

describe('watch engine: non-interactive, resume, rules, journal', () => {
  it('with no --on-soft answer a soft breach is treated as hard', () => {
    expect(resolveSoftNonInteractive()).toBe('hard');
    expect(resolveSoftNonInteractive('continue')).toBe('continue');
    const soft = (policy: ReturnType<typeof resolveSoftNonInteractive>) =>
      replay([start(defaultWatchConfig({ softPolicy: policy })), sample(0, { errorRate: 0.016, p99: 0.2 }), ...okRun(1, 30), tick(30 * MIN)]);
    expect(decisionOf(soft(resolveSoftNonInteractive()))).toMatchObject({
      kind: 'hard',
      reasons: [expect.stringMatching(/soft at >= 1\.5× — interval 1 \(T\+0s\) \(soft, treated as hard: no --on-soft answer\)$/)],
    });
    const cont = soft('continue');
    expect(decisionOf(cont)).toEqual({ kind: 'passed' });
    expect(cont.history.find((h) => h.kind === 'answered')).toMatchObject({ answer: 'continue', by: '--on-soft continue' });
    expect(decisionOf(soft('rollback'))).toEqual({ kind: 'rolled-back-by-user', by: '--on-soft rollback' });
  });

  it('resume: the time since the last sample counts as no data, never as passing', () => {
    const events = [start(), ...okRun(0, 10)];
    // Back after two missing intervals: recorded as no-data, still watching.
    const short = replay(events, T0 + 12 * MIN + 30_000);
    expect(decisionOf(short)).toBe('watching');
    expect(intervalsOf(short).slice(10).map((i) => `${i.index}:${i.level}:${i.source}`)).toEqual(['10:no-data:gap', '11:no-data:gap']);
    expect(nextPollAt(short)).toBe(T0 + 12 * MIN);
    // Back after the window's end: the gap is silence, hard, not a pass.
    const long = replay(events, T0 + 45 * MIN);
    expect(decisionOf(long)).toMatchObject({ kind: 'hard', rollbackAt: T0 + 45 * MIN + 10_000 });
    expect(decisionOf(long)).toMatchObject({
      reasons: ['errorRate: no data for 4 intervals in a row (limit 4) — interval 14 (T+13m)', 'p99: no data for 4 intervals in a row (limit 4) — interval 14 (T+13m)'],
    });
    expect(intervalsOf(long).slice(10).every((i) => i.level !== 'ok' && i.source === 'gap')).toBe(true);
    // A crash in the first minutes: the grace rule applies to the gap too.
    const early = replay([start()], T0 + 4 * MIN);
    expect(decisionOf(early)).toMatchObject({ kind: 'hard', reasons: ['no data at all in the first 3m (blind is a failure)', expect.stringMatching(/^errorRate: no data for 4/), expect.stringMatching(/^p99: no data for 4/)] });
    // Replaying the same journal gives the same state.
    expect(replay(events, T0 + 12 * MIN)).toEqual(replay(events, T0 + 12 * MIN));
  });

  it('describeRules says >= and the worst-case time to a rollback of each kind', () => {
    const lines = describeRules(defaultWatchConfig(), BASE);
    expect(lines).toContain('Watch 30m: 30 intervals of 1m. Limits trigger at >= (value >= multiple × baseline: reaching a limit exactly is a breach).');
    expect(lines).toContain(
      'errorRate: hard at >= 2× baseline → rollback after 1 interval = 1m at worst, then a 10s countdown a key can stop; soft at >= 1.5× → gate (baseline 0.01 from 30 values: soft >= 0.015, hard >= 0.02).',
    );
    expect(lines).toContain('An erroring query rolls back after 4 intervals = 4m at worst, then a 10s countdown a key can stop (a failed query is an error, never a pass).');
    expect(lines.some((l) => l.startsWith('Health check failing 2 intervals in a row → rollback after 2 intervals = 2m at worst'))).toBe(true);
    expect(lines.some((l) => l.startsWith('No data at all in the first 3m → rollback at 3m'))).toBe(true);
    expect(lines.some((l) => l.startsWith('A metric with no data rolls back after 4 intervals = 4m at worst'))).toBe(true);
    const crit = describeRules(defaultWatchConfig({ metrics: { p99: { critical: true } }, softPolicy: 'hard' }), {});
    expect(crit).toContain('p99 [critical]: hard at >= 3× baseline → rollback after 1 interval = 1m at worst, then at once (critical); soft at >= 1.5× → gate (no baseline: floor 0.005 used: soft >= 0.0075, hard >= 0.015).');
    expect(crit.at(-1)).toBe('Soft breach → treated as hard (non-interactive, no --on-soft answer).');
  });

  it('events survive a JSON journal round trip (+Inf included) and replay to the same state', () => {
    const events: WatchEvent[] = [start(defaultWatchConfig({ metrics: { errorRate: { critical: false }, p99: { floor: 0.01 } } })), ...okRun(0, 3), sample(3, { errorRate: 0.01, p99: Infinity })];
    const lines = events.map((e) => JSON.stringify(journalSafe(e)));
    const back = lines.map((l) => parseWatchEvent(JSON.parse(l)));
    expect(back.every((e) => e !== undefined)).toBe(true);
    const a = replay(events);
    const b = replay(back as WatchEvent[]);
    expect(decisionOf(a)).toMatchObject({ kind: 'hard', reasons: [expect.stringMatching(/^p99 \+Inf = ∞× baseline 0\.2, hard/)] });
    expect(decisionOf(b)).toMatchObject({ kind: 'hard', rollbackAt: (decisionOf(a) as { rollbackAt: number }).rollbackAt });
    expect(intervalsOf(b).map((i) => i.level)).toEqual(intervalsOf(a).map((i) => i.level));
    expect(parseWatchEvent({ type: 'sample', at: 1 })).toBeUndefined();
  });

  it('the bench series replays to a pass (the figure itself lives in npm run bench)', () => {
    const s = replay(benchEvents(2000));
    expect(decisionOf(s)).toEqual({ kind: 'passed' });
    expect(intervalsOf(s)).toHaveLength(2000);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decisionOf,
  defaultWatchConfig,
  initialWatchState,
  reduceWatch,
  replay,
  resolveWatch,
  type Baseline,
  type MetricValue,
  type SoftPolicy,
  type WatchConfig,
  type WatchEvent,
  type WatchState,
} from '../../src/release/watch/engine.js';
import { journalSafe, parseWatchEvent } from '../../src/release/watch/journal.js';

const T0 = Date.UTC(2026, 10, 3, 3, 0, 0);
const kindOf = (s: WatchState): string => {
  const d = decisionOf(s);
  return typeof d === 'string' ? d : d.kind;
};

/** Every decision along the way, one per event. */
function kinds(events: readonly WatchEvent[]): string[] {
  let s = initialWatchState();
  return events.map((e) => kindOf((s = reduceWatch(s, e))));
}

const setupArb = fc.record({
  interval: fc.constantFrom(1000, 15_000, 60_000),
  slots: fc.integer({ min: 3, max: 24 }),
  graceSlots: fc.integer({ min: 0, max: 4 }),
  consecutiveErrors: fc.integer({ min: 1, max: 5 }),
  healthFailures: fc.integer({ min: 1, max: 3 }),
  softPolicy: fc.constantFrom<SoftPolicy>('gate', 'continue', 'hard'),
  critical: fc.boolean(),
  // Zero and missing baselines included: the floors must hold.
  errorBase: fc.option(fc.constantFrom(0, 0.0004, 0.01, 0.05), { nil: undefined }),
  p99Base: fc.option(fc.constantFrom(0, 0.002, 0.2, 1.5), { nil: undefined }),
});
type Setup = typeof setupArb extends fc.Arbitrary<infer T> ? T : never;

function configOf(s: Setup): { config: WatchConfig; baseline: Baseline } {
  const config = defaultWatchConfig({
    duration: s.slots * s.interval,
    interval: s.interval,
    noDataGrace: s.graceSlots * s.interval,
    consecutiveErrors: s.consecutiveErrors,
    hard: { errorRate: 2, p99: 3, healthFailures: s.healthFailures },
    softPolicy: s.softPolicy,
    metrics: { errorRate: { critical: s.critical }, p99: {} },
  });
  const baseline: Baseline = {};
  if (s.errorBase !== undefined) baseline.errorRate = { mean: s.errorBase, count: 20 };
  if (s.p99Base !== undefined) baseline.p99 = { mean: s.p99Base, count: 20 };
  return { config, baseline };
}

/** max(baseline, floor) per metric, as the engine uses it. */
function effective(config: WatchConfig, baseline: Baseline): Record<string, { eff: number; soft: number }> {
  const out: Record<string, { eff: number; soft: number }> = {};
  for (const r of resolveWatch(config).rules) out[r.name] = { eff: Math.max(baseline[r.name]?.mean ?? 0, r.floor), soft: r.soft };
  return out;
}

describe('watch engine properties', () => {
  it('(a) a series always under the soft limits, with data, no errors and healthy, only ever watches or passes', () => {
    const arb = setupArb.chain((setup) =>
      fc.tuple(
        fc.constant(setup),
        fc.array(
          fc.record({
            jitter: fc.double({ min: 0, max: 0.95, noNaN: true }),
            er: fc.double({ min: 0, max: 0.999, noNaN: true }),
            p99: fc.double({ min: 0, max: 0.999, noNaN: true }),
            twice: fc.boolean(),
            tick: fc.boolean(),
          }),
          { minLength: setup.slots, maxLength: setup.slots },
        ),
      ),
    );
    fc.assert(
      fc.property(arb, ([setup, slots]) => {
        const { config, baseline } = configOf(setup);
        const eff = effective(config, baseline);
        const I = setup.interval;
        const events: WatchEvent[] = [{ type: 'start', at: T0, baseline, config }];
        slots.forEach((s, k) => {
          const at = T0 + k * I + Math.floor(s.jitter * I);
          // Strictly below soft x effective baseline (fractions of it, so zero is allowed).
          const metrics = { errorRate: s.er * eff.errorRate!.soft * eff.errorRate!.eff + 0, p99: s.p99 * eff.p99!.soft * eff.p99!.eff + 0, requestRate: 5 };
          events.push({ type: 'sample', at, sample: { at, metrics, health: { api: true, db: true } } });
          if (s.twice) events.push({ type: 'sample', at: at + 1, sample: { at: at + 1, metrics: { errorRate: 0, p99: 0 }, health: { api: true } } });
          if (s.tick) events.push({ type: 'tick', at: at + 2 });
        });
        events.push({ type: 'tick', at: T0 + setup.slots * I });
        const seen = kinds(events);
        expect(seen.every((k) => k === 'watching' || k === 'passed')).toBe(true);
        expect(seen.at(-1)).toBe('passed');
      }),
      { numRuns: 300 },
    );
  });

  // A sample: per metric a value as a multiple of the effective baseline, an empty answer, a failed
  // query, or nothing; per check pass / fail / absent. `worse` is how much to raise each value and
  // whether to fail a passing check in the worse copy of the series.
  const valueArb = fc.oneof(
    { weight: 6, arbitrary: fc.double({ min: 0, max: 4, noNaN: true }).map((r) => ({ r })) },
    { weight: 1, arbitrary: fc.constant({ empty: true as const }) },
    { weight: 1, arbitrary: fc.constant({ error: 'timeout' }) },
    { weight: 1, arbitrary: fc.constant({ missing: true as const }) },
  );
  const checkArb = fc.constantFrom<boolean | undefined>(true, true, true, false, undefined);
  const sampleArb = fc.record({
    er: valueArb,
    p99: valueArb,
    api: checkArb,
    db: checkArb,
    jitter: fc.double({ min: 0, max: 0.95, noNaN: true }),
    worse: fc.record({
      er: fc.double({ min: 0, max: 2, noNaN: true }),
      p99: fc.double({ min: 0, max: 2, noNaN: true }),
      api: fc.boolean(),
      db: fc.boolean(),
    }),
  });
  const slotArb = fc.record({ samples: fc.array(sampleArb, { minLength: 0, maxLength: 2 }), tick: fc.boolean() });
  const seriesArb = setupArb.chain((setup) =>
    fc.tuple(fc.constant(setup), fc.array(slotArb, { minLength: setup.slots, maxLength: setup.slots }), fc.integer({ min: 0, max: 5 })),
  );
  type Slot = typeof slotArb extends fc.Arbitrary<infer T> ? T : never;

  function build(setup: Setup, slots: readonly Slot[], overrun: number, worse: boolean): WatchEvent[] {
    const { config, baseline } = configOf(setup);
    const eff = effective(config, baseline);
    const I = setup.interval;
    const events: WatchEvent[] = [{ type: 'start', at: T0, baseline, config }];
    slots.forEach((slot, k) => {
      slot.samples.forEach((s, j) => {
        const at = T0 + k * I + Math.floor(((s.jitter + j) / 2) * I);
        const metrics: Record<string, MetricValue> = {};
        for (const name of ['er', 'p99'] as const) {
          const v = s[name];
          const key = name === 'er' ? 'errorRate' : 'p99';
          if ('r' in v) metrics[key] = v.r * eff[key]!.eff * (worse ? 1 + s.worse[name] : 1) + 0;
          else if ('empty' in v) metrics[key] = null;
          else if ('error' in v) metrics[key] = { error: v.error };
        }
        const health: Record<string, boolean> = {};
        for (const c of ['api', 'db'] as const) {
          const ok = s[c];
          if (ok !== undefined) health[c] = ok && !(worse && s.worse[c]);
        }
        events.push({ type: 'sample', at, sample: { at, metrics, health } });
      });
      if (slot.tick) events.push({ type: 'tick', at: T0 + (k + 1) * I });
    });
    events.push({ type: 'tick', at: T0 + (setup.slots + overrun) * I });
    return events;
  }

  it('(b) monotonicity: making samples worse never turns a hard decision into a non-hard one', () => {
    fc.assert(
      fc.property(seriesArb, ([setup, slots, overrun]) => {
        const a = kinds(build(setup, slots, overrun, false));
        const b = kinds(build(setup, slots, overrun, true));
        expect(a).toHaveLength(b.length);
        a.forEach((k, i) => {
          if (k === 'hard') expect(b[i]).toBe('hard');
        });
      }),
      { numRuns: 400 },
    );
  });

  it('(b) the generator does reach hard, soft gates and passes (the property is not vacuous)', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(seriesArb, ([setup, slots, overrun]) => {
        seen.add(kinds(build(setup, slots, overrun, false)).at(-1)!);
      }),
      { numRuns: 300 },
    );
    expect([...seen].sort()).toEqual(expect.arrayContaining(['hard', 'passed', 'soft-gate']));
  });

  it('(c) replaying the same events in the same order is deterministic, through a JSON journal too', () => {
    const answerArb = fc.array(
      fc.record({
        after: fc.nat(),
        type: fc.constantFrom('gate-answer', 'countdown-stopped', 'skip'),
        answer: fc.constantFrom('continue', 'rollback', 'extend') as fc.Arbitrary<'continue' | 'rollback' | 'extend'>,
        minutes: fc.integer({ min: 1, max: 15 }),
      }),
      { maxLength: 4 },
    );
    fc.assert(
      fc.property(seriesArb, answerArb, fc.integer({ min: 0, max: 40 }), ([setup, slots, overrun], answers, resumeSlots) => {
        const events = build(setup, slots, overrun, false);
        // Human answers slipped in after random events (1 ms later, so time never goes back).
        for (const a of answers) {
          const i = 1 + (a.after % events.length);
          const at = events[i - 1]!.at + 1;
          const e: WatchEvent =
            a.type === 'gate-answer'
              ? { type: 'gate-answer', at, answer: a.answer, minutes: a.minutes, by: 'ana' }
              : a.type === 'skip'
                ? { type: 'skip', at, reason: 'emergency', by: 'ana' }
                : { type: 'countdown-stopped', at, by: 'ana' };
          events.splice(i, 0, e);
        }
        const now = T0 + resumeSlots * setup.interval;
        const one = replay(events, now);
        const two = replay(events, now);
        expect(two).toEqual(one);
        let stepwise = initialWatchState();
        for (const e of events) stepwise = reduceWatch(stepwise, e);
        stepwise = reduceWatch(stepwise, { type: 'tick', at: now });
        expect(stepwise).toEqual(one);
        const journal = events.map((e) => parseWatchEvent(JSON.parse(JSON.stringify(journalSafe(e))))!);
        expect(replay(journal, now)).toEqual(one);
      }),
      { numRuns: 200 },
    );
  });
});

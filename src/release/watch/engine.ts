// The watch window (release phase 5) as a pure state machine: samples in, decisions out, time
// passed in. No I/O, no clocks: every event carries its own `at` (epoch ms). The release journal
// holds the events; the state is always `replay(events)`, so a restart resumes exactly.
//
// Decisions taken here (also written out by describeRules for the screen and the report):
//
// - Limits trigger at `>=`: a metric breaches when value >= multiple x baseline (DESIGN.md says
//   "≥"); exactly 2.0x the baseline error rate is hard, 1.999x is soft. The comparison allows a
//   relative rounding error of 1e-9 (0.2 x 1.5 is 0.30000000000000004 in floating point).
// - Baseline floor: the baseline used is max(baseline, floor), so a zero or near-zero baseline does
//   not turn every blip into "infinitely many times the baseline". Floors: errorRate 0.001 (0.1 %
//   of requests, so after a clean baseline the error rate must reach 0.2 % to roll back), p99
//   0.005 s (5 ms, below that a latency is noise: hard from 15 ms). Configurable per metric. A
//   metric with no baseline at all is judged against its floor alone: loud rather than blind, and
//   describeRules shows the absolute limits that result.
// - Intervals: the window is cut into slots of `interval` from the start ([start + k·interval,
//   start + (k+1)·interval)); the window is rounded up to a whole number of slots. A sample is
//   scored at once for the slot it was taken in (poll at the start of each slot: nextPollAt). A
//   slot that ends with no sample is a no-data interval, never a pass. Several samples in one slot
//   are merged worst-first (highest value, any failed check, any query error).
// - Per metric per interval: ok / soft / hard / no-data / error; per health check: ok / soft (a
//   single failure) / hard (healthFailures in a row). The worst decides the interval
//   (ok < no-data < error < soft < hard), as in Argo Rollouts.
// - A failing query is an error, not a pass: consecutiveErrors (4) in a row is hard.
// - Silence: no data at all within the first noDataGrace (3 m) is hard (blind is a failure). After
//   that, one metric with no value for `silenceLimit` intervals in a row (default: the same as
//   consecutiveErrors, 4) is hard too: an on-call wants a blind watch to be loud. Shorter silences
//   are recorded as no-data intervals; a window whose last interval(s) had no data cannot pass
//   silently: it ends at a gate ("the end of the window was not observed").
// - Hard: automatic rollback after a countdown (10 s) that a key can stop (recorded); a hard breach
//   on a `critical` metric or check rolls back at once and cannot be stopped. After a stop nothing
//   rolls back until the gate is answered (continue / roll back / extend); a later critical breach
//   still rolls back at once. Once the rollback is due the engine stops scoring.
// - Soft: a gate (continue / roll back now / extend by N minutes). Scoring goes on while the gate
//   waits, and a hard breach during the wait still rolls back. "continue" accepts the drift of
//   those metrics until they are back to ok; "extend" accepts it too but asks again at the new end
//   if the drift is still there. Non-interactive runs set softPolicy (resolveSoftNonInteractive):
//   with no --on-soft answer a soft breach is treated as hard.

import type { WatchConfig as WatchSettings } from '../../config/schema.js';
import { formatDuration } from '../../config/duration.js';
import { ratioTo } from '../../metrics/history.js';

// ---------------------------------------------------------------------------------------------
// Types

export type Level = 'ok' | 'no-data' | 'error' | 'soft' | 'hard';
/** Severity order: the worst level of an interval decides it. */
export const LEVEL_RANK: Readonly<Record<Level, number>> = { ok: 0, 'no-data': 1, error: 2, soft: 3, hard: 4 };

/** What to do with a soft breach: ask at a gate (interactive), or an answer decided up front. */
export type SoftPolicy = 'gate' | 'continue' | 'rollback' | 'hard';

export interface MetricOptions {
  /** A hard breach on this metric rolls back at once: no countdown, cannot be stopped. */
  critical?: boolean;
  /** Lowest baseline used (same unit as the metric). Defaults: errorRate 0.001, p99 0.005 s, others 0. */
  floor?: number;
  /** Multiples of the baseline; default from the schema (errorRate's for metrics other than p99). */
  soft?: number;
  hard?: number;
}

/** The environment's `watch` settings (all durations in ms) plus what the schema does not hold. */
export interface WatchConfig extends WatchSettings {
  /** Metrics scored, by name. Default: errorRate and p99 with the schema's multiples. */
  metrics?: Record<string, MetricOptions>;
  /** Health checks marked critical (a hard breach rolls back at once). */
  checks?: Record<string, { critical?: boolean }>;
  /** Countdown before an automatic rollback, ms. Default 10 000. */
  countdown?: number;
  /** Intervals in a row with no value for one metric before it is hard. Default: consecutiveErrors. */
  silenceLimit?: number;
  /** Default 'gate' (interactive). */
  softPolicy?: SoftPolicy;
}

export const DEFAULT_FLOORS: Readonly<Record<string, number>> = { errorRate: 0.001, p99: 0.005 };
export const DEFAULT_COUNTDOWN_MS = 10_000;
export const DEFAULT_METRICS = ['errorRate', 'p99'] as const;

export interface MetricRule {
  name: string;
  soft: number;
  hard: number;
  floor: number;
  critical: boolean;
}

export interface ResolvedWatch {
  duration: number;
  interval: number;
  noDataGrace: number;
  consecutiveErrors: number;
  silenceLimit: number;
  healthFailures: number;
  countdown: number;
  softPolicy: SoftPolicy;
  rules: MetricRule[];
  criticalChecks: string[];
}

/** Per metric: the (robust) mean of the pre-deploy period and how many values it came from. */
export interface BaselineEntry {
  mean: number;
  count: number;
}
export type Baseline = Record<string, BaselineEntry>;

/** A query that failed is `{error}`; an answer with no data (empty vector, NaN) is null. */
export type MetricValue = number | null | { error: string };

export interface Sample {
  /** When the sample was taken (decides its interval). */
  at: number;
  metrics: Record<string, MetricValue>;
  /** Health check name → passed. A check absent from a sample is unknown (neither pass nor fail). */
  health: Record<string, boolean>;
}

export type GateAnswer = 'continue' | 'rollback' | 'extend';

export type WatchEvent =
  | { type: 'start'; at: number; baseline: Baseline; config: WatchConfig }
  | { type: 'sample'; at: number; sample: Sample }
  | { type: 'tick'; at: number }
  | { type: 'gate-answer'; at: number; answer: GateAnswer; minutes?: number; by: string }
  | { type: 'countdown-stopped'; at: number; by: string }
  | { type: 'skip'; at: number; reason: string; by: string };

export interface Breach {
  /** `metric:<name>`, `check:<name>`, `tail:<name>` or `window`. */
  key: string;
  level: 'soft' | 'hard';
  critical: boolean;
  text: string;
}

export interface MetricScore {
  level: Level;
  /** Highest value seen in the interval. */
  value?: number;
  /** value / max(baseline, floor). */
  ratio?: number;
  error?: string;
  errorsInARow: number;
  silentInARow: number;
}

export interface CheckScore {
  level: Level;
  ok: boolean;
  failuresInARow: number;
}

export interface IntervalScore {
  /** 0-based slot; covers [from, to). */
  index: number;
  from: number;
  to: number;
  source: 'sample' | 'gap';
  samples: number;
  level: Level;
  metrics: Record<string, MetricScore>;
  health: Record<string, CheckScore>;
  breaches: Breach[];
}

export interface Counters {
  /** Per metric: consecutive intervals with a failed query. */
  errors: Record<string, number>;
  /** Per metric: consecutive intervals without a value. */
  silent: Record<string, number>;
  /** Per health check: consecutive failed intervals. */
  health: Record<string, number>;
}

export interface HardState {
  at: number;
  /** The breaches that made it hard, first one per key (later intervals of the same breach are in the intervals). */
  reasons: string[];
  keys: string[];
  critical: boolean;
  /** null once the countdown was stopped. */
  rollbackAt: number | null;
  stopped?: { at: number; by: string };
}

export interface Gate {
  openedAt: number;
  breaches: Breach[];
}

export interface Extension {
  at: number;
  minutes: number;
  by: string;
}

export type HistoryKind =
  | 'started'
  | 'soft-gate'
  | 'hard'
  | 'countdown-stopped'
  | 'answered'
  | 'extended'
  | 'passed'
  | 'rolled-back-by-user'
  | 'skipped';

export interface DecisionRecord {
  at: number;
  kind: HistoryKind;
  by?: string;
  reasons?: string[];
  answer?: GateAnswer;
  minutes?: number;
}

export type WatchStatus = 'idle' | 'watching' | 'soft-gate' | 'hard' | 'passed' | 'rolled-back-by-user' | 'skipped';

/** Persistent list of scored intervals, newest first (O(1) append); read it with intervalsOf. */
export interface IntervalNode {
  readonly score: IntervalScore;
  readonly prev: IntervalNode | null;
}

/** What the samples of one interval said, merged worst-first. */
export interface Observation {
  samples: number;
  metrics: Record<string, { max?: number; error?: string }>;
  health: Record<string, boolean>;
}

export interface WatchState {
  readonly status: WatchStatus;
  readonly startedAt: number | null;
  readonly config: WatchConfig | null;
  readonly resolved: ResolvedWatch | null;
  readonly baseline: Baseline;
  /** End of the window (start + whole intervals, extensions included). */
  readonly endAt: number | null;
  /** Latest time seen. */
  readonly now: number | null;
  /** Intervals closed (time has passed their end). */
  readonly closed: number;
  /** Intervals scored: closed, plus the current one when it already has a sample. */
  readonly intervalsScored: number;
  readonly intervals: IntervalNode | null;
  /** Counters after the last scored interval, and before the open one (to re-score it on a merge). */
  readonly counters: Counters;
  readonly openBefore: Counters | null;
  readonly openObs: Observation | null;
  readonly firstDataAt: number | null;
  readonly graceChecked: boolean;
  readonly gate: Gate | null;
  readonly hard: HardState | null;
  /** Breach keys the user accepted (continue / extend) until they are back to ok. */
  readonly accepted: Readonly<Record<string, 'continue' | 'extend'>>;
  readonly extensions: readonly Extension[];
  readonly history: readonly DecisionRecord[];
  readonly final: { kind: 'passed' | 'rolled-back-by-user' | 'skipped'; at: number; by?: string; reason?: string } | null;
  readonly ignored: { count: number; recent: readonly { at: number; type: WatchEvent['type']; why: string }[] };
}

export type WatchDecision =
  | 'watching'
  | { kind: 'hard'; reasons: string[]; rollbackAt: number | null; critical: boolean; stopped?: { at: number; by: string } }
  | { kind: 'soft-gate'; reasons: string[] }
  | { kind: 'passed' }
  | { kind: 'rolled-back-by-user'; by: string }
  | { kind: 'skipped'; reason: string; by: string };

// ---------------------------------------------------------------------------------------------
// Config, rules, baseline

export function resolveWatch(config: WatchConfig): ResolvedWatch {
  const interval = Math.max(1, Math.floor(config.interval));
  const names = config.metrics ? Object.keys(config.metrics) : [...DEFAULT_METRICS];
  const rules = names.map((name): MetricRule => {
    const o = config.metrics?.[name] ?? {};
    const kind = name === 'p99' ? 'p99' : 'errorRate';
    return {
      name,
      soft: o.soft ?? config.soft[kind],
      hard: o.hard ?? config.hard[kind],
      floor: Math.max(0, o.floor ?? DEFAULT_FLOORS[name] ?? 0),
      critical: o.critical === true,
    };
  });
  return {
    duration: Math.max(0, config.duration),
    interval,
    noDataGrace: Math.max(0, config.noDataGrace),
    consecutiveErrors: Math.max(1, config.consecutiveErrors),
    silenceLimit: Math.max(1, config.silenceLimit ?? config.consecutiveErrors),
    healthFailures: Math.max(1, config.hard.healthFailures),
    countdown: Math.max(0, config.countdown ?? DEFAULT_COUNTDOWN_MS),
    softPolicy: config.softPolicy ?? 'gate',
    rules,
    criticalChecks: Object.entries(config.checks ?? {})
      .filter(([, c]) => c.critical === true)
      .map(([n]) => n),
  };
}

/** A schema `watch` block with every default (handy for tests and callers without a config file). */
export function defaultWatchConfig(over: Partial<WatchConfig> = {}): WatchConfig {
  return {
    duration: 30 * 60_000,
    interval: 60_000,
    noDataGrace: 3 * 60_000,
    consecutiveErrors: 4,
    ...over,
    hard: { errorRate: 2, p99: 3, healthFailures: 2, ...over.hard },
    soft: { errorRate: 1.5, p99: 1.5, ...over.soft },
  };
}

/** Non-interactive runs: `--on-soft continue|rollback` answers soft gates up front; none means hard. */
export function resolveSoftNonInteractive(onSoft?: 'continue' | 'rollback'): SoftPolicy {
  return onSoft ?? 'hard';
}

const TRIM = 0.2;

/**
 * The 20 % trimmed mean: sort, drop the lowest and highest 20 % (at least one each side from 3
 * values up), average the rest. Chosen over the median because it resists a spike (or two in ten)
 * while keeping the level of a bursty metric, where a median picks one value and drops the rest.
 * Non-finite values are skipped; null when nothing is left.
 */
export function robustMean(values: readonly (number | null | undefined)[]): { mean: number; count: number } | null {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const cut = xs.length >= 3 ? Math.max(1, Math.floor(xs.length * TRIM)) : 0;
  const kept = xs.slice(cut, xs.length - cut);
  let sum = 0;
  for (const x of kept) sum += x;
  return { mean: sum / kept.length, count: xs.length };
}

/** Baseline from values per metric: a Prometheus range (its points' values) or pre-deploy readings. */
export function baselineFromValues(values: Record<string, readonly (number | null | undefined)[]>): Baseline {
  const out: Baseline = {};
  for (const [name, vs] of Object.entries(values)) {
    const m = robustMean(vs);
    if (m) out[name] = m;
  }
  return out;
}

/** Baseline from a Prometheus range answer per metric (the points of every series returned). */
export function baselineFromRange(series: Record<string, readonly { points: readonly { v: number }[] }[]>): Baseline {
  const values: Record<string, number[]> = {};
  for (const [name, ss] of Object.entries(series)) values[name] = ss.flatMap((s) => s.points.map((p) => p.v));
  return baselineFromValues(values);
}

/** Baseline from the samples of a pre-deploy period (query errors and empty answers skipped). */
export function baselineFrom(samples: readonly Sample[]): Baseline {
  const values: Record<string, number[]> = {};
  for (const s of samples) {
    for (const [name, v] of Object.entries(s.metrics)) {
      const list = (values[name] ??= []);
      if (typeof v === 'number') list.push(v);
    }
  }
  return baselineFromValues(values);
}

// ---------------------------------------------------------------------------------------------
// Formatting

const num = (v: number): string => (v === Infinity ? '+Inf' : String(Number(v.toPrecision(3))));
const times = (r: number): string => (r === Infinity ? '∞×' : `${Number(r.toPrecision(4))}×`);
const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
const fmtMs = (ms: number): string => (ms <= 0 ? '0s' : formatDuration(ms));

// ---------------------------------------------------------------------------------------------
// State

const EMPTY_COUNTERS: Counters = { errors: {}, silent: {}, health: {} };

export function initialWatchState(): WatchState {
  return {
    status: 'idle',
    startedAt: null,
    config: null,
    resolved: null,
    baseline: {},
    endAt: null,
    now: null,
    closed: 0,
    intervalsScored: 0,
    intervals: null,
    counters: EMPTY_COUNTERS,
    openBefore: null,
    openObs: null,
    firstDataAt: null,
    graceChecked: false,
    gate: null,
    hard: null,
    accepted: {},
    extensions: [],
    history: [],
    final: null,
    ignored: { count: 0, recent: [] },
  };
}

type Draft = { -readonly [K in keyof WatchState]: WatchState[K] };

const RECENT_IGNORED = 20;

function ignore(d: Draft, e: WatchEvent, why: string): void {
  const recent = [...d.ignored.recent, { at: e.at, type: e.type, why }];
  d.ignored = { count: d.ignored.count + 1, recent: recent.length > RECENT_IGNORED ? recent.slice(-RECENT_IGNORED) : recent };
}

function pushHistory(d: Draft, rec: DecisionRecord): void {
  d.history = [...d.history, rec];
}

const isFinal = (d: WatchState): boolean => d.final !== null;

/** Scoring stops once the watch is decided for good or an automatic rollback is due. */
function scoring(d: WatchState, at: number): boolean {
  if (d.status === 'idle' || isFinal(d)) return false;
  if (d.hard && d.hard.rollbackAt !== null && at >= d.hard.rollbackAt) return false;
  return true;
}

function totalSlots(d: WatchState): number {
  const r = d.resolved!;
  return Math.round((d.endAt! - d.startedAt!) / r.interval);
}

function windowEndFor(start: number, r: ResolvedWatch): number {
  return start + Math.ceil(r.duration / r.interval) * r.interval;
}

// ---------------------------------------------------------------------------------------------
// Scoring one interval

function mergeSample(prev: Observation | null, s: Sample, rules: readonly MetricRule[]): Observation {
  const metrics: Observation['metrics'] = {};
  for (const rule of rules) {
    const before = prev?.metrics[rule.name];
    let max = before?.max;
    let error = before?.error;
    const v = s.metrics[rule.name];
    if (typeof v === 'number') {
      // NaN and -Inf are "no data"; +Inf (e.g. a quantile past the top bucket) is a value.
      if (!Number.isNaN(v) && v !== -Infinity) max = max === undefined ? v : Math.max(max, v);
    } else if (v !== null && v !== undefined && typeof v === 'object') {
      error = typeof v.error === 'string' && v.error ? v.error : 'query failed';
    }
    const m: { max?: number; error?: string } = {};
    if (max !== undefined) m.max = max;
    if (error !== undefined) m.error = error;
    metrics[rule.name] = m;
  }
  const health: Record<string, boolean> = { ...prev?.health };
  for (const [name, ok] of Object.entries(s.health)) health[name] = (health[name] ?? true) && ok === true;
  return { samples: (prev?.samples ?? 0) + 1, metrics, health };
}

function hasData(obs: Observation, rules: readonly MetricRule[]): boolean {
  if (rules.length === 0) return Object.keys(obs.health).length > 0;
  return rules.some((r) => obs.metrics[r.name]?.max !== undefined);
}

/** Relative tolerance of the >= comparison: 0.2 × 1.5 is 0.30000000000000004 in floating point,
 * and a p99 of exactly 0.3 must still be a breach of "1.5× of 0.2". */
export const LIMIT_TOLERANCE = 1e-9;

/** value >= multiple × baseline (the rule), with a rounding tolerance; ratio for a zero baseline. */
function reaches(v: number, ratio: number, multiple: number, eff: number): boolean {
  return eff > 0 ? v >= multiple * eff * (1 - LIMIT_TOLERANCE) : ratio >= multiple;
}

const whenText = (index: number, offset: number): string => `interval ${index + 1} (T+${fmtMs(offset)})`;
const baseText = (b: BaselineEntry | undefined, eff: number): string =>
  b ? `baseline ${num(eff)}${eff > b.mean ? ' (floor)' : ''}` : `no baseline, floor ${num(eff)}`;

function scoreInterval(
  r: ResolvedWatch,
  baseline: Baseline,
  start: number,
  index: number,
  obs: Observation | null,
  before: Counters,
): { score: IntervalScore; after: Counters } {
  const from = start + index * r.interval;
  // Texts are built only when there is something to say: most intervals are fine.
  const after: Counters = { errors: {}, silent: {}, health: before.health };
  let healthCopied = false;
  const metrics: Record<string, MetricScore> = {};
  const breaches: Breach[] = [];
  let level: Level = 'ok';

  for (const rule of r.rules) {
    const o = obs?.metrics[rule.name];
    const hasNum = o?.max !== undefined;
    const errors = o?.error !== undefined ? (before.errors[rule.name] ?? 0) + 1 : 0;
    const silent = hasNum ? 0 : (before.silent[rule.name] ?? 0) + 1;
    after.errors[rule.name] = errors;
    after.silent[rule.name] = silent;
    let mLevel: Level = hasNum ? 'ok' : o?.error !== undefined ? 'error' : 'no-data';
    const score: MetricScore = { level: 'ok', errorsInARow: errors, silentInARow: silent };
    if (o?.error !== undefined) score.error = o.error;
    const key = `metric:${rule.name}`;

    if (hasNum) {
      const v = o!.max!;
      const b = baseline[rule.name];
      const eff = Math.max(b && Number.isFinite(b.mean) ? b.mean : 0, rule.floor);
      const ratio = ratioTo(v, eff) ?? (v > 0 ? Infinity : 1);
      score.value = v;
      score.ratio = ratio;
      // >= on value vs multiple x baseline (not on the rounded ratio): 2.0x is hard, 1.999x soft.
      if (reaches(v, ratio, rule.hard, eff)) {
        mLevel = 'hard';
        breaches.push({
          key,
          level: 'hard',
          critical: rule.critical,
          text: `${rule.name} ${num(v)} = ${times(ratio)} ${baseText(b, eff)}, hard at >= ${rule.hard}× — ${whenText(index, from - start)}`,
        });
      } else if (reaches(v, ratio, rule.soft, eff)) {
        mLevel = 'soft';
        breaches.push({
          key,
          level: 'soft',
          critical: false,
          text: `${rule.name} ${num(v)} = ${times(ratio)} ${baseText(b, eff)}, soft at >= ${rule.soft}× — ${whenText(index, from - start)}`,
        });
      }
      if (o?.error !== undefined && LEVEL_RANK[mLevel] < LEVEL_RANK.error) mLevel = 'error';
    }
    if (errors >= r.consecutiveErrors) {
      mLevel = 'hard';
      breaches.push({
        key,
        level: 'hard',
        critical: rule.critical,
        text: `${rule.name}: query failed ${count(errors, 'interval')} in a row (limit ${r.consecutiveErrors}; last: ${o?.error ?? '?'}) — ${whenText(index, from - start)}`,
      });
    } else if (silent >= r.silenceLimit) {
      mLevel = 'hard';
      breaches.push({
        key,
        level: 'hard',
        critical: rule.critical,
        text: `${rule.name}: no data for ${count(silent, 'interval')} in a row (limit ${r.silenceLimit}) — ${whenText(index, from - start)}`,
      });
    }
    score.level = mLevel;
    metrics[rule.name] = score;
    if (LEVEL_RANK[mLevel] > LEVEL_RANK[level]) level = mLevel;
  }

  const health: Record<string, CheckScore> = {};
  const checks = obs?.health ?? {};
  for (const name in checks) {
    const ok = checks[name] === true;
    const failures = ok ? 0 : (before.health[name] ?? 0) + 1;
    if (before.health[name] !== failures) {
      if (!healthCopied) (after.health = { ...before.health }), (healthCopied = true);
      after.health[name] = failures;
    }
    const critical = r.criticalChecks.includes(name);
    let cLevel: Level = 'ok';
    if (!ok && failures >= r.healthFailures) {
      cLevel = 'hard';
      breaches.push({
        key: `check:${name}`,
        level: 'hard',
        critical,
        text: `health ${name} failed ${count(failures, 'interval')} in a row (hard at ${r.healthFailures}) — ${whenText(index, from - start)}`,
      });
    } else if (!ok) {
      cLevel = 'soft';
      breaches.push({
        key: `check:${name}`,
        level: 'soft',
        critical: false,
        text: `health ${name} failed once (a single blip; hard at ${r.healthFailures} in a row) — ${whenText(index, from - start)}`,
      });
    }
    health[name] = { level: cLevel, ok, failuresInARow: failures };
    if (LEVEL_RANK[cLevel] > LEVEL_RANK[level]) level = cLevel;
  }

  return {
    score: {
      index,
      from,
      to: from + r.interval,
      source: obs ? 'sample' : 'gap',
      samples: obs?.samples ?? 0,
      level,
      metrics,
      health,
      breaches,
    },
    after,
  };
}

// ---------------------------------------------------------------------------------------------
// Decisions

function raiseHard(d: Draft, at: number, breaches: readonly Breach[]): void {
  if (isFinal(d) || breaches.length === 0) return;
  const critical = breaches.some((b) => b.critical);
  if (d.status === 'hard' && d.hard) {
    const h = d.hard;
    const fresh = breaches.filter((b) => !h.keys.includes(b.key));
    const reasons = fresh.length ? [...h.reasons, ...fresh.map((b) => b.text)] : h.reasons;
    const keys = fresh.length ? [...h.keys, ...fresh.map((b) => b.key)] : h.keys;
    if (critical && !h.critical) {
      // A critical breach rolls back at once, even after a stopped countdown.
      d.hard = { at: h.at, reasons, keys, critical: true, rollbackAt: at };
      pushHistory(d, { at, kind: 'hard', reasons: breaches.filter((b) => b.critical).map((b) => b.text) });
    } else if (fresh.length) {
      d.hard = { ...h, reasons, keys };
    }
    return;
  }
  const texts = breaches.map((b) => b.text);
  d.status = 'hard';
  d.hard = { at, reasons: texts, keys: breaches.map((b) => b.key), critical, rollbackAt: critical ? at : at + d.resolved!.countdown };
  pushHistory(d, { at, kind: 'hard', reasons: texts });
}

function finish(d: Draft, kind: 'passed' | 'rolled-back-by-user' | 'skipped', at: number, by?: string, reason?: string): void {
  d.status = kind;
  d.final = { kind, at, ...(by !== undefined ? { by } : {}), ...(reason !== undefined ? { reason } : {}) };
  const rec: DecisionRecord = { at, kind };
  if (by !== undefined) rec.by = by;
  if (reason !== undefined) rec.reasons = [reason];
  pushHistory(d, rec);
}

function raiseSoft(d: Draft, at: number, breaches: readonly Breach[]): void {
  if (isFinal(d) || breaches.length === 0) return;
  const policy = d.resolved!.softPolicy;
  if (policy === 'hard') {
    raiseHard(
      d,
      at,
      breaches.map((b) => ({ ...b, level: 'hard', critical: false, text: `${b.text} (soft, treated as hard: no --on-soft answer)` })),
    );
    return;
  }
  if (policy === 'continue') {
    const accepted = { ...d.accepted };
    for (const b of breaches) accepted[b.key] = 'continue';
    d.accepted = accepted;
    pushHistory(d, { at, kind: 'answered', answer: 'continue', by: '--on-soft continue', reasons: breaches.map((b) => b.text) });
    return;
  }
  if (policy === 'rollback') {
    finish(d, 'rolled-back-by-user', at, '--on-soft rollback', breaches.map((b) => b.text).join('; '));
    return;
  }
  const prev = d.gate?.breaches ?? [];
  const merged = [...prev.filter((p) => !breaches.some((b) => b.key === p.key)), ...breaches];
  const opened = d.gate === null;
  d.gate = { openedAt: d.gate?.openedAt ?? at, breaches: merged };
  if (d.status === 'watching') d.status = 'soft-gate';
  if (opened) pushHistory(d, { at, kind: 'soft-gate', reasons: breaches.map((b) => b.text) });
}

function applyScore(d: Draft, at: number, score: IntervalScore): void {
  // Back to ok: an accepted drift is over, the next one asks again.
  let accepted: Record<string, 'continue' | 'extend'> | null = null;
  for (const key in d.accepted) {
    const [kind, name = ''] = splitKey(key);
    const lvl = kind === 'metric' ? score.metrics[name]?.level : kind === 'check' ? score.health[name]?.level : undefined;
    if (lvl === 'ok') {
      accepted ??= { ...d.accepted };
      delete accepted[key];
    }
  }
  if (accepted) d.accepted = accepted;
  if (score.breaches.length === 0) return;
  raiseHard(
    d,
    at,
    score.breaches.filter((b) => b.level === 'hard'),
  );
  raiseSoft(
    d,
    at,
    score.breaches.filter((b) => b.level === 'soft' && !(b.key in d.accepted)),
  );
}

/** `metric:p99` → ['metric', 'p99']. */
function splitKey(key: string): [string, string] {
  const i = key.indexOf(':');
  return i < 0 ? [key, ''] : [key.slice(0, i), key.slice(i + 1)];
}

function pushInterval(d: Draft, score: IntervalScore, replaceHead: boolean): void {
  const prev = replaceHead ? (d.intervals?.prev ?? null) : d.intervals;
  d.intervals = { score, prev };
}

/** The window is over (every interval closed): pass, or ask / roll back if it cannot pass. */
function settleEnd(d: Draft, at: number): void {
  if (isFinal(d) || d.status !== 'watching') return;
  const r = d.resolved!;
  if (d.firstDataAt === null) {
    raiseHard(d, at, [{ key: 'window', level: 'hard', critical: false, text: 'no data at all during the watch window (blind is a failure)' }]);
    return;
  }
  const soft: Breach[] = [];
  for (const rule of r.rules) {
    const n = d.counters.silent[rule.name] ?? 0;
    const key = `tail:${rule.name}`;
    // Only "continue" accepts an unobserved end; after "extend" the new end must be observed.
    if (n > 0 && d.accepted[key] !== 'continue') {
      soft.push({
        key,
        level: 'soft',
        critical: false,
        text: `${rule.name}: no data in the last ${count(n, 'interval')} — the end of the window was not observed`,
      });
    }
  }
  // Drift accepted with "extend" is asked about again if it is still there at the new end.
  const last = d.intervals?.score;
  let accepted: Record<string, 'continue' | 'extend'> | null = null;
  for (const [key, how] of Object.entries(d.accepted)) {
    if (how !== 'extend' || !last) continue;
    const [kind, name = ''] = splitKey(key);
    const lvl = kind === 'metric' ? last.metrics[name]?.level : kind === 'check' ? last.health[name]?.level : undefined;
    if (lvl === 'soft') {
      accepted ??= { ...d.accepted };
      delete accepted[key];
      soft.push({ key, level: 'soft', critical: false, text: `${kind === 'check' ? 'health ' : ''}${name} still in the soft band at the end of the extension` });
    }
  }
  if (accepted) d.accepted = accepted;
  if (soft.length > 0) {
    raiseSoft(d, at, soft);
    if (d.status !== 'watching') return;
  }
  finish(d, 'passed', at);
}

/** Lets time pass: closes the intervals that ended (no sample → no data), checks the grace period and the end. */
function advance(d: Draft, at: number): void {
  if (d.now === null || at > d.now) d.now = at;
  if (!scoring(d, at)) return;
  const r = d.resolved!;
  const start = d.startedAt!;
  const graceAt = start + r.noDataGrace;
  for (;;) {
    if (!scoring(d, at)) return;
    const total = totalSlots(d);
    const closeAt = d.closed < total ? start + (d.closed + 1) * r.interval : Infinity;
    const graceDue = d.graceChecked ? Infinity : graceAt;
    if (Math.min(closeAt, graceDue) > at) break;
    if (closeAt <= graceDue) {
      const open = d.openObs !== null && d.intervalsScored > d.closed;
      if (!open) {
        const { score, after } = scoreInterval(r, d.baseline, start, d.closed, null, d.counters);
        pushInterval(d, score, false);
        d.counters = after;
        d.intervalsScored = d.closed + 1;
        applyScore(d, at, score);
      }
      d.closed += 1;
      d.openObs = null;
      d.openBefore = null;
    } else {
      d.graceChecked = true;
      if (d.firstDataAt === null || d.firstDataAt >= graceAt) {
        raiseHard(d, at, [
          {
            key: 'window',
            level: 'hard',
            critical: false,
            text: `no data at all in the first ${fmtMs(r.noDataGrace)} (blind is a failure)`,
          },
        ]);
      }
    }
  }
  if (d.closed >= totalSlots(d) && at >= d.endAt!) settleEnd(d, at);
}

function onSample(d: Draft, e: Extract<WatchEvent, { type: 'sample' }>): void {
  const s = e.sample;
  if (d.status === 'idle') return ignore(d, e, 'the watch has not started');
  if (isFinal(d)) return ignore(d, e, `the watch is over (${d.status})`);
  const decidedAt = Math.max(e.at, s.at);
  advance(d, s.at);
  if (!scoring(d, decidedAt)) {
    ignore(d, e, isFinal(d) ? `the watch is over (${d.status})` : 'the rollback is due: no more scoring');
    advance(d, e.at);
    return;
  }
  const r = d.resolved!;
  const start = d.startedAt!;
  const k = Math.floor((s.at - start) / r.interval);
  const late = s.at < start ? 'taken before the watch started' : k < d.closed ? `late: interval ${k + 1} is already closed` : k >= totalSlots(d) ? 'after the end of the window' : null;
  if (late !== null) {
    ignore(d, e, late);
    advance(d, e.at);
    return;
  }
  const open = d.openObs !== null && d.intervalsScored > d.closed;
  const before = open ? d.openBefore! : d.counters;
  const obs = mergeSample(open ? d.openObs : null, s, r.rules);
  const { score, after } = scoreInterval(r, d.baseline, start, k, obs, before);
  pushInterval(d, score, open);
  d.openObs = obs;
  d.openBefore = before;
  d.counters = after;
  d.intervalsScored = k + 1;
  if (d.firstDataAt === null && hasData(obs, r.rules)) d.firstDataAt = s.at;
  applyScore(d, decidedAt, score);
  advance(d, e.at);
}

function onAnswer(d: Draft, e: Extract<WatchEvent, { type: 'gate-answer' }>): void {
  if (d.status === 'idle') return ignore(d, e, 'the watch has not started');
  if (isFinal(d)) return ignore(d, e, `the watch is over (${d.status})`);
  advance(d, e.at);
  if (isFinal(d)) return ignore(d, e, `the watch is over (${d.status})`);
  if (e.answer === 'rollback') {
    if (d.status === 'hard' && d.hard?.rollbackAt != null && e.at >= d.hard.rollbackAt) {
      return ignore(d, e, 'the automatic rollback is already due');
    }
    const why = [...(d.hard?.reasons ?? []), ...(d.gate?.breaches.map((b) => b.text) ?? [])].join('; ');
    pushHistory(d, { at: e.at, kind: 'answered', answer: 'rollback', by: e.by });
    finish(d, 'rolled-back-by-user', e.at, e.by, why || 'rolled back by hand');
    return;
  }
  const countdownRunning = d.status === 'hard' && d.hard !== null && d.hard.rollbackAt !== null;
  if (countdownRunning) return ignore(d, e, 'a rollback countdown is running: stop it first');
  let minutes: number | undefined;
  if (e.answer === 'extend') {
    if (typeof e.minutes !== 'number' || !Number.isFinite(e.minutes) || e.minutes <= 0) {
      return ignore(d, e, 'extend needs a positive number of minutes');
    }
    minutes = e.minutes;
  } else if (d.status !== 'soft-gate' && d.status !== 'hard') {
    return ignore(d, e, 'no gate is open');
  }
  const how = e.answer === 'extend' ? 'extend' : 'continue';
  const accepted = { ...d.accepted };
  for (const b of d.gate?.breaches ?? []) accepted[b.key] = how;
  d.accepted = accepted;
  d.gate = null;
  d.hard = null;
  d.status = 'watching';
  const rec: DecisionRecord = { at: e.at, kind: 'answered', answer: e.answer, by: e.by };
  if (minutes !== undefined) rec.minutes = minutes;
  pushHistory(d, rec);
  if (minutes !== undefined) {
    const r = d.resolved!;
    const start = d.startedAt!;
    d.extensions = [...d.extensions, { at: e.at, minutes, by: e.by }];
    let from = d.endAt!;
    if (e.at >= from) {
      // Extended after the end (answering the end-of-window gate): the extension starts now. The
      // time spent at the gate was outside the window, so it is skipped, not scored as silence.
      const k = Math.floor((e.at - start) / r.interval);
      from = start + k * r.interval;
      d.closed = Math.max(d.closed, k);
      d.intervalsScored = Math.max(d.intervalsScored, k);
      d.openObs = null;
      d.openBefore = null;
    }
    d.endAt = from + Math.ceil((minutes * 60_000) / r.interval) * r.interval;
    pushHistory(d, { at: e.at, kind: 'extended', minutes, by: e.by });
  }
  advance(d, e.at);
}

/** A shallow copy with a fixed shape (faster than a spread on this many fields). */
function draftOf(s: WatchState): Draft {
  return {
    status: s.status,
    startedAt: s.startedAt,
    config: s.config,
    resolved: s.resolved,
    baseline: s.baseline,
    endAt: s.endAt,
    now: s.now,
    closed: s.closed,
    intervalsScored: s.intervalsScored,
    intervals: s.intervals,
    counters: s.counters,
    openBefore: s.openBefore,
    openObs: s.openObs,
    firstDataAt: s.firstDataAt,
    graceChecked: s.graceChecked,
    gate: s.gate,
    hard: s.hard,
    accepted: s.accepted,
    extensions: s.extensions,
    history: s.history,
    final: s.final,
    ignored: s.ignored,
  };
}

/** The reducer: one journaled event in, the next state out. Never throws on odd input: it records why it ignored it. */
export function reduceWatch(state: WatchState, event: WatchEvent): WatchState {
  const d = draftOf(state);
  switch (event.type) {
    case 'start': {
      if (d.status !== 'idle') {
        ignore(d, event, 'already started');
        break;
      }
      const resolved = resolveWatch(event.config);
      d.status = 'watching';
      d.startedAt = event.at;
      d.now = event.at;
      d.config = event.config;
      d.resolved = resolved;
      d.baseline = event.baseline;
      d.endAt = windowEndFor(event.at, resolved);
      // A zero grace turns the "no data at the start" rule off (silence is still caught per metric).
      d.graceChecked = resolved.noDataGrace <= 0;
      pushHistory(d, { at: event.at, kind: 'started' });
      break;
    }
    case 'sample':
      onSample(d, event);
      break;
    case 'tick':
      if (d.status !== 'idle') advance(d, event.at);
      break;
    case 'gate-answer':
      onAnswer(d, event);
      break;
    case 'countdown-stopped': {
      if (d.status !== 'idle' && !isFinal(d)) advance(d, event.at);
      const h = d.hard;
      if (isFinal(d) || d.status !== 'hard' || !h) ignore(d, event, 'no rollback countdown is running');
      else if (h.critical) ignore(d, event, 'a critical breach rolls back at once: it cannot be stopped');
      else if (h.rollbackAt === null) ignore(d, event, 'the countdown is already stopped');
      else if (event.at >= h.rollbackAt) ignore(d, event, 'too late: the rollback was already due');
      else {
        d.hard = { ...h, rollbackAt: null, stopped: { at: event.at, by: event.by } };
        pushHistory(d, { at: event.at, kind: 'countdown-stopped', by: event.by });
      }
      break;
    }
    case 'skip': {
      if (d.status !== 'idle' && !isFinal(d)) advance(d, event.at);
      const reason = typeof event.reason === 'string' ? event.reason.trim() : '';
      if (isFinal(d)) ignore(d, event, `the watch is over (${d.status})`);
      else if (!reason) ignore(d, event, 'skipping the watch window needs a reason on record');
      else if (d.status === 'hard' && d.hard?.rollbackAt != null) ignore(d, event, 'a rollback is under way: stop the countdown first');
      else finish(d, 'skipped', event.at, event.by, reason);
      break;
    }
    default:
      break;
  }
  return d;
}

/** Rebuilds the state from the journal. With `now`, the time since the last event is accounted for:
 * intervals without a sample become no-data intervals (never passing), which can trip the
 * no-data-at-start or silence rules. */
export function replay(events: readonly WatchEvent[], now?: number): WatchState {
  let s = initialWatchState();
  for (const e of events) s = reduceWatch(s, e);
  if (now !== undefined && s.status !== 'idle') s = reduceWatch(s, { type: 'tick', at: now });
  return s;
}

export function decisionOf(state: WatchState): WatchDecision {
  switch (state.status) {
    case 'idle':
    case 'watching':
      return 'watching';
    case 'soft-gate':
      return { kind: 'soft-gate', reasons: (state.gate?.breaches ?? []).map((b) => b.text) };
    case 'hard': {
      const h = state.hard!;
      const out: WatchDecision = { kind: 'hard', reasons: [...h.reasons], rollbackAt: h.rollbackAt, critical: h.critical };
      if (h.stopped) out.stopped = h.stopped;
      return out;
    }
    case 'passed':
      return { kind: 'passed' };
    case 'rolled-back-by-user':
      return { kind: 'rolled-back-by-user', by: state.final?.by ?? '' };
    case 'skipped':
      return { kind: 'skipped', reason: state.final?.reason ?? '', by: state.final?.by ?? '' };
  }
}

// ---------------------------------------------------------------------------------------------
// Reading the state

/** Scored intervals, oldest first. */
export function intervalsOf(state: WatchState): IntervalScore[] {
  const out: IntervalScore[] = [];
  for (let n = state.intervals; n; n = n.prev) out.push(n.score);
  return out.reverse();
}

/** When to take the next sample (the start of the next interval without one); null when done. */
export function nextPollAt(state: WatchState): number | null {
  if (state.status === 'idle' || state.final || state.startedAt === null || state.endAt === null || !state.resolved) return null;
  const t = state.startedAt + state.intervalsScored * state.resolved.interval;
  return t < state.endAt ? t : null;
}

/** True when the automatic rollback is due at `now` (a hard decision whose countdown ran out, not stopped). */
export function rollbackDue(state: WatchState, now: number): boolean {
  return state.status === 'hard' && state.hard !== null && state.hard.rollbackAt !== null && now >= state.hard.rollbackAt;
}

/** Time left in the window at `now` (ms, never negative); null before the start. */
export function remainingMs(state: WatchState, now: number): number | null {
  return state.endAt === null ? null : Math.max(0, state.endAt - now);
}

/** The rules in words, for the screen and the report, with the worst-case time to a rollback of each. */
export function describeRules(config: WatchConfig, baseline?: Baseline): string[] {
  const r = resolveWatch(config);
  const I = r.interval;
  const slots = Math.ceil(r.duration / I);
  const after = (critical: boolean) => (critical ? 'then at once (critical)' : `then a ${fmtMs(r.countdown)} countdown a key can stop`);
  const worst = (n: number, critical = false) => `${count(n, 'interval')} = ${fmtMs(n * I)} at worst, ${after(critical)}`;
  const lines = [
    `Watch ${fmtMs(slots * I)}: ${count(slots, 'interval')} of ${fmtMs(I)}. Limits trigger at >= (value >= multiple × baseline: reaching a limit exactly is a breach).`,
    `Baseline used = max(baseline before the deploy, floor), so a zero baseline does not make every blip infinite.`,
  ];
  for (const rule of r.rules) {
    const b = baseline?.[rule.name];
    let abs = '';
    if (baseline) {
      const eff = Math.max(b?.mean ?? 0, rule.floor);
      const src = b ? `baseline ${num(b.mean)} from ${count(b.count, 'value')}${eff > b.mean ? `, floor ${num(rule.floor)} used` : ''}` : `no baseline: floor ${num(rule.floor)} used`;
      abs = ` (${src}: soft >= ${num(rule.soft * eff)}, hard >= ${num(rule.hard * eff)})`;
    } else {
      abs = ` (floor ${num(rule.floor)})`;
    }
    lines.push(
      `${rule.name}${rule.critical ? ' [critical]' : ''}: hard at >= ${rule.hard}× baseline → rollback after ${worst(1, rule.critical)}; soft at >= ${rule.soft}× → gate${abs}.`,
    );
  }
  lines.push(
    `Health check failing ${r.healthFailures} intervals in a row → rollback after ${worst(r.healthFailures)}; a single failure → gate.${
      r.criticalChecks.length ? ` Critical checks (no countdown): ${r.criticalChecks.join(', ')}.` : ''
    }`,
    `No data at all in the first ${fmtMs(r.noDataGrace)} → rollback at ${fmtMs(r.noDataGrace)}, ${after(false)} (blind is a failure).`,
    `An erroring query rolls back after ${worst(r.consecutiveErrors)} (a failed query is an error, never a pass).`,
    `A metric with no data rolls back after ${worst(r.silenceLimit)}; shorter gaps are recorded as no-data intervals and a window whose end had no data asks before passing.`,
  );
  const soft =
    r.softPolicy === 'gate'
      ? 'Soft breach → gate: continue / roll back now / extend by N minutes (a hard breach still rolls back while it waits).'
      : r.softPolicy === 'hard'
        ? 'Soft breach → treated as hard (non-interactive, no --on-soft answer).'
        : `Soft breach → answered up front: --on-soft ${r.softPolicy}.`;
  lines.push(soft);
  return lines;
}

/**
 * A release run from the console: no React here. The controller holds what the release panel
 * draws (progress lines, phase, the watch window's intervals, the verdict) and is the run's
 * `Answerer`: each gate opens a question, and the question is resolved when the user presses one
 * of its keys. The run itself is started through `launch`, so tests drive it without a deploy.
 */
import type { ReleaseEvent, ReleasePhase, Verdict } from '../../src/release/events.js';
import type { CheckName, CheckStatus, GateReport } from '../../src/release/gate/gate.js';
import type { VersionRequest } from '../../src/release/gate/commits.js';
import type { Answerer, ReleaseResult } from '../../src/release/runner.js';

export type ReleaseQuestion =
  /** `confirming`: on a production environment, the environment's name being typed after A. */
  | {
      kind: 'gate';
      checks: { name: string; status: CheckStatus; detail: string; overridable?: boolean }[];
      version?: string;
      blocking: boolean;
      confirming?: string;
      /** Overrides given so far (a blocking check passed on purpose, with the reason). */
      overrides?: { check: CheckName; reason: string }[];
      /** `o` pressed: the check being overridden (once chosen) and the reason being typed. */
      overriding?: { check?: CheckName; reason: string };
    }
  | { kind: 'strategy'; options: readonly string[] }
  | { kind: 'manual'; checklist: readonly string[] }
  /** `typing` holds the minutes being typed after `e`. */
  | { kind: 'soft'; reasons: readonly string[]; typing?: string }
  | { kind: 'countdown'; reasons: readonly string[]; deadline: number }
  | { kind: 'after-stop'; reasons: readonly string[] };

export interface IntervalLine {
  index: number;
  level: string;
  text: string;
}

export interface ReleaseSnapshot {
  /** idle: no release yet; running; done (a verdict, or an error), kept on screen until closed. */
  status: 'idle' | 'running' | 'done';
  /** The panel is drawn (from the start until closed after the end). */
  visible: boolean;
  version?: string;
  env: string;
  phase: ReleasePhase | 'starting';
  lines: string[];
  question?: ReleaseQuestion;
  intervals: IntervalLine[];
  /** Watch window: when it started (ms), how long it lasts with extensions. */
  watch?: { startedAt: number; durationMs: number };
  verdict?: { verdict: Verdict; reason: string };
  error?: string;
  /** The loud "take over by hand" notice, shown until dismissed with Esc. */
  unknown?: string;
  /** The watch window's metrics: the pre-deploy baseline and the samples taken, for the charts. */
  series: Record<string, { baseline: number | null; points: { t: number; v: number | null }[] }>;
}

export type Launch = (run: { answerer: Answerer; out: (line: string) => void; onEvent: (e: ReleaseEvent) => void; request: VersionRequest }) => Promise<ReleaseResult>;

export interface ReleaseControllerOptions {
  env: string;
  launch: Launch;
  /** Releases are possible here (a `release:` section, not --readonly). */
  enabled: boolean;
  /** A production environment: proceeding at the gate asks for its name to be typed. */
  production?: boolean;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => { cancel(): void };
  /** Multiples of the baseline at which a metric is a soft / hard breach (drawn on its chart). */
  thresholds?: Record<string, { soft: number; hard: number }>;
  /** Told when the run ends (for a bottom-bar message). */
  onEnd?: (message: string, error: boolean) => void;
}

const MAX_LINES = 400;

/** The keys each question takes, for the key map, the bottom bar and help. */
/** Blocking checks that may be passed on purpose and are not overridden yet. */
export function pendingOverrides(q: Extract<ReleaseQuestion, { kind: 'gate' }>) {
  return q.checks.filter((c) => c.status === 'block' && c.overridable && !q.overrides?.some((o) => o.check === c.name));
}

export function questionKeys(q: ReleaseQuestion | undefined): { key: string; label: string }[] {
  if (!q) return [];
  switch (q.kind) {
    case 'gate':
      if (q.overriding !== undefined) {
        return q.overriding.check
          ? [
              { key: 'Enter', label: `override ${q.overriding.check}` },
              { key: 'Esc', label: 'back' },
            ]
          : [...pendingOverrides(q).map((c, i) => ({ key: String(i + 1), label: `override ${c.name}` })), { key: 'Esc', label: 'back' }];
      }
      if (q.confirming !== undefined) {
        return [
          { key: 'Enter', label: 'confirm' },
          { key: 'Esc', label: 'back' },
        ];
      }
      return [
        { key: 'A', label: 'proceed' },
        { key: 'B', label: 'abort' },
        { key: 'C', label: 'edit scope' },
        ...(pendingOverrides(q).length > 0 ? [{ key: 'O', label: 'override a blocking check (with a reason)' }] : []),
      ];
    case 'strategy':
      return [...q.options.map((o, i) => ({ key: String(i + 1), label: o })), { key: 'Esc', label: 'abort (no strategy)' }];
    case 'manual':
      return [
        { key: 'd', label: 'done' },
        { key: 'f', label: 'failed' },
      ];
    case 'soft':
      if (q.typing !== undefined) {
        return [
          { key: '0-9', label: 'minutes' },
          { key: 'Enter', label: `extend by ${q.typing || '…'} min` },
          { key: 'Esc', label: 'back' },
        ];
      }
      return [
        { key: 'c', label: 'continue' },
        { key: 'r', label: 'roll back now' },
        { key: 'e', label: 'extend by N minutes' },
      ];
    case 'countdown':
      return [{ key: 's', label: 'stop the rollback' }];
    case 'after-stop':
      return [
        { key: 'r', label: 'roll back now' },
        { key: 'c', label: 'continue watching' },
      ];
  }
}

const realTimer = (fn: () => void, ms: number) => {
  const t = setTimeout(fn, ms);
  return { cancel: () => clearTimeout(t) };
};

export class ReleaseController implements Answerer {
  private snap: ReleaseSnapshot;
  private listeners = new Set<() => void>();
  private resolveQuestion?: (value: unknown) => void;
  private countdownTimer?: { cancel(): void };
  private watchDurationMs?: number;
  private readonly now: () => number;
  private readonly setTimer: NonNullable<ReleaseControllerOptions['setTimer']>;

  constructor(private readonly opts: ReleaseControllerOptions) {
    this.now = opts.now ?? Date.now;
    this.setTimer = opts.setTimer ?? realTimer;
    this.snap = { status: 'idle', visible: false, env: opts.env, phase: 'starting', lines: [], intervals: [], series: {} };
  }

  get enabled(): boolean {
    return this.opts.enabled;
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getSnapshot = (): ReleaseSnapshot => this.snap;

  private set(patch: Partial<ReleaseSnapshot>): void {
    this.snap = { ...this.snap, ...patch };
    for (const l of this.listeners) l();
  }

  /** Starts a release: `version` empty → the suggested bump; `major`/`minor`/`patch` → that bump. */
  begin(version?: string): Promise<ReleaseResult | undefined> {
    if (!this.opts.enabled) return Promise.resolve(undefined);
    if (this.snap.status === 'running') return Promise.resolve(undefined);
    const v = version?.trim() ?? '';
    const request: VersionRequest = v === '' ? {} : ['major', 'minor', 'patch'].includes(v) ? { bump: v as 'major' | 'minor' | 'patch' } : { version: v };
    this.watchDurationMs = undefined;
    this.set({ status: 'running', visible: true, env: this.opts.env, phase: 'gate', lines: [], intervals: [], series: {}, question: undefined, watch: undefined, verdict: undefined, error: undefined, unknown: undefined, version: undefined });
    let run: Promise<ReleaseResult>;
    try {
      run = this.opts.launch({ answerer: this, out: (l) => this.out(l), onEvent: (e) => this.onEvent(e), request });
    } catch (err) {
      run = Promise.reject(err);
    }
    return run.then(
      (r) => {
        this.end();
        this.opts.onEnd?.(`release ${this.snap.version ?? ''}: ${r.verdict}`, r.verdict !== 'Released' && r.verdict !== 'Released-with-override');
        return r;
      },
      (err: unknown) => {
        const message = (err as Error).message ?? String(err);
        this.out(`release failed: ${message}`);
        this.end({ error: message });
        this.opts.onEnd?.(`release failed: ${message}`, true);
        return undefined;
      },
    );
  }

  private end(patch: Partial<ReleaseSnapshot> = {}): void {
    this.countdownTimer?.cancel();
    this.resolveQuestion = undefined;
    this.set({ status: 'done', question: undefined, phase: this.snap.phase === 'starting' ? 'done' : this.snap.phase, ...patch });
  }

  out(line: string): void {
    const m = /^\s*interval (\d+): (\S+)(.*)$/.exec(line);
    const intervals = m ? [...this.snap.intervals.filter((i) => i.index !== Number(m[1])), { index: Number(m[1]), level: m[2]!, text: line.trim() }] : this.snap.intervals;
    const lines = [...this.snap.lines, line];
    this.set({ lines: lines.length > MAX_LINES ? lines.slice(-MAX_LINES) : lines, intervals });
  }

  onEvent(e: ReleaseEvent): void {
    switch (e.type) {
      case 'started':
        this.watchDurationMs = e.watch.durationMs;
        this.set({ version: e.version, env: e.env });
        return;
      case 'phase': {
        const patch: Partial<ReleaseSnapshot> = { phase: e.phase };
        const durationMs = this.watchDurationMs;
        if (e.phase === 'watch' && durationMs !== undefined) patch.watch = { startedAt: Date.parse(e.at), durationMs };
        if (e.phase === 'rollback') patch.intervals = [];
        this.set(patch);
        return;
      }
      case 'baseline':
        this.set({ series: Object.fromEntries(Object.entries(e.metrics).map(([k, b]) => [k, { baseline: b.mean, points: this.snap.series[k]?.points ?? [] }])) });
        return;
      case 'sample': {
        if (e.window !== 'watch') return;
        const t = Date.parse(e.at);
        const series = { ...this.snap.series };
        for (const [k, v] of Object.entries(e.metrics)) {
          const prev = series[k] ?? { baseline: null, points: [] };
          series[k] = { ...prev, points: [...prev.points, { t, v: typeof v === 'number' ? v : null }].slice(-240) };
        }
        this.set({ series });
        return;
      }
      case 'decision': {
        // An extension moves the end of the window.
        const minutes = e.gate === 'soft' && e.choice === 'extend' ? Number.parseInt(e.reason ?? '', 10) : NaN;
        if (this.snap.watch && Number.isFinite(minutes)) this.set({ watch: { ...this.snap.watch, durationMs: this.snap.watch.durationMs + minutes * 60_000 } });
        return;
      }
      case 'verdict': {
        const patch: Partial<ReleaseSnapshot> = { verdict: { verdict: e.verdict, reason: e.reason }, phase: 'done' };
        if (e.verdict === 'Rolled-Back' && /system state unknown/i.test(e.reason)) patch.unknown = e.reason;
        this.set(patch);
        return;
      }
      default:
    }
  }

  /** Watch window time left, when the watch is on. */
  watchLeftMs(now: number): number | undefined {
    const w = this.snap.watch;
    if (!w || this.snap.phase !== 'watch' || this.snap.status !== 'running') return undefined;
    return Math.max(0, w.startedAt + w.durationMs - now);
  }

  // The Answerer: each call opens a question and waits for its key.

  private ask<T>(q: ReleaseQuestion): Promise<T> {
    return new Promise<T>((resolve) => {
      this.resolveQuestion = resolve as (v: unknown) => void;
      this.set({ question: q });
    });
  }

  get thresholds(): Record<string, { soft: number; hard: number }> {
    return this.opts.thresholds ?? {};
  }

  private answer(value: unknown, note?: string): void {
    const r = this.resolveQuestion;
    this.resolveQuestion = undefined;
    this.countdownTimer?.cancel();
    this.countdownTimer = undefined;
    this.set({ question: undefined });
    if (note) this.out(note);
    r?.(value);
  }

  preRelease(report: GateReport) {
    const checks = report.checks.map((c) => ({ name: c.name, status: c.override ? ('warn' as const) : c.status, detail: c.detail, overridable: c.overridable }));
    return this.ask<{ choice: 'proceed' | 'abort' | 'edit'; overrides: { check: CheckName; reason: string }[] }>({ kind: 'gate', checks, version: report.version, blocking: report.blocking });
  }

  strategy(options: readonly string[]) {
    return this.ask<string | undefined>({ kind: 'strategy', options });
  }

  manual(checklist: readonly string[]) {
    return this.ask<'done' | 'failed'>({ kind: 'manual', checklist });
  }

  soft(reasons: readonly string[]) {
    return this.ask<{ answer: 'continue' | 'rollback' | 'extend'; minutes?: number }>({ kind: 'soft', reasons });
  }

  countdown(reasons: readonly string[], seconds: number) {
    const p = this.ask<'stopped' | 'elapsed'>({ kind: 'countdown', reasons, deadline: this.now() + seconds * 1000 });
    this.countdownTimer = this.setTimer(() => {
      if (this.snap.question?.kind === 'countdown') this.answer('elapsed', 'countdown elapsed: rolling back');
    }, seconds * 1000);
    return p;
  }

  afterStop(reasons: readonly string[]) {
    return this.ask<'rollback' | 'continue'>({ kind: 'after-stop', reasons });
  }

  /** The keys that act on the panel now, for the bottom bar and help. */
  activeKeys(): { key: string; label: string }[] {
    if (this.snap.unknown) return [{ key: 'Esc', label: 'dismiss the notice' }];
    return questionKeys(this.snap.question);
  }

  /** Whether the panel takes this key now (a question's key, or Esc on the notice / a finished run). */
  takes(name: string): boolean {
    const q = this.snap.question;
    if (this.snap.unknown) return name === 'escape';
    if (q) {
      if (q.kind === 'soft' && q.typing !== undefined) return /^\d+$/.test(name) || ['enter', 'escape', 'backspace'].includes(name);
      if (q.kind === 'gate' && q.overriding !== undefined) {
        if (!q.overriding.check) return name === 'escape' || (/^\d$/.test(name) && Number(name) >= 1 && Number(name) <= pendingOverrides(q).length);
        return name.length === 1 || ['enter', 'escape', 'backspace', 'space'].includes(name);
      }
      if (q.kind === 'gate' && q.confirming !== undefined) return name.length === 1 || ['enter', 'escape', 'backspace', 'space'].includes(name);
      if (q.kind === 'strategy') return name === 'escape' || (/^\d$/.test(name) && Number(name) >= 1 && Number(name) <= q.options.length);
      const keys = questionKeys(q).map((k) => k.key.toLowerCase());
      return keys.includes(name.toLowerCase());
    }
    return false;
  }

  /** A key for the panel; returns whether it did something. */
  key(name: string): boolean {
    if (!this.takes(name)) return false;
    if (this.snap.unknown) {
      this.set({ unknown: undefined });
      return true;
    }
    const q = this.snap.question!;
    const k = name.toLowerCase();
    switch (q.kind) {
      case 'gate':
        if (q.overriding !== undefined) {
          const o = q.overriding;
          if (name === 'escape') this.set({ question: { ...q, overriding: undefined } });
          else if (!o.check) {
            const c = pendingOverrides(q)[Number(name) - 1]!;
            this.set({ question: { ...q, overriding: { check: c.name as CheckName, reason: '' } } });
          } else if (name === 'backspace') this.set({ question: { ...q, overriding: { ...o, reason: o.reason.slice(0, -1) } } });
          else if (name === 'enter') {
            if (o.reason.trim() === '') return true;
            this.out(`gate: ${o.check} overridden: ${o.reason.trim()}`);
            this.set({ question: { ...q, overriding: undefined, overrides: [...(q.overrides ?? []), { check: o.check, reason: o.reason.trim() }] } });
          } else if (o.reason.length < 200) this.set({ question: { ...q, overriding: { ...o, reason: o.reason + (name === 'space' ? ' ' : name) } } });
          return true;
        }
        if (k === 'o' && pendingOverrides(q).length > 0) {
          const only = pendingOverrides(q).length === 1 ? (pendingOverrides(q)[0]!.name as CheckName) : undefined;
          this.set({ question: { ...q, overriding: { check: only, reason: '' } } });
          return true;
        }
        if (q.confirming !== undefined) {
          if (name === 'escape') this.set({ question: { ...q, confirming: undefined } });
          else if (name === 'backspace') this.set({ question: { ...q, confirming: q.confirming.slice(0, -1) } });
          else if (name === 'enter') {
            if (q.confirming.trim() === this.opts.env) this.answer({ choice: 'proceed', overrides: q.overrides ?? [] }, `gate: A proceed (confirmed by typing ${this.opts.env})`);
            else {
              this.out(`not confirmed: "${q.confirming}" is not ${this.opts.env}`);
              this.set({ question: { ...q, confirming: '' } });
            }
          } else if (name !== 'space' && q.confirming.length < 64) this.set({ question: { ...q, confirming: q.confirming + name } });
          return true;
        }
        // Production changes are confirmed by typing the environment's name, never by one key.
        if (k === 'a' && this.opts.production) {
          this.set({ question: { ...q, confirming: '' } });
          return true;
        }
        if (k === 'a') this.answer({ choice: 'proceed', overrides: q.overrides ?? [] }, 'gate: A proceed');
        if (k === 'b') this.answer({ choice: 'abort', overrides: [] }, 'gate: B abort');
        if (k === 'c') this.answer({ choice: 'edit', overrides: [] }, 'gate: C edit scope');
        return true;
      case 'strategy':
        if (name === 'escape') this.answer(undefined, 'strategy: none chosen');
        else {
          const s = q.options[Number(name) - 1]!;
          this.answer(s, `strategy: ${s}`);
        }
        return true;
      case 'manual':
        this.answer(k === 'd' ? 'done' : 'failed', `manual deploy: ${k === 'd' ? 'done' : 'failed'}`);
        return true;
      case 'soft':
        if (q.typing === undefined) {
          if (k === 'c') this.answer({ answer: 'continue' }, 'soft gate: continue');
          else if (k === 'r') this.answer({ answer: 'rollback' }, 'soft gate: roll back now');
          else if (k === 'e') this.set({ question: { ...q, typing: '' } });
          return true;
        }
        if (name === 'escape') this.set({ question: { kind: 'soft', reasons: q.reasons } });
        else if (name === 'backspace') this.set({ question: { ...q, typing: q.typing.slice(0, -1) } });
        else if (name === 'enter') {
          const minutes = Number.parseInt(q.typing, 10);
          if (Number.isFinite(minutes) && minutes > 0) this.answer({ answer: 'extend', minutes }, `soft gate: extend by ${minutes} min`);
        } else if (q.typing.length < 4) this.set({ question: { ...q, typing: q.typing + name } });
        return true;
      case 'countdown':
        this.answer('stopped', 'automatic rollback STOPPED by hand');
        return true;
      case 'after-stop':
        this.answer(k === 'r' ? 'rollback' : 'continue', `after the stop: ${k === 'r' ? 'roll back now' : 'continue watching'}`);
        return true;
    }
  }

  /** Esc on a finished run's panel closes it. */
  close(): boolean {
    if (this.snap.status !== 'done' || !this.snap.visible || this.snap.unknown) return false;
    this.set({ visible: false });
    return true;
  }

  /** Stops the countdown timer (leaving the console). */
  dispose(): void {
    this.countdownTimer?.cancel();
  }
}

/**
 * The incident side of the console: holds the incident session (declared here, resumed, or
 * watched read-only), the incident UI state, runbook runs in progress, and does the I/O the keys
 * ask for. Every change goes through `IncidentSession.record` (fsynced) before the screen shows it
 * as done. No React here: the screen subscribes to snapshots.
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { displayPath } from '../../src/config/load.js';
import type { Environment } from '../../src/config/schema.js';
import { confirmAccepted } from '../../src/containers/actions.js';
import { formatClock, incidentClock, type IncidentClock } from '../../src/incident/clock.js';
import { EDITABLE_FIELDS, renderUpdate, resolvedFields, updateFields, webhookHost, type CommsKind, type WebhookResult } from '../../src/incident/comms.js';
import { incidentEventSchema, PHASES, type NewIncidentEvent, type Phase, type Role, type Sev } from '../../src/incident/events.js';
import { humanDuration } from '../../src/incident/postmortem.js';
import { IncidentSession, incidentsDir, listIncidents, whoAmI } from '../../src/incident/session.js';
import { replayIncident, type IncidentState, type StepStarted } from '../../src/incident/state.js';
import { cutOffRanEvent, planStepRun, stepRanEvent, stepStartedEvent, targetLabel, type StepRunPlan } from '../../src/incident/step-run.js';
import type { VerifyResult } from '../../src/incident/verify.js';
import { readJournal, type LockInfo } from '../../src/journal/journal.js';
import type { LoadedRunbook } from '../../src/runbooks/load.js';
import { rankRunbooks, type RankedRunbook } from '../../src/runbooks/suggest.js';
import type { Step } from '../../src/runbooks/types.js';
import { stopLeftover } from '../../src/targets/leftover.js';
import { newRunMark } from '../../src/targets/stop-marked.js';
import type { Target } from '../../src/targets/target.js';
import type { IncidentKeyState, IncidentOp } from './keys.js';

export type { IncidentOp } from './keys.js';
import {
  confirmQuitForm,
  cutOffForm,
  confirmRunForm,
  declareForm,
  editMessageForm,
  fieldValue,
  formKey,
  handOverForm,
  initialIncidentUi,
  noteForm,
  overrideForm,
  phaseForm,
  severityForm,
  skipForm,
  uiReducer,
  type Form,
  type IncidentUi,
  type Panel,
  type UiAction,
} from './ui-state.js';

/** What the incident UI needs of the world; console.tsx wires the real ones, tests their own. */
export interface IncidentDeps {
  journalDir: string;
  reportsDir: string;
  /** Paths in messages are shown relative to this folder (the config's). */
  configDir?: string;
  templateDirs?: string[];
  /** Instead of the shipped templates (tests). */
  defaultTemplateDir?: string;
  envName: string;
  environments: Record<string, Pick<Environment, 'target'> & { production?: boolean }>;
  isProduction: (name: string, env: { production?: boolean }) => boolean;
  /** --readonly: nothing is recorded, nothing is run. */
  readonly: boolean;
  me?: string;
  now?: () => number;
  responseMs?: Partial<Record<Sev, number>>;
  updateEveryMs?: number;
  descriptions: Record<Sev, string>;
  channel?: string;
  webhook?: string;
  /** Values for the `HUBOPS_*` variables runbook commands use (this process's environment). */
  vars?: Record<string, string | undefined>;
  loadRunbooks: () => Promise<LoadedRunbook[]>;
  /** The target of an environment (the console's own one is shared with the live panes). */
  target: (envName: string) => Target;
  verify: () => Promise<VerifyResult>;
  /** Puts the text on the user's clipboard (OSC 52 to the terminal). */
  copy: (text: string) => { ok: true } | { ok: false; error: string };
  postWebhook: (url: string, text: string) => Promise<WebhookResult>;
  writePostmortem: (state: IncidentState) => Promise<{ path: string; warnings: string[] }>;
}

export interface RunningStep {
  runbook: string;
  step: string;
  target: string;
  lines: string[];
  startedAt: number;
}

export interface IncidentSnapshot {
  state?: IncidentState;
  /** Where the journal is. */
  file?: string;
  /** Nothing can be recorded from this console (--readonly, or another hubops holds the incident). */
  readonly: boolean;
  /** The banner to show when watching: `read-only: watching ana@box's session (pid 123)`. */
  banner?: string;
  /** Watching an open incident that nobody leads any more (its writer's console stopped or quit): L takes the lead. */
  leaderless?: boolean;
  ui: IncidentUi;
  runbooks?: LoadedRunbook[];
  runbookError?: string;
  running?: RunningStep;
  /** Output of the last run in this console, per `runbook/step` (the journal keeps the last lines). */
  output: Record<string, string[]>;
}

type Say = (text: string, error?: boolean) => void;

const OUTPUT_LINES = 500;
const NAMED = new Set(['up', 'down', 'left', 'right', 'pageup', 'pagedown', 'tab', 'shift-tab', 'enter', 'escape', 'backspace', 'space']);

/** A response target for the form: `15m`, `4h`, `24h`, `1h30m`. */
export function shortDuration(ms: number): string {
  const m = Math.round(ms / 60_000);
  if (m < 60) return `${m}m`;
  return m % 60 === 0 ? `${m / 60}h` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** The key map's view of a snapshot. */
export function incidentKeyState(s: IncidentSnapshot): IncidentKeyState {
  const p = s.ui.panel;
  return {
    status: s.state ? s.state.status : 'none',
    writable: !s.readonly,
    panel: p.kind,
    form: Boolean(s.ui.form),
    composeReady: p.kind === 'compose' && p.text !== undefined && !p.sending && !p.sent,
    gateRed: p.kind === 'gate' && p.status === 'red',
    stepRunning: s.running !== undefined,
    leaderless: s.readonly && s.leaderless === true && s.state?.status === 'open',
  };
}

export class IncidentController {
  private session: IncidentSession | undefined;
  private unsubscribeSession: (() => void) | undefined;
  private snap: IncidentSnapshot;
  private listeners = new Set<() => void>();
  private say: Say = () => {};
  private leave: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private abort: AbortController | undefined;
  /** X was pressed while the step ran: its result says who stopped it. */
  private stopRequested = false;
  /** Marks of the steps this console started or has settled: a step-started of ours is never taken as cut off. */
  private readonly handledMarks = new Set<string>();
  /** Recording (and maybe stopping) a step the last console died under: no step runs meanwhile. */
  private settling: Promise<void> | undefined;
  private runPromise: Promise<void> | undefined;
  private flaggedOverdueMinute = -1;
  private flaggedResponse = false;
  /** Incident journals already looked at for one declared elsewhere (see followNewIncident). */
  private readonly incidentFilesSeen = new Set<string>();
  /** The incident shown was declared in another terminal and is followed read-only. */
  private following = false;
  private runbookLoad: Promise<void> | undefined;
  readonly me: string;
  readonly now: () => number;

  constructor(
    readonly deps: IncidentDeps,
    opts: { session?: IncidentSession } = {},
  ) {
    this.me = deps.me ?? whoAmI();
    this.now = deps.now ?? Date.now;
    this.snap = { readonly: deps.readonly, ui: initialIncidentUi, output: {} };
    if (opts.session) this.attach(opts.session);
  }

  /**
   * What of the open incident's journal this version could not read (lines a newer hubops wrote,
   * or damaged ones), in one line for the bottom bar; undefined when it read every line. Those
   * lines stay in the file as they are.
   */
  unreadJournalLines(): string | undefined {
    const problems = this.session?.problems ?? [];
    if (problems.length === 0) return undefined;
    const first = problems[0]!;
    return `${problems.length} line${problems.length === 1 ? '' : 's'} of its journal not understood, kept as they are (a newer hubops? line ${first.line}: ${first.message})`;
  }

  /** Resumes the most recent open incident of the journal folder, if there is one. */
  resumeOpen(): IncidentState | undefined {
    if (this.session) return this.session.state;
    const all = listIncidents(this.deps.journalDir);
    // Read once here: following incidents declared elsewhere need not read these again.
    for (const i of all) this.incidentFilesSeen.add(basename(i.file));
    const open = all.find((i) => i.state.status === 'open');
    if (!open) return undefined;
    const session = IncidentSession.open(open.file, { me: this.me, now: this.now, readonly: this.deps.readonly });
    this.attach(session);
    return session.state;
  }

  private attach(session: IncidentSession): void {
    this.unsubscribeSession?.();
    this.session = session;
    this.unsubscribeSession = session.subscribe(() => this.set({ state: session.state }));
    this.flaggedOverdueMinute = -1;
    this.flaggedResponse = false;
    this.set({ state: session.state, file: session.file, readonly: this.deps.readonly || session.readonly, banner: this.bannerFor(session.heldBy), leaderless: undefined });
  }

  private bannerFor(heldBy: LockInfo | undefined): string | undefined {
    if (this.deps.readonly) return 'read-only (--readonly): watching this incident, nothing is recorded';
    if (heldBy) return `read-only: watching ${heldBy.user}@${heldBy.host}'s session (pid ${heldBy.pid})`;
    return this.snap.readonly ? 'read-only: watching this incident' : undefined;
  }

  // React's useSyncExternalStore wants these two as stable functions.
  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getSnapshot = (): IncidentSnapshot => this.snap;

  private set(patch: Partial<IncidentSnapshot>): void {
    this.snap = { ...this.snap, ...patch };
    for (const l of this.listeners) l();
  }

  private ui(a: UiAction): void {
    this.set({ ui: uiReducer(this.snap.ui, a) });
  }

  /** Where the bottom-bar messages go, and how a confirmed quit leaves. */
  connect(opts: { say: Say; leave: () => void }): void {
    this.say = opts.say;
    this.leave = opts.leave;
  }

  /** Starts the reminder clock (the overdue flag comes back every minute while overdue). */
  start(): void {
    this.timer ??= setInterval(() => this.tick(), 1000);
    this.timer.unref?.();
  }

  clock(now = this.now()): IncidentClock | undefined {
    const s = this.snap.state;
    return s ? incidentClock(s, now, { responseMs: this.deps.responseMs, updateEveryMs: this.deps.updateEveryMs }) : undefined;
  }

  /** The reminders: response target missed (once), status update overdue (every minute while it is). */
  tick(now = this.now()): void {
    try {
      this.followNewIncident();
      this.watchLeader();
    } catch (err) {
      // The incidents folder could not be read this second: said, and looked at again next second.
      this.say(`incidents: ${(err as Error).message}`, true);
    }
    const s = this.snap.state;
    const c = this.clock(now);
    if (!s || !c || s.status !== 'open' || this.snap.readonly) return;
    this.offerCutOff();
    const said: string[] = [];
    if (c.responseLeftMs !== undefined && c.responseLeftMs < 0 && !this.flaggedResponse) {
      this.flaggedResponse = true;
      said.push(`SEV${s.sev} response target missed`);
    }
    if (c.overdue && c.nextUpdateInMs !== undefined) {
      const minute = Math.floor(-c.nextUpdateInMs / 60_000);
      if (minute !== this.flaggedOverdueMinute) {
        this.flaggedOverdueMinute = minute;
        said.push(`status update OVERDUE ${minute === 0 ? 'now' : `by ${minute}m`}`);
      }
    } else this.flaggedOverdueMinute = -1;
    if (said.length > 0) this.say(`${said.join('; ')} — press u`, true);
  }

  /**
   * An incident declared from another terminal shows here within a second, read-only: this
   * console never takes the writer's lock by itself (whoever leads it runs `hubops incident`,
   * which resumes it). Only with no incident of its own, and nothing open on screen (a form, a
   * panel, a running step), does it look: new journals in the incidents folder, each read once
   * it holds its declaration. A followed incident that is over goes away, so this console can
   * declare again. A directory listing a second is all it costs while nothing changes.
   */
  private followNewIncident(): void {
    const current = this.session?.state;
    const busy = Boolean(this.snap.ui.form) || this.snap.ui.panel.kind !== 'none' || this.snap.running !== undefined;
    if (this.following && current && current.status !== 'open' && !busy) {
      this.unsubscribeSession?.();
      this.unsubscribeSession = undefined;
      this.session?.close();
      this.session = undefined;
      this.following = false;
      this.set({ state: undefined, file: undefined, readonly: this.deps.readonly, banner: undefined });
      this.say(`${current.id} was resolved in another terminal`);
      return;
    }
    if (this.session || busy) return;
    const dir = incidentsDir(this.deps.journalDir);
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.jsonl'));
    } catch {
      return; // no incident was ever declared here
    }
    for (const name of names) {
      if (this.incidentFilesSeen.has(name)) continue;
      const file = join(dir, name);
      const state = replayIncident(readJournal(file, incidentEventSchema, { repair: false }).events);
      if (!state) continue; // its declaration is not written yet: looked at again next time
      this.incidentFilesSeen.add(name);
      if (state.status !== 'open') continue;
      let session: IncidentSession;
      try {
        session = IncidentSession.open(file, { me: this.me, now: this.now, ...(this.deps.readonly ? { readonly: true } : { follow: true }) });
      } catch (err) {
        return this.say(`${state.id} was declared in another terminal, but could not be opened: ${(err as Error).message}`, true);
      }
      this.attach(session);
      this.following = true;
      const holder = session.heldBy;
      const said = `SEV${state.sev} ${state.id} declared in another terminal${holder ? ` by ${holder.user}@${holder.host}` : ''}: watching it (read-only)`;
      if (!this.watchLeader(said)) this.say(said, true);
      return;
    }
  }

  /**
   * Watching an open incident: when the console that leads it stops (killed, crashed, its SSH link
   * gone) or quits, say so and offer L, so the incident is not left with nobody able to record
   * in it. Taking the lead is always a person's choice, never this console's.
   */
  private watchLeader(before?: string): boolean {
    const session = this.session;
    if (!session || !this.snap.readonly || this.deps.readonly || session.state.status !== 'open') return false;
    const gone = session.leaderGone();
    if (gone && !this.snap.leaderless) {
      // The action first: at 80 columns the end of the line is cut.
      const why = gone.last && gone.last.pid > 0 ? `${gone.last.user}@${gone.last.host}'s console (pid ${gone.last.pid}) stopped` : 'nobody leads this incident';
      this.set({ leaderless: true, banner: `read-only: ${why} — L to lead it` });
      this.say(`${before ? `${before}; ` : ''}L to lead it: ${why}`, true);
      return true;
    }
    if (!gone && this.snap.leaderless !== false) this.set({ leaderless: false, banner: this.bannerFor(session.heldBy) });
    return false;
  }

  /** L: this console becomes the incident's writer, if nobody has taken it meanwhile. */
  private takeLead(): void {
    const session = this.session;
    if (!session || !this.snap.readonly || this.deps.readonly) return;
    let gone: ReturnType<IncidentSession['leaderGone']>;
    let r: ReturnType<IncidentSession['takeLead']>;
    try {
      gone = session.leaderGone();
      r = session.takeLead();
    } catch (err) {
      return this.say(`could not take the lead: ${(err as Error).message}`, true);
    }
    if (!r.ok) {
      this.set({ leaderless: false, banner: this.bannerFor(r.heldBy) });
      return this.say(`${r.heldBy.user}@${r.heldBy.host} leads ${session.state.id} now (pid ${r.heldBy.pid})`, true);
    }
    this.following = false;
    this.set({ state: session.state, readonly: false, leaderless: false, banner: undefined });
    const last = gone ? gone.last : undefined;
    const from = last && last.pid > 0 ? ` from ${last.user}@${last.host} (pid ${last.pid}, its console stopped)` : '';
    this.record({ type: 'note', text: `took the lead${from}` });
    this.offerCutOff();
    // The last writer's last line, cut off as it died, is kept beside the journal, not in it.
    if (r.tornSetAside) this.say(`you lead ${session.state.id} now; the last writer's unfinished last line is in ${displayPath(r.tornSetAside)}`, true);
    else this.say(`you lead ${session.state.id} now`);
  }

  /**
   * A step the journal says was started and never ended, and not by this console: the console
   * running it died (killed, crashed, its SSH session gone), and its command may still be running
   * on the target, unseen and out of reach of X. Only a console that leads the incident sees it.
   */
  private cutOffStep(): StepStarted | undefined {
    const cut = this.session?.state.stepRunning;
    if (!cut || this.snap.readonly || this.snap.running || this.handledMarks.has(cut.mark)) return undefined;
    return cut;
  }

  /**
   * Asks what to do about a cut-off step as soon as this console leads the incident and no form is
   * open: stop what is left of it, or leave it running. A person decides, as for running it: it may
   * be a migration better left to finish. Both are recorded; no step runs until then.
   */
  private offerCutOff(): void {
    const cut = this.cutOffStep();
    if (!cut || this.settling || this.snap.ui.form) return;
    const where = this.whereCutOffRan(cut);
    if ('unreachable' in where) {
      this.settleCutOff(cut, { said: where.unreachable });
      return;
    }
    const started = new Date(Date.parse(cut.at)).toTimeString().slice(0, 5);
    const lines = [
      `${cut.by}'s console stopped while it ran on ${cut.target}${where.production ? ' — PRODUCTION' : ''} (started ${started}):`,
      ...cut.command.split('\n').slice(0, 3).map((l, i) => `${i === 0 ? '$' : '>'} ${l}`),
      'It may still be running there: hubops cannot show it or stop it with X.',
      'Stop what is left of it (TERM, then KILL), or Esc to leave it running.',
    ];
    this.ui({ type: 'open-form', form: cutOffForm({ text: cut.text || `${cut.runbook}/${cut.step}`, mark: cut.mark, lines, typeToConfirm: where.production ? cut.env : undefined }) });
  }

  /**
   * The target a cut-off step ran on, if this console can reach that same host: the config must
   * still name it for that environment, and a `local` one must be this machine (a journal on a
   * shared disk can be led from another).
   */
  private whereCutOffRan(cut: StepStarted): { target: Target; production: boolean } | { unreachable: string } {
    const name = stepName(cut);
    const env = this.deps.environments[cut.env];
    if (!env || targetLabel({ envName: cut.env, targetUrl: env.target }) !== cut.target) {
      return { unreachable: `${name} may still be running on ${cut.target}, which the config no longer names as ${cut.env}: check that host` };
    }
    const theirHost = cut.by.split('@')[1];
    if (env.target === 'local' && theirHost && theirHost !== this.me.split('@')[1]) {
      return { unreachable: `${name} may still be running on ${theirHost} (its local target, not this machine): check that host` };
    }
    try {
      return { target: this.deps.target(cut.env), production: this.deps.isProduction(cut.env, env) };
    } catch (err) {
      return { unreachable: `${name} may still be running on ${cut.target} (${(err as Error).message}): check it` };
    }
  }

  /** Records how a cut-off step ended: stopped here (and what was found), or left as it was. */
  private settleCutOff(cut: StepStarted, how: { stop: Target } | { said: string }): void {
    // Once per console: a journal that cannot be written is said by record(), not retried each second.
    this.handledMarks.add(cut.mark);
    const settle = async () => {
      if ('stop' in how) this.say(`stopping ${stepName(cut)} on ${cut.target}…`, true);
      const found = 'stop' in how ? await stopLeftover(how.stop, cut.mark, stepName(cut), (l) => this.say(l)) : how.said;
      // The outcome first: at 80 columns the end of the bar is cut (the step's panel has it whole).
      if (this.record(cutOffRanEvent(cut, found, this.now()))) this.say(found, true);
    };
    this.settling = settle().finally(() => (this.settling = undefined));
  }

  /** The key context: what the incident keys may do right now. */
  keyState(): IncidentKeyState {
    return incidentKeyState(this.snap);
  }

  /** Runbooks ranked for the incident now (re-ranked whenever the severity changes). */
  ranked(): RankedRunbook<LoadedRunbook>[] {
    const s = this.snap.state;
    if (!s || !this.snap.runbooks) return [];
    return rankRunbooks(this.snap.runbooks, { sev: s.sev, service: s.service });
  }

  /** Steps of a runbook in the order the view lists them. */
  static steps(rb: LoadedRunbook): Step[] {
    return [...rb.diagnosis, ...rb.resolution, ...rb.rollback];
  }

  /**
   * An action taken outside the incident panels (a container restarted from its pane): recorded in
   * the open incident's timeline when there is one we write, silently skipped otherwise.
   */
  recordAction(action: string, subject: string, ok: boolean, detail = ''): void {
    if (!this.session || this.snap.readonly || this.session.state.status !== 'open') return;
    try {
      this.session.record({ type: 'action', action, subject, ok, detail });
    } catch {
      /* the restart itself is reported on screen either way */
    }
  }

  private record(e: NewIncidentEvent): boolean {
    if (!this.session) {
      this.say('no incident open', true);
      return false;
    }
    if (this.snap.readonly) {
      this.say(this.snap.banner ?? 'read-only', true);
      return false;
    }
    try {
      this.session.record(e);
      return true;
    } catch (err) {
      this.say(`not recorded: ${(err as Error).message}`, true);
      return false;
    }
  }

  private loadRunbooks(): Promise<void> {
    this.runbookLoad ??= this.deps.loadRunbooks().then(
      (runbooks) => this.set({ runbooks }),
      (err: unknown) => this.set({ runbooks: [], runbookError: `cannot load runbooks: ${(err as Error).message}` }),
    );
    return this.runbookLoad;
  }

  private suggestions(): string {
    const top = this.ranked().filter((r) => r.suggested).slice(0, 3);
    return top.length > 0 ? `suggested runbooks: ${top.map((r) => r.runbook.id).join(', ')} (b)` : 'no runbook fits; b lists them all';
  }

  private respondLabels(): Record<Sev, string> {
    const d = { 1: 15 * 60_000, 2: 4 * 3_600_000, 3: 24 * 3_600_000, ...this.deps.responseMs } as Record<Sev, number>;
    return { 1: shortDuration(d[1]), 2: shortDuration(d[2]), 3: shortDuration(d[3]) };
  }

  /** Runs one op from the key map. */
  perform(op: IncidentOp): void {
    const s = this.snap.state;
    const ui = this.snap.ui;
    const panel = ui.panel;
    switch (op) {
      case 'take-lead':
        this.takeLead();
        return;
      case 'step-stop':
        // Stopping a command is the safe direction: no confirm, but recorded with the result.
        if (!this.snap.running || !this.abort) return this.say('no step is running', true);
        this.stopRequested = true;
        this.abort.abort();
        this.say(`stopping the step on ${this.snap.running.target}…`);
        return;
      case 'declare':
        this.ui({ type: 'open-form', form: declareForm({ descriptions: this.deps.descriptions, respond: this.respondLabels() }) });
        return;
      case 'note':
        this.ui({ type: 'open-form', form: noteForm() });
        return;
      case 'next-phase': {
        if (!s) return;
        const next = PHASES[PHASES.indexOf(s.phase) + 1];
        if (!next) return this.say(`already at the last phase (${s.phase})`, true);
        if (this.record({ type: 'phase-changed', from: s.phase, to: next })) this.say(`phase: ${s.phase} → ${next}`);
        return;
      }
      case 'set-phase':
        if (s) this.ui({ type: 'open-form', form: phaseForm(s.phase) });
        return;
      case 'severity':
        if (s) this.ui({ type: 'open-form', form: severityForm(s.sev, { descriptions: this.deps.descriptions, respond: this.respondLabels() }) });
        return;
      case 'hand-over':
        if (s) this.ui({ type: 'open-form', form: handOverForm(s.roles, this.me) });
        return;
      case 'update':
        void this.compose('update');
        return;
      case 'runbooks':
        this.ui({ type: 'open-panel', panel: { kind: 'picker', selected: 0 } });
        void this.loadRunbooks();
        return;
      case 'timeline':
        this.ui({ type: 'open-panel', panel: { kind: 'timeline', scroll: null } });
        return;
      case 'resolve':
        void this.verifyGate();
        return;
      case 'postmortem':
        void this.postmortem();
        return;
      case 'down':
      case 'up':
        this.ui({ type: 'move', delta: op === 'down' ? 1 : -1, count: this.listLength(panel) });
        return;
      case 'open':
        if (panel.kind === 'picker') return this.openRunbook();
        if (panel.kind === 'compose') return void this.send(panel.message, 'send');
        return;
      case 'close':
        if (panel.kind === 'compose' && panel.sending) return this.say('still sending…', true);
        this.ui({ type: 'close-panel' });
        return;
      case 'step-done':
      case 'step-skip':
      case 'step-run':
        return this.stepOp(op);
      case 'step-run-refused':
        return this.say('read-only: steps are not run from this console', true);
      case 'send':
        if (panel.kind === 'compose') void this.send(panel.message, 'send');
        return;
      case 'copy':
        if (panel.kind === 'compose') void this.send(panel.message, 'copy');
        return;
      case 'edit':
        if (panel.kind === 'compose') this.ui({ type: 'open-form', form: editMessageForm(panel.message, EDITABLE_FIELDS[panel.message], panel.fields) });
        return;
      case 'override':
        if (panel.kind === 'gate' && panel.status === 'red') this.ui({ type: 'open-form', form: overrideForm(panel.why ?? 'the health checks are not green') });
        return;
      case 'retry':
        if (panel.kind === 'gate' && panel.status === 'red') void this.verifyGate();
        return;
    }
  }

  private listLength(panel: Panel): number {
    if (panel.kind === 'picker') return this.snap.runbooks?.length ?? 0;
    if (panel.kind === 'timeline') return this.snap.state?.timeline.length ?? 0;
    if (panel.kind === 'runbook') {
      const rb = this.snap.runbooks?.find((r) => r.id === panel.id);
      return rb ? IncidentController.steps(rb).length : 0;
    }
    return 0;
  }

  private openRunbook(): void {
    const panel = this.snap.ui.panel;
    if (panel.kind !== 'picker') return;
    const picked = this.ranked()[panel.selected];
    if (!picked) return;
    const rb = picked.runbook;
    const s = this.snap.state;
    if (s && !s.runbooks[rb.id] && !this.snap.readonly) {
      if (!this.record({ type: 'runbook-opened', runbook: rb.id, title: rb.title, file: rb.file })) return;
    }
    const steps = IncidentController.steps(rb);
    const progress = this.snap.state?.runbooks[rb.id]?.steps ?? {};
    const firstOpen = steps.findIndex((st) => !progress[st.id]);
    this.ui({ type: 'open-panel', panel: { kind: 'runbook', id: rb.id, selected: Math.max(0, firstOpen) } });
  }

  private selectedStep(): { rb: LoadedRunbook; step: Step } | undefined {
    const panel = this.snap.ui.panel;
    if (panel.kind !== 'runbook') return undefined;
    const rb = this.snap.runbooks?.find((r) => r.id === panel.id);
    const step = rb ? IncidentController.steps(rb)[panel.selected] : undefined;
    return rb && step ? { rb, step } : undefined;
  }

  private stepOp(op: 'step-done' | 'step-skip' | 'step-run'): void {
    const sel = this.selectedStep();
    if (!sel) return;
    const { rb, step } = sel;
    const done = this.snap.state?.runbooks[rb.id]?.steps[step.id];
    if (op === 'step-done') {
      if (done?.status === 'done') return this.say('already done', true);
      if (this.record({ type: 'step-done', runbook: rb.id, step: step.id, text: step.text })) {
        this.say(`done: ${step.text}`);
        this.ui({ type: 'move', delta: 1, count: IncidentController.steps(rb).length });
      }
      return;
    }
    if (op === 'step-skip') {
      this.ui({ type: 'open-form', form: skipForm(rb.id, step.id, step.text) });
      return;
    }
    if (this.snap.running) return this.say(`a step is already running on ${this.snap.running.target}`, true);
    if (this.settling) return this.say('still stopping the step the last console left running: try again in a moment', true);
    if (this.cutOffStep()) {
      this.offerCutOff();
      return this.say('first, the step the last console left running: stop it or leave it', true);
    }
    const plan = this.plan(step);
    if ('error' in plan) return this.say(plan.error, true);
    const lines = [
      `on ${plan.envName} (${plan.targetUrl})${plan.production ? ' — PRODUCTION' : ''}:`,
      ...plan.code.split('\n').map((l, i) => `${i === 0 ? '$' : '>'} ${l}`),
      ...Object.entries(plan.exported).map(([k, v]) => `with ${k}=${v}`),
      ...(plan.missing.length > 0 ? [`not set (the command sees them empty): ${plan.missing.join(', ')}`] : []),
    ];
    this.ui({ type: 'open-form', form: confirmRunForm({ runbook: rb.id, step: step.id, text: step.text, lines, typeToConfirm: plan.production ? plan.envName : undefined }) });
  }

  private plan(step: Step): StepRunPlan | { error: string } {
    return planStepRun(step, { currentEnv: this.deps.envName, environments: this.deps.environments, isProduction: this.deps.isProduction, vars: this.deps.vars ?? {} });
  }

  private async runStep(runbook: string, stepId: string): Promise<void> {
    const rb = this.snap.runbooks?.find((r) => r.id === runbook);
    const step = rb ? IncidentController.steps(rb).find((s) => s.id === stepId) : undefined;
    if (!rb || !step) return;
    const plan = this.plan(step);
    if ('error' in plan) return this.say(plan.error, true);
    let target: Target;
    try {
      target = this.deps.target(plan.envName);
    } catch (err) {
      return this.say(`cannot open the target of ${plan.envName}: ${(err as Error).message}`, true);
    }
    if (this.settling || this.snap.running || this.cutOffStep()) return this.say('another step is running or was left running: not run', true);
    // Journaled before it runs: if this console dies under it, the next one finds it by its mark.
    const mark = newRunMark();
    this.handledMarks.add(mark);
    if (!this.record(stepStartedEvent(runbook, step, plan, mark))) return;
    const key = `${runbook}/${stepId}`;
    const running: RunningStep = { runbook, step: stepId, target: targetLabel(plan), lines: [], startedAt: this.now() };
    this.abort = new AbortController();
    this.stopRequested = false;
    this.set({ running, output: { ...this.snap.output, [key]: [] } });
    this.say(`running on ${running.target}…`);
    const result = await target.run(plan.command, {
      mark,
      signal: this.abort.signal,
      tailLines: 200,
      onLine: (line) => {
        running.lines.push(line);
        if (running.lines.length > OUTPUT_LINES) running.lines.splice(0, running.lines.length - OUTPUT_LINES);
        // Output can flood: redraw at most every 50 ms.
        this.flushTimer ??= setTimeout(() => {
          this.flushTimer = undefined;
          if (this.snap.running === running) this.set({ running: { ...running, lines: [...running.lines] } });
        }, 50);
      },
    });
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.abort = undefined;
    this.set({ running: undefined, output: { ...this.snap.output, [key]: [...running.lines] } });
    const e = stepRanEvent(runbook, stepId, plan, result);
    if (this.stopRequested && result.error) e.error = `stopped from the console by ${this.me} (${result.error})`;
    this.stopRequested = false;
    if (this.record(e)) {
      const how = result.error ? result.error : `exit ${result.code}`;
      this.say(`${step.text}: ${how} in ${(result.durationMs / 1000).toFixed(1)}s`, result.code !== 0);
    }
  }

  private async compose(message: CommsKind): Promise<void> {
    const s = this.snap.state;
    if (!s) return;
    const fields = this.messageFields(message, {});
    this.ui({ type: 'open-panel', panel: { kind: 'compose', message, fields, sending: false } });
    await this.renderCompose(message, fields, true);
  }

  private messageFields(message: CommsKind, edits: Record<string, string>): Record<string, string> {
    const s = this.snap.state!;
    const now = this.now();
    if (message === 'update') {
      return { ...updateFields(s, this.clock(now)!, { channel: this.deps.channel, updateEveryMs: this.deps.updateEveryMs, now, edits }) };
    }
    return { ...resolvedFields(s, { reportsDir: this.deps.reportsDir, relativeTo: this.deps.configDir, now, edits }) };
  }

  /** Renders the message into the compose panel; a missing free-text field opens the edit form. */
  private async renderCompose(message: CommsKind, fields: Record<string, string>, openEditIfMissing: boolean): Promise<void> {
    let text: string | undefined;
    let error: string | undefined;
    try {
      text = await renderUpdate(message, fields, { templateDirs: this.deps.templateDirs, defaultTemplateDir: this.deps.defaultTemplateDir });
    } catch (err) {
      error = (err as Error).message;
    }
    const panel = this.snap.ui.panel;
    if (panel.kind !== 'compose' || panel.message !== message) return;
    this.ui({ type: 'update-panel', panel: { kind: 'compose', message, fields, text, error, sending: false } });
    const blank = EDITABLE_FIELDS[message].some((k) => (fields[k] ?? '').trim() === '');
    if (openEditIfMissing && blank) this.ui({ type: 'open-form', form: editMessageForm(message, EDITABLE_FIELDS[message], fields) });
  }

  private async send(message: CommsKind, how: 'send' | 'copy'): Promise<void> {
    const panel = this.snap.ui.panel;
    if (panel.kind !== 'compose' || panel.text === undefined || panel.sending) return;
    const s = this.snap.state;
    if (!s) return;
    if (message === 'resolved' && s.status === 'resolved') return this.say('already resolved', true);
    // Fields computed at send time (next update due, duration) so what is recorded is what went out.
    const text = panel.text;
    this.ui({ type: 'update-panel', panel: { ...panel, sending: true, error: undefined } });
    const via: ('webhook' | 'clipboard' | 'recorded')[] = [];
    const errors: string[] = [];
    const webhook = how === 'send' ? this.deps.webhook : undefined;
    if (webhook) {
      const r = await this.deps.postWebhook(webhook, text);
      if (r.ok) via.push('webhook');
      else errors.push(`webhook: ${r.error}`);
    }
    const c = this.deps.copy(text);
    if (c.ok) via.push('clipboard');
    else errors.push(`clipboard: ${c.error}`);
    // The webhook is what was asked for: when it failed (or nothing went anywhere), this is not a sent update.
    const failed = (webhook !== undefined && !via.includes('webhook')) || via.length === 0;
    if (via.length === 0) via.push('recorded');
    const event: NewIncidentEvent = { type: 'update-sent', kind: message, text, fields: panel.fields, via };
    if (failed) event.error = errors.join('; ');
    const recorded = this.record(event);
    const after = this.snap.ui.panel;
    if (after.kind !== 'compose') return;
    if (!recorded) return this.ui({ type: 'update-panel', panel: { ...after, sending: false } });
    if (failed) {
      this.ui({ type: 'update-panel', panel: { ...after, sending: false, error: `not sent: ${errors.join('; ')} — Enter retries, c copies it for you to paste` } });
      this.say(`${message === 'update' ? 'status update' : 'resolved message'} not sent: ${errors.join('; ')}`, true);
      return;
    }
    const where = via.map((v) => (v === 'webhook' && webhook ? `webhook ${webhookHost(webhook)}` : v)).join(' + ');
    if (message === 'resolved') {
      const f = panel.fields;
      if (!this.record({ type: 'resolved', rootCause: f.root_cause ?? '', impact: f.impact_users ?? '', dataLoss: f.data_loss ?? 'no' })) return;
      const st = this.snap.state!;
      const c2 = this.clock()!;
      this.ui({ type: 'update-panel', panel: { ...after, sending: false, sent: `resolved after ${humanDuration(c2.durationMs ?? 0)} (${where}); post-mortem due ${c2.postmortemDue} — M writes it` } });
      this.say(`SEV${st.sev} resolved after ${humanDuration(c2.durationMs ?? 0)}; M writes the post-mortem`);
      return;
    }
    this.ui({ type: 'update-panel', panel: { ...after, sending: false, sent: `sent (${where}) at ${new Date(this.now()).toTimeString().slice(0, 5)}` } });
    const next = this.clock()?.nextUpdateInMs;
    this.say(`status update sent (${where}); next one in ${next !== undefined ? formatClock(next) : '?'}`);
  }

  private async verifyGate(): Promise<void> {
    if (!this.snap.state || this.snap.state.status !== 'open') return;
    this.ui({ type: 'open-panel', panel: { kind: 'gate', status: 'probing', checks: [] } });
    const result = await this.deps.verify();
    if (this.snap.ui.panel.kind !== 'gate') return;
    if (result.green) {
      if (!this.record({ type: 'verified', green: true, checks: result.checks })) return;
      this.say(`verified: ${result.checks.length} health check${result.checks.length === 1 ? '' : 's'} green`);
      this.ui({ type: 'close-panel' });
      await this.compose('resolved');
      return;
    }
    this.ui({ type: 'update-panel', panel: { kind: 'gate', status: 'red', checks: result.checks, why: result.why } });
  }

  private async postmortem(): Promise<void> {
    const s = this.snap.state;
    if (!s) return;
    try {
      const r = await this.deps.writePostmortem(s);
      if (!this.record({ type: 'postmortem-written', path: r.path })) return;
      const shown = this.deps.configDir ? displayPath(r.path, this.deps.configDir) : r.path;
      this.say(`post-mortem written: ${shown}${r.warnings.length > 0 ? ` (${r.warnings[0]})` : ''}`, r.warnings.length > 0);
    } catch (err) {
      this.say(`cannot write the post-mortem: ${(err as Error).message}`, true);
    }
  }

  /** A key while a form is open: typing, moving between fields, submit, cancel. */
  key(name: string): void {
    const form = this.snap.ui.form;
    if (!form) return;
    // Pasted or fast-typed text arrives as one chunk: a choice or marks field takes it key by key.
    if (name.length > 1 && !NAMED.has(name) && form.fields[form.focus]?.kind !== 'text') {
      for (const ch of name) this.key(ch === ' ' ? 'space' : ch);
      return;
    }
    const r = formKey(form, name);
    if (r.outcome === 'cancel') {
      this.ui({ type: 'close-form' });
      if (form.kind === 'confirm-run') this.say('not run: cancelled');
      if (form.kind === 'cut-off') {
        const cut = this.cutOffStep();
        if (cut && cut.mark === form.ref?.mark) this.settleCutOff(cut, { said: `${stepName(cut)} left as it was by ${this.me}, not checked: it may still be running on ${cut.target}` });
      }
      if (form.kind === 'edit-message' && this.snap.ui.panel.kind === 'compose' && this.snap.ui.panel.text === undefined) this.ui({ type: 'close-panel' });
      return;
    }
    this.set({ ui: { ...this.snap.ui, form: r.form } });
    if (r.outcome === 'submit') this.submit(r.form);
  }

  private submit(form: Form): void {
    const s = this.snap.state;
    const v = (k: string) => fieldValue(form, k);
    const close = () => this.ui({ type: 'close-form' });
    switch (form.kind) {
      case 'declare': {
        if (this.snap.readonly) return this.ui({ type: 'form-error', error: 'read-only: nothing can be declared from here' });
        if (s && s.status === 'open') return this.ui({ type: 'form-error', error: `an incident is already open: ${s.id}` });
        let session: IncidentSession;
        try {
          session = IncidentSession.declare(this.deps.journalDir, { sev: Number(v('sev')) as Sev, title: v('title'), symptom: v('symptom'), service: v('service'), env: this.deps.envName }, { me: this.me, now: this.now });
        } catch (err) {
          return this.ui({ type: 'form-error', error: `not declared: ${(err as Error).message}` });
        }
        this.session?.close();
        this.attach(session);
        close();
        this.set({ ui: { panel: { kind: 'none' } } });
        void this.loadRunbooks().then(() => this.say(`SEV${session.state.sev} declared — you are the commander. ${this.suggestions()}`));
        return;
      }
      case 'note':
        if (this.record({ type: 'note', text: v('text') })) {
          close();
          this.say('note recorded');
        }
        return;
      case 'skip':
        if (this.record({ type: 'step-skipped', runbook: form.ref!.runbook!, step: form.ref!.step!, text: form.title.replace(/^Skip: /, ''), reason: v('reason') })) {
          close();
          const rb = this.snap.runbooks?.find((r) => r.id === form.ref!.runbook);
          if (rb) this.ui({ type: 'move', delta: 1, count: IncidentController.steps(rb).length });
          this.say('step skipped');
        }
        return;
      case 'severity': {
        if (!s) return;
        const to = Number(v('sev')) as Sev;
        if (to === s.sev) return this.ui({ type: 'form-error', error: `it is already SEV${to}` });
        if (this.record({ type: 'severity-changed', from: s.sev, to, reason: v('reason') })) {
          close();
          void this.loadRunbooks().then(() => this.say(`severity SEV${s.sev} → SEV${to}; ${this.suggestions()}`));
        }
        return;
      }
      case 'hand-over':
        if (this.record({ type: 'role-assigned', role: v('role') as Role, who: v('who') })) {
          close();
          this.say(`${v('role')} is now ${v('who')}`);
        }
        return;
      case 'phase': {
        if (!s) return;
        const to = v('phase') as Phase;
        if (to === s.phase) return close();
        if (this.record({ type: 'phase-changed', from: s.phase, to })) {
          close();
          this.say(`phase: ${s.phase} → ${to}`);
        }
        return;
      }
      case 'edit-message': {
        const message = form.ref!.message!;
        const edits = Object.fromEntries(form.fields.map((f) => [f.key, f.value.trim()]));
        close();
        const fields = this.messageFields(message, edits);
        const panel = this.snap.ui.panel;
        if (panel.kind === 'compose') this.ui({ type: 'update-panel', panel: { ...panel, fields, text: undefined, error: undefined } });
        void this.renderCompose(message, fields, false);
        return;
      }
      case 'override': {
        const panel = this.snap.ui.panel;
        if (panel.kind !== 'gate') return close();
        if (!this.record({ type: 'verified', green: false, checks: panel.checks, override: v('reason') })) return;
        close();
        this.ui({ type: 'close-panel' });
        this.say('verify gate overridden (recorded with the reason)');
        void this.compose('resolved');
        return;
      }
      case 'confirm-run': {
        const ref = form.ref!;
        const accepted = confirmAccepted({ title: form.title, body: '', typeToConfirm: ref.typeToConfirm }, v('answer'));
        close();
        if (!accepted) return this.say(`not confirmed: the step was not run${ref.typeToConfirm ? ` (type ${ref.typeToConfirm} exactly)` : ''}`, true);
        this.runPromise = this.runStep(ref.runbook!, ref.step!).finally(() => (this.runPromise = undefined));
        return;
      }
      case 'cut-off': {
        const ref = form.ref!;
        close();
        const cut = this.cutOffStep();
        if (!cut || cut.mark !== ref.mark) return;
        if (!confirmAccepted({ title: form.title, body: '', typeToConfirm: ref.typeToConfirm }, v('answer'))) {
          // Asked again on the next tick: the step is neither stopped nor recorded yet.
          return this.say(`not stopped${ref.typeToConfirm ? ` (type ${ref.typeToConfirm} exactly)` : ''}: Esc leaves it running`, true);
        }
        const where = this.whereCutOffRan(cut);
        this.settleCutOff(cut, 'target' in where ? { stop: where.target } : { said: where.unreachable });
        return;
      }
      case 'confirm-quit': {
        close();
        if (!/^(y|yes)$/i.test(v('answer'))) return this.say('still here: the incident stays on screen');
        this.leave?.();
        return;
      }
    }
  }

  /** On `q`: whether to ask first (an incident open in this console, which records it). */
  askBeforeQuit(): boolean {
    const s = this.snap.state;
    if (!s || s.status !== 'open' || this.snap.readonly) return false;
    const lines = [
      `${s.id} stays open: its journal is kept, nothing is lost.`,
      '`hubops incident` (or `hubops`) resumes it where it stopped.',
      ...(this.snap.running ? [`A step is running on ${this.snap.running.target}: quitting stops it.`] : []),
      ...(this.settling ? ['A step the last console left running is being stopped: quitting may leave it half done.'] : []),
    ];
    this.ui({ type: 'open-form', form: confirmQuitForm(lines) });
    return true;
  }

  /** Leaving: a running step is stopped (and its result recorded), then the incident's lock let go. */
  async dispose(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.abort?.abort();
    await Promise.race([Promise.all([this.runPromise, this.settling]), new Promise((r) => setTimeout(r, 5_000))]);
    this.closeNow();
  }

  /** The last-moment version (a signal, a crash): lets go of the lock, stops timers. */
  closeNow(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.abort?.abort();
    this.unsubscribeSession?.();
    this.session?.close();
    this.session = undefined;
  }
}

/** A step as messages name it: its text in quotes, or runbook/step for journals from before text was kept. */
function stepName(cut: StepStarted): string {
  return cut.text ? `"${cut.text}"` : `${cut.runbook}/${cut.step}`;
}

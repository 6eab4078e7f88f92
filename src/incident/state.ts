import type { IncidentEvent, Phase, Role, Sev } from './events.js';

export interface TimelineEntry {
  at: string;
  by: string;
  text: string;
  type: IncidentEvent['type'];
}

export interface StepProgress {
  status: 'done' | 'skipped' | 'ran';
  at: string;
  by: string;
  reason?: string;
  run?: { code: number | null; durationMs: number; tail: string[]; error?: string; command: string; target: string };
}

export type StepStarted = Omit<Extract<IncidentEvent, { type: 'step-started' }>, 'v' | 'seq' | 'type'>;

export interface IncidentState {
  id: string;
  sev: Sev;
  title: string;
  symptom: string;
  service: string;
  env: string;
  startedAt: string;
  phase: Phase;
  roles: Partial<Record<Role, string>>;
  status: 'open' | 'resolved';
  resolvedAt?: string;
  resolution?: { rootCause: string; impact: string; dataLoss: string };
  /** When the first status update went out: the response target is met then. */
  firstUpdateAt?: string;
  lastUpdateAt?: string;
  /** The fields of the last update, to pre-fill the next. */
  lastUpdateFields: Record<string, string>;
  updatesSent: number;
  runbooks: Record<string, { title: string; steps: Record<string, StepProgress> }>;
  /** A step whose command was started and has not been recorded as ended (its console may have died under it). */
  stepRunning?: StepStarted;
  verified?: { green: boolean; override?: string; at: string };
  postmortemPath?: string;
  timeline: TimelineEntry[];
  /** Bumped on each event, so screens know when to redraw. */
  seq: number;
}

const SEV_LABEL = (s: Sev) => `SEV${s}`;

/** One line of the timeline for an event, in words for the post-mortem. */
export function describeEvent(e: IncidentEvent): string {
  switch (e.type) {
    case 'declared':
      return `${SEV_LABEL(e.sev)} declared: ${e.title}${e.symptom ? ` — ${e.symptom}` : ''}`;
    case 'severity-changed':
      return `severity ${SEV_LABEL(e.from)} → ${SEV_LABEL(e.to)}${e.reason ? ` (${e.reason})` : ''}`;
    case 'phase-changed':
      return `phase ${e.from} → ${e.to}`;
    case 'role-assigned':
      return `${e.role}: ${e.who}`;
    case 'note':
      return e.text;
    case 'update-sent':
      return `${e.kind === 'resolved' ? 'resolved message' : 'status update'} ${e.error ? `failed to send (${e.error})` : `sent (${e.via.join(', ')})`}`;
    case 'runbook-opened':
      return `runbook opened: ${e.title}`;
    case 'step-done':
      return `step done: ${e.text || e.step}`;
    case 'step-skipped':
      return `step skipped: ${e.text || e.step} — ${e.reason}`;
    case 'step-started':
      return `started \`${e.command.split('\n')[0]}\` on ${e.target}`;
    case 'step-ran':
      return `ran \`${e.command.split('\n')[0]}\` on ${e.target}: ${e.error ? e.error : `exit ${e.code}`} in ${(e.durationMs / 1000).toFixed(1)}s`;
    case 'action':
      return `${e.action} ${e.subject}: ${e.ok ? 'ok' : 'failed'}${e.detail ? ` (${e.detail})` : ''}`;
    case 'verified':
      return e.green ? 'verified: all health checks green' : `verify gate overridden: ${e.override ?? ''} (${e.checks.filter((c) => !c.ok).map((c) => c.name).join(', ')} failing)`;
    case 'resolved':
      return `resolved${e.rootCause ? `: root cause ${e.rootCause}` : ''}`;
    case 'postmortem-written':
      return `post-mortem written: ${e.path}`;
  }
}

/** The incident is its journal replayed: a pure fold, so a restart resumes exactly. */
export function replayIncident(events: readonly IncidentEvent[]): IncidentState | undefined {
  const first = events[0];
  if (!first || first.type !== 'declared') return undefined;
  let s: IncidentState = {
    id: first.id,
    sev: first.sev,
    title: first.title,
    symptom: first.symptom,
    service: first.service,
    env: first.env,
    startedAt: first.at,
    phase: 'triage',
    roles: { commander: first.by },
    status: 'open',
    lastUpdateFields: {},
    updatesSent: 0,
    runbooks: {},
    timeline: [],
    seq: 0,
  };
  for (const e of events) s = incidentReducer(s, e);
  return s;
}

export function incidentReducer(s: IncidentState, e: IncidentEvent): IncidentState {
  const timeline = [...s.timeline, { at: e.at, by: e.by, text: describeEvent(e), type: e.type }];
  const next: IncidentState = { ...s, timeline, seq: e.seq };
  const step = (runbook: string, id: string, p: StepProgress) => {
    const rb = next.runbooks[runbook] ?? { title: runbook, steps: {} };
    next.runbooks = { ...next.runbooks, [runbook]: { ...rb, steps: { ...rb.steps, [id]: p } } };
  };
  switch (e.type) {
    case 'declared':
      return next;
    case 'severity-changed':
      return { ...next, sev: e.to };
    case 'phase-changed':
      return { ...next, phase: e.to };
    case 'role-assigned':
      return { ...next, roles: { ...next.roles, [e.role]: e.who } };
    case 'note':
      return next;
    case 'update-sent':
      if (e.error) return next;
      return { ...next, firstUpdateAt: next.firstUpdateAt ?? e.at, lastUpdateAt: e.at, lastUpdateFields: e.fields, updatesSent: next.updatesSent + 1 };
    case 'runbook-opened':
      next.runbooks = { ...next.runbooks, [e.runbook]: next.runbooks[e.runbook] ?? { title: e.title, steps: {} } };
      return next;
    case 'step-done':
      step(e.runbook, e.step, { status: 'done', at: e.at, by: e.by, run: s.runbooks[e.runbook]?.steps[e.step]?.run });
      return next;
    case 'step-skipped':
      step(e.runbook, e.step, { status: 'skipped', at: e.at, by: e.by, reason: e.reason });
      return next;
    case 'step-started': {
      const { v: _v, seq: _seq, type: _type, ...started } = e;
      return { ...next, stepRunning: started };
    }
    case 'step-ran':
      if (next.stepRunning?.runbook === e.runbook && next.stepRunning.step === e.step) next.stepRunning = undefined;
      step(e.runbook, e.step, {
        status: 'ran',
        at: e.at,
        by: e.by,
        run: { code: e.code, durationMs: e.durationMs, tail: e.tail, error: e.error, command: e.command, target: e.target },
      });
      return next;
    case 'action':
      return next;
    case 'verified':
      return { ...next, verified: { green: e.green, override: e.override, at: e.at } };
    case 'resolved':
      return { ...next, status: 'resolved', resolvedAt: e.at, phase: next.phase === 'postmortem' ? 'postmortem' : 'communicate', resolution: { rootCause: e.rootCause, impact: e.impact, dataLoss: e.dataLoss } };
    case 'postmortem-written':
      return { ...next, postmortemPath: e.path, phase: 'postmortem' };
  }
}

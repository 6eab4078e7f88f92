/**
 * Running a runbook step's command on its target: what will run (shown in full before the
 * confirm), and the step-ran event made of the result.
 */
import type { Step } from '../runbooks/types.js';
import { shellQuote } from '../targets/shell.js';
import type { RunResult } from '../targets/target.js';
import type { NewIncidentEvent } from './events.js';
import type { StepStarted } from './state.js';

/** Lines of output kept in the journal for a step (the view streams them all). */
export const STEP_TAIL_LINES = 20;

export interface StepRunPlan {
  /** The exact command line given to `sh -c` on the target. */
  command: string;
  /** The step's code as the runbook wrote it (the part after the exports). */
  code: string;
  /** The environment whose target runs it. */
  envName: string;
  /** `local` or `ssh://user@host:port`. */
  targetUrl: string;
  production: boolean;
  /** `HUBOPS_*` variables the code uses and this process has: exported before the code. */
  exported: Record<string, string>;
  /** `HUBOPS_*` variables the code uses that are not set: the command will see them empty. */
  missing: string[];
}

/**
 * What running a step means: the step's `target=NAME` environment (or the console's), and the
 * `HUBOPS_*` variables it uses taken from this process's environment and exported first, quoted.
 * The code itself is the runbook author's shell text, passed as written (never a template).
 */
export function planStepRun(
  step: Pick<Step, 'id' | 'command'>,
  opts: { currentEnv: string; environments: Record<string, { target: string; production?: boolean }>; isProduction: (name: string, env: { production?: boolean }) => boolean; vars: Record<string, string | undefined> },
): StepRunPlan | { error: string } {
  const cmd = step.command;
  if (!cmd) return { error: 'this step has no command to run' };
  const envName = cmd.target ?? opts.currentEnv;
  const env = opts.environments[envName];
  if (!env) return { error: `the step runs on target=${envName}, which is not an environment in the config (${Object.keys(opts.environments).join(', ')})` };
  const exported: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of cmd.env) {
    const v = opts.vars[name];
    if (v === undefined) missing.push(name);
    else exported[name] = v;
  }
  const exports = Object.entries(exported).map(([k, v]) => `export ${k}=${shellQuote(v)}\n`).join('');
  return { command: `${exports}${cmd.code}`, code: cmd.code, envName, targetUrl: env.target, production: opts.isProduction(envName, env), exported, missing };
}

/** How a run's target is named in the journal and on screen: `prod (ssh://ops@host:22)`. */
export function targetLabel(plan: Pick<StepRunPlan, 'envName' | 'targetUrl'>): string {
  return `${plan.envName} (${plan.targetUrl})`;
}

/** The journal event written before the command runs; `mark` is the run's HUBOPS_RUN (RunOptions.mark). */
export function stepStartedEvent(runbook: string, step: Pick<Step, 'id' | 'text'>, plan: StepRunPlan, mark: string): Extract<NewIncidentEvent, { type: 'step-started' }> {
  return { type: 'step-started', runbook, step: step.id, text: step.text, command: plan.code, target: targetLabel(plan), env: plan.envName, mark };
}

/** The journal event for a finished run. */
export function stepRanEvent(runbook: string, step: string, plan: StepRunPlan, r: RunResult): Extract<NewIncidentEvent, { type: 'step-ran' }> {
  const e: Extract<NewIncidentEvent, { type: 'step-ran' }> = {
    type: 'step-ran',
    runbook,
    step,
    command: plan.code,
    target: targetLabel(plan),
    code: r.code,
    durationMs: r.durationMs,
    tail: r.tail.slice(-STEP_TAIL_LINES),
  };
  if (r.error) e.error = r.error;
  return e;
}

/**
 * The result recorded for a step whose console died while it ran (`cut`, its step-started): no
 * exit code, and what the console that leads now found or chose (`outcome`).
 */
export function cutOffRanEvent(cut: StepStarted, outcome: string, now: number): Extract<NewIncidentEvent, { type: 'step-ran' }> {
  const startedMs = Date.parse(cut.at);
  return {
    type: 'step-ran',
    runbook: cut.runbook,
    step: cut.step,
    command: cut.command,
    target: cut.target,
    code: null,
    durationMs: Number.isFinite(startedMs) ? Math.max(0, now - startedMs) : 0,
    tail: [],
    error: `cut off: ${cut.by}'s console stopped while it ran; ${outcome}`,
  };
}

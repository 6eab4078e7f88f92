import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import { formatDuration } from '../config/duration.js';
import type { Environment } from '../config/schema.js';
import { httpGet, describeNetError } from '../sources/http-via-target.js';
import { openTarget } from '../targets/index.js';
import { renderCommand } from '../targets/shell.js';
import { stopLeftover, waitForLink } from '../targets/leftover.js';
import type { Target } from '../targets/target.js';
import { newRunMark } from '../targets/stop-marked.js';
import { loadTemplate } from '../templates/load.js';
import { renderTemplate } from '../templates/templates.js';
import { applyOverride, assembleGate, type CheckName, type GateReport } from './gate/gate.js';
import { collectGateInputs, commitChangelog, headCommit, isReleaseCommitOn, tagRelease, writeChangelog } from './gate/collect.js';
import { promoteUnreleased } from './gate/changelog.js';
import type { VersionRequest } from './gate/commits.js';
import { verdictLine, type ReleaseEvent, type ReleasePhase, type Verdict } from './events.js';
import { ReleaseJournal, releasesDir } from './journal.js';
import { cell, reportName, ReportWriter } from './report.js';
import { WatchSampler } from './sampler.js';
import { baselineFromValues, decisionOf, describeRules, intervalsOf, nextPollAt, reduceWatch, replay, type Baseline, type WatchConfig, type WatchEvent, type WatchState } from './watch/engine.js';

/** How a gate is answered: by a person at the keyboard, or by flags in a non-interactive run. */
export interface Answerer {
  preRelease(report: GateReport): Promise<{ choice: 'proceed' | 'abort' | 'edit'; overrides: { check: CheckName; reason: string }[] }>;
  strategy(options: readonly string[]): Promise<string | undefined>;
  manual(checklist: readonly string[]): Promise<'done' | 'failed'>;
  /** A soft breach: continue, roll back now, or extend the window by N minutes. */
  soft(reasons: readonly string[]): Promise<{ answer: 'continue' | 'rollback' | 'extend'; minutes?: number }>;
  /** A hard breach: the automatic rollback waits `seconds`; 'stopped' means a person stopped it. */
  countdown(reasons: readonly string[], seconds: number): Promise<'stopped' | 'elapsed'>;
  /** After a stopped countdown: roll back now, or continue watching. */
  afterStop(reasons: readonly string[]): Promise<'rollback' | 'continue'>;
}

export interface ReleaseOptions {
  loaded: LoadedConfig;
  envName: string;
  request: VersionRequest;
  answerer: Answerer;
  /** Progress as plain lines (the screen draws from the journal). */
  out: (line: string) => void;
  /** Every journal event of this release, once on disk (those already there first, on a resume). */
  onEvent?: (e: ReleaseEvent) => void;
  repoDir?: string;
  /** Shorter windows (tests, the demo): override the environment's watch duration and interval. */
  watch?: { durationMs?: number; intervalMs?: number };
  /** The baseline read without Prometheus history (a scrape source): how many readings, each a rate (default 3). */
  baselineSamples?: number;
  miniWatchMs?: number;
  /**
   * Set by the run: the baseline read before the deploy (in watch mode, at the start of the
   * window), restored from the journal on a resume. The watch window and the mini watch after a
   * rollback judge against it.
   */
  releaseBaseline?: Baseline;
  resumeFile?: string;
  /** `watch`: only the watch window (after a deploy made by another tool), with the same rollback. */
  mode?: 'release' | 'watch';
  /** Watch mode: what the rollback command goes back to. */
  previous?: string;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  target?: Target;
}

export interface ReleaseResult {
  verdict: Verdict;
  reason: string;
  report: string;
  rollbackReport?: string;
  exitCode: number;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Runs a release through its six phases, journaling every step so a crash loses nothing and
 * `--resume` picks it up. Gates block: nothing passes one without an answer, recorded with who
 * and when. Every failure after the deploy started ends in the environment's rollback.
 */
export async function runRelease(o: ReleaseOptions): Promise<ReleaseResult> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? realSleep;
  const env = o.loaded.config.environments[o.envName]!;
  const rel = env.release;
  if (!rel) throw new Error(`environment ${o.envName} has no release section in ${o.loaded.file}`);
  const target = o.target ?? openTarget(env.target, env.ssh);
  const repoDir = o.repoDir ?? o.loaded.dir;
  const say = o.out;

  // Resume: the journal says where we were.
  let journal: ReleaseJournal;
  let prior: ReleaseEvent[] = [];
  if (o.resumeFile) {
    journal = ReleaseJournal.open(o.resumeFile, { now });
    prior = [...journal.events];
  }
  const started = prior.find((e): e is Extract<ReleaseEvent, { type: 'started' }> => e.type === 'started');
  const lastPhase = [...prior].reverse().find((e): e is Extract<ReleaseEvent, { type: 'phase' }> => e.type === 'phase')?.phase;

  let version: string;
  let previous: string;
  let reportFile: string;
  let gate: GateReport | undefined;
  /** The commit the gate passed (journals of older versions have none: HEAD is tagged, as then). */
  let gateCommit = started?.commit;
  const watchSettings = {
    ...env.watch,
    duration: o.watch?.durationMs ?? env.watch.duration,
    interval: o.watch?.intervalMs ?? env.watch.interval,
  };

  const watchOnly = o.mode === 'watch';
  if (!started && watchOnly) {
    let current = 'current';
    if (rel.current) {
      const r = await target.run(rel.current, { timeoutMs: 30_000, tailLines: 1 });
      if (r.code === 0 && r.tail[0]) current = r.tail[0].trim();
    }
    version = current;
    previous = o.previous ?? '';
    const id = `watch_${o.envName}_${new Date(now()).toISOString().replace(/[:.]/g, '').slice(0, 15)}`;
    reportFile = join(o.loaded.paths.reports, 'releases', reportName('release', `watch-${version}`, o.envName, new Date(now())));
    journal = ReleaseJournal.open(join(releasesDir(o.loaded.paths.journal), `${id}.jsonl`), { now });
    journal.record({ type: 'started', id, version, env: o.envName, previous, report: reportFile, watch: { durationMs: watchSettings.duration, intervalMs: watchSettings.interval } });
    journal.record({ type: 'phase', phase: 'watch' });
  } else if (!started) {
    say('phase 1: pre-release gate');
    const inputs = await collectGateInputs({ repoDir, release: { current: rel.current, backup: rel.backup, blackout: rel.blackout }, target, request: o.request, now: () => new Date(now()) });
    gate = assembleGate(inputs);
    if (!gate.version) {
      for (const c of gate.checks) say(`  ${c.status.padEnd(5)} ${c.name}: ${c.detail}`);
      throw new Error('the version to release could not be worked out (see the version check above)');
    }
    version = gate.version;
    previous = gate.rollbackTarget?.version ?? gate.previousTag ?? '';
    const id = `${version}_${o.envName}_${new Date(now()).toISOString().replace(/[:.]/g, '').slice(0, 15)}`;
    reportFile = join(o.loaded.paths.reports, 'releases', reportName('release', version, o.envName, new Date(now())));
    journal = ReleaseJournal.open(join(releasesDir(o.loaded.paths.journal), `${id}.jsonl`), { now });
    journal.record({ type: 'started', id, version, env: o.envName, previous, report: reportFile, ...(inputs.head ? { commit: inputs.head } : {}), watch: { durationMs: watchSettings.duration, intervalMs: watchSettings.interval } });
    gateCommit = inputs.head;
  } else {
    version = started.version;
    previous = started.previous;
    reportFile = started.report;
    say(`resuming release ${version} to ${o.envName} (was in phase ${lastPhase ?? 'gate'})`);
  }
  const j = journal!;
  // A resumed release judges against the baseline it journaled before its deploy, in the watch
  // window and in the mini watch after a rollback alike: never one read from what was deployed.
  const journaled = releaseBaselineEvent(prior);
  if (journaled) o.releaseBaseline = baselineOf(journaled);
  if (o.onEvent) {
    for (const e of j.events) o.onEvent(e);
    j.onRecord = o.onEvent;
  }
  const report = new ReportWriter(reportFile);
  const by = j.by;
  const stamp = () => new Date(now()).toISOString();
  const phase = (p: ReleasePhase) => j.record({ type: 'phase', phase: p });
  const vars = { version, previous, env: o.envName };

  const finish = (verdict: Verdict, reason: string, extra: Partial<ReleaseResult> = {}): ReleaseResult => {
    j.record({ type: 'verdict', verdict, reason });
    report.section(`Verdict: ${verdict}`, [`${reason}`, '', `Decided ${stamp()} by ${by}.`]);
    say(verdictLine(verdict, reason));
    j.close();
    return { verdict, reason, report: reportFile, exitCode: verdict === 'Released' || verdict === 'Released-with-override' ? 0 : 1, ...extra };
  };

  try {
    if (!started && watchOnly) {
      report.append(`# Watch window on ${o.envName} (${version})\n\nStarted ${stamp()} by ${by}, after a deploy made by another tool. Rollback target: ${previous || 'none given'}.\n`);
    } else if (!started) {
      report.append(`# Release ${version} to ${o.envName}\n\nStarted ${stamp()} by ${by}. Previous version: ${previous || 'none recorded'}. Report appended phase by phase.\n`);
      // Phase 1: the gate.
      let g = gate!;
      const answer = await o.answerer.preRelease(g);
      for (const ov of answer.overrides) {
        g = applyOverride(g, ov.check, ov.reason, by, new Date(now()));
        j.record({ type: 'decision', gate: `override ${ov.check}`, choice: 'override', reason: ov.reason });
      }
      j.record({ type: 'gate', checks: g.checks.map((c) => ({ name: c.name, status: c.override ? 'warn' : c.status, detail: c.detail + (c.override ? ` (overridden: ${c.override.reason})` : '') })), blocking: g.blocking, summary: gateSummary(g) });
      report.section('Phase 1 — pre-release gate', [
        ...gateSummary(g).map((l) => `- ${l}`),
        '',
        '| check | status | detail |',
        '|---|---|---|',
        ...g.checks.map((c) => `| ${c.name} | ${c.override ? `overridden by ${c.override.by}: ${cell(c.override.reason)}` : c.status} | ${cell(c.detail)} |`),
        '',
        `Decision: **${answer.choice}** by ${by} at ${stamp()}.`,
      ]);
      j.record({ type: 'decision', gate: 'pre-release', choice: answer.choice });
      for (const c of g.checks) say(`  ${c.override ? 'over' : c.status.padEnd(5)} ${c.name}: ${c.detail}`);
      if (answer.choice !== 'proceed') return finish('Aborted', answer.choice === 'edit' ? 'scope to be edited before releasing' : 'aborted at the pre-release gate');
      if (g.blocking) return finish('Aborted', `the gate is blocked: ${g.checks.filter((c) => c.status === 'block' && !c.override).map((c) => c.name).join(', ')}`);

      // Phase 2: strategy.
      phase('strategy');
      const strategy = await o.answerer.strategy(rel.strategies);
      if (!strategy || !rel.strategies.includes(strategy as never)) {
        report.section('Phase 2 — strategy', [`No strategy chosen (offered: ${rel.strategies.join(', ')}).`]);
        return finish('Aborted', 'no deployment strategy chosen');
      }
      j.record({ type: 'strategy', strategy });
      report.section('Phase 2 — strategy', [`${strategy}, chosen by ${by} at ${stamp()} (offered: ${rel.strategies.join(', ')}).`]);

      // Phase 3: execute. First the watch window's baseline, read while the old version still runs,
      // before the phase mark: a stop while it is read (up to a minute) resumes as Aborted, since
      // nothing was deployed, rather than running the rollback command for nothing.
      const pre = await readBaseline(env, target, watchSettings.interval, o.baselineSamples ?? 3, 'before-deploy', now, sleep, say);
      const preEvent = recordBaseline(j, pre);
      o.releaseBaseline = pre.baseline;
      phase('execute');
      let deployOk: { ok: boolean; why: string };
      if (strategy === 'manual') {
        const done = await o.answerer.manual([`deploy ${version} to ${o.envName} by hand`, 'check the service answers', `come back and answer done or failed`]);
        deployOk = { ok: done === 'done', why: done === 'done' ? 'operator reported the manual deploy done' : 'operator reported the manual deploy failed' };
        j.record({ type: 'decision', gate: 'manual', choice: done });
      } else {
        deployOk = await runCommand(j, target, 'deploy', renderCommand(rel.deploy, vars), rel.idleTimeout, say);
      }
      report.section('Phase 3 — execute', [`${baselineLine(preEvent)}`, '', deployOk.why]);
      if (!deployOk.ok) return await rollback(deployOk.why);

      // Phase 4: smoke.
      phase('smoke');
      const smoke = await smokeTests(j, target, env, 'release', say);
      report.section('Phase 4 — smoke tests', smoke.lines.length ? smoke.lines : ['no smoke checks configured']);
      if (!smoke.ok) return await rollback(`smoke test failed: ${smoke.failed.join(', ')}`);
    } else if (!lastPhase || lastPhase === 'strategy') {
      // Cut off at the pre-release gate or the strategy choice: nothing was deployed, and an answer
      // given to a gate that was never recorded as passed is not carried over. Going on to the
      // watch window would "release" (commit, tag) a version that was never deployed.
      const where = lastPhase === 'strategy' ? 'the strategy choice' : 'the pre-release gate';
      report.section('Resumed', [`hubops stopped at ${where}, before anything was deployed: nothing to roll back.`]);
      return finish('Aborted', `interrupted at ${where}, before the deploy; nothing was deployed (start the release again)`);
    } else if (['execute', 'smoke', 'rollback'].includes(lastPhase)) {
      // Cut off mid-deploy or mid-smoke: what is deployed is unknown. Go back to known ground, once
      // a command this hubops died under is no longer running there.
      const resumed = [`hubops stopped during ${lastPhase}; the state of ${o.envName} is unknown, so the release rolls back.`];
      const cut = unfinishedCommand(prior);
      if (cut) {
        const line = await stopLeftover(target, cut.mark, `the ${cut.purpose} command the last hubops died under`, say);
        say(line);
        resumed.push(line);
      }
      report.section('Resumed', resumed);
      return await rollback(`interrupted during ${lastPhase}; state unknown`);
    }

    // Phase 5: watch window (its phase mark is recorded when the window starts, which the resume replays from).
    if (lastPhase !== 'commit') {
      const outcome = await watchWindow(j, prior, watchSettings, 'watch', o, target, env, say, now, sleep, report, by, lastPhase !== 'watch' ? () => phase('watch') : undefined);
      if (outcome.kind === 'rollback') return await rollback(outcome.reason);
      if (outcome.kind === 'skipped') {
        if (!watchOnly) await commit();
        return finish('Released-with-override', `watch window skipped on purpose: ${outcome.reason}`);
      }
    }
    if (watchOnly || started?.id.startsWith('watch_')) return finish('Released', `watch window passed: ${formatDuration(watchSettings.duration)} with no breach left standing`);
    await commit();
    return finish('Released', `watched ${formatDuration(watchSettings.duration)} with no breach left standing`);
  } catch (err) {
    j.record({ type: 'note', text: `error: ${(err as Error).message}` });
    report.section('Error', [(err as Error).message]);
    j.close();
    throw err;
  }

  async function commit(): Promise<void> {
    phase('commit');
    const lines: string[] = [];
    // The window lasts half an hour: someone may have committed or switched branch meanwhile. The
    // tag then goes on the commit the gate passed, and the changelog is left for a person: promoted
    // and committed on what HEAD is now, it would file the new commits under this release.
    let head: string | undefined;
    try {
      head = await headCommit(repoDir);
    } catch (err) {
      lines.push(`HEAD not read: ${(err as Error).message}`);
    }
    // The gate's commit, when HEAD is no longer it (nor the release's own changelog commit on it).
    const moved = gateCommit !== undefined && head !== gateCommit && !(head && (await isReleaseCommitOn(repoDir, head, gateCommit, version))) ? gateCommit : undefined;
    if (moved) {
      const why = head ? `HEAD moved since the gate (${moved.slice(0, 12)} → ${head.slice(0, 12)})` : 'HEAD could not be read';
      lines.push(`${why}: CHANGELOG.md left as it is; if [${version}] is not in it yet, move [Unreleased] under it by hand.`);
    } else {
      try {
        const clPath = join(repoDir, 'CHANGELOG.md');
        const text = readFileSync(clPath, 'utf8');
        const promoted = promoteUnreleased(text, version, new Date(now()).toISOString().slice(0, 10));
        await writeChangelog(clPath, promoted);
        lines.push(`CHANGELOG.md: [Unreleased] moved under [${version}].`);
      } catch (err) {
        lines.push(`CHANGELOG.md not updated: ${(err as Error).message}`);
      }
      // Committed before tagging: the tag holds the changelog, and the next gate finds a clean tree.
      try {
        const subject = await commitChangelog(repoDir, 'CHANGELOG.md', version);
        if (subject) lines.push(`CHANGELOG.md committed: ${subject}.`);
      } catch (err) {
        lines.push(`CHANGELOG.md not committed (commit it before the next release): ${(err as Error).message}`);
      }
    }
    try {
      const tag = await tagRelease(repoDir, version, `Release ${version} to ${o.envName}`, moved);
      lines.push(moved ? `Tagged ${tag} on ${moved.slice(0, 12)}, the commit the gate passed.` : `Tagged ${tag}.`);
    } catch (err) {
      lines.push(`Tag not created: ${(err as Error).message}`);
    }
    await announce(lines);
  }

  async function announce(lines: string[]): Promise<void> {
    const said = lines.length;
    try {
      const t = await loadTemplate('release-announcement', o.loaded.paths.templateDir ? [o.loaded.paths.templateDir] : []);
      lines.push('', 'Announcement:', '', renderTemplate(t.text, { version, env: o.envName, verdict: 'Released', project: o.loaded.config.project, changes: [] }));
    } catch (err) {
      lines.push(`Announcement not rendered: ${(err as Error).message}`);
    }
    for (const l of lines.slice(0, said)) say(l);
    report.section('Phase 6 — commit', lines);
  }

  async function rollback(reason: string): Promise<ReleaseResult> {
    phase('rollback');
    say(`rolling back: ${reason}`);
    const rbFile = join(o.loaded.paths.reports, 'releases', reportName('rollback', version, o.envName, new Date(now())));
    const rb = new ReportWriter(rbFile);
    rb.append(`# Rollback of ${version} on ${o.envName}\n\nWhy: ${reason}\n\nStarted ${stamp()} (${by}); back to ${previous || 'the previous version'}. Release report: ${reportFile}\n`);
    report.section('Rollback', [`Rolling back: ${reason}. See ${rbFile}.`]);
    const cmd = await runCommand(j, target, 'rollback', renderCommand(rel!.rollback, vars), rel!.idleTimeout, say);
    rb.section('Rollback command', [cmd.why]);
    let smokeOk = false;
    let miniOk = false;
    if (cmd.ok) {
      const smoke = await smokeTests(j, target, env, 'rollback', say);
      rb.section('Smoke tests after rollback', smoke.lines.length ? smoke.lines : ['no smoke checks configured']);
      smokeOk = smoke.ok;
      if (smokeOk) {
        const mini = await watchWindow(j, [], { ...watchSettings, duration: o.miniWatchMs ?? Math.min(5 * 60_000, watchSettings.duration) }, 'mini', { ...o, answerer: autoRollbackAnswerer }, target, env, say, now, sleep, rb, by);
        miniOk = mini.kind !== 'rollback';
        rb.section('Mini watch after rollback', [miniOk ? 'passed' : `failed: ${mini.kind === 'rollback' ? mini.reason : ''}`]);
      }
    }
    if (!cmd.ok || !smokeOk || !miniOk) {
      const what = !cmd.ok ? 'the rollback command failed' : !smokeOk ? 'smoke tests fail after the rollback' : 'the mini watch after the rollback failed';
      rb.section('SYSTEM STATE UNKNOWN', [`${what}. Take over by hand: hubops cannot bring ${o.envName} back to a known state.`]);
      say(`SYSTEM STATE UNKNOWN — ${what}; take over by hand`);
      return finish('Rolled-Back', `${reason}; then ${what} — system state unknown, escalate to a human`, { rollbackReport: rbFile });
    }
    rb.section('Result', [`${o.envName} is back on ${previous || 'the previous version'}, smoke tests and mini watch passed.`]);
    return finish('Rolled-Back', reason, { rollbackReport: rbFile });
  }
}

function gateSummary(g: GateReport): string[] {
  const kinds = Object.entries(g.groups)
    .filter(([, list]) => Array.isArray(list) && list.length > 0)
    .map(([k, list]) => `${k} ${(list as unknown[]).length}`);
  return [
    `version ${g.version ?? '?'} (${g.versionSource ?? '?'}; suggested bump ${g.suggestedBump}) after ${g.previousTag ?? 'no tag'}`,
    `${g.commitCount} commits: ${kinds.join(', ') || 'none'}`,
    `rollback target: ${g.rollbackTarget ? `${g.rollbackTarget.version} (${g.rollbackTarget.source})` : 'none'}`,
  ];
}

const autoRollbackAnswerer: Answerer = {
  preRelease: async () => ({ choice: 'abort', overrides: [] }),
  strategy: async () => undefined,
  manual: async () => 'failed',
  soft: async () => ({ answer: 'rollback' }),
  countdown: async () => 'elapsed',
  afterStop: async () => 'rollback',
};

/** The deploy or rollback command the journal says was started and never finished, if any. */
function unfinishedCommand(events: readonly ReleaseEvent[]): Extract<ReleaseEvent, { type: 'command-started' }> | undefined {
  const last = [...events].reverse().find((e) => e.type === 'command-started' || e.type === 'command');
  return last?.type === 'command-started' ? last : undefined;
}

/** Runs a deploy or rollback command: output streamed, a non-zero exit or `idleMs` of silence fails it. */
async function runCommand(j: ReleaseJournal, target: Target, purpose: 'deploy' | 'rollback', command: string, idleMs: number, say: (l: string) => void): Promise<{ ok: boolean; why: string }> {
  // A link that is down (or was just cut under the deploy) is waited for: the command cannot run
  // without it, and the target stops a command cut off by the drop before it runs this one. The
  // idle timeout starts after that wait. The target tells what it stopped as soon as the link is
  // back, which can be during the wait: heard from before it.
  const quiet = target.onNotice?.((text) => say(`  ${text}`));
  await waitForLink(target, say);
  const ac = new AbortController();
  let idle = setTimeout(() => ac.abort(), idleMs);
  let idleFired = false;
  ac.signal.addEventListener('abort', () => (idleFired = true));
  const mark = newRunMark();
  j.record({ type: 'command-started', purpose, command, mark });
  say(`$ ${command}`);
  const r = await target.run(command, {
    mark,
    signal: ac.signal,
    tailLines: 50,
    onLine: (line) => {
      say(`  | ${line}`);
      clearTimeout(idle);
      idle = setTimeout(() => ac.abort(), idleMs);
    },
  });
  clearTimeout(idle);
  quiet?.();
  const error = idleFired ? `no output for ${formatDuration(idleMs)} (idle timeout)` : r.error;
  j.record({ type: 'command', purpose, command, code: r.code, durationMs: r.durationMs, tail: r.tail.slice(-20), ...(error ? { error } : {}) });
  const ok = r.code === 0 && !error;
  const why = ok ? `${purpose} command exited 0 in ${formatDuration(r.durationMs)}` : `${purpose} command ${error ?? `exited ${r.code}`} after ${formatDuration(r.durationMs)}`;
  say(`  ${why}`);
  return { ok, why: `${why}\n\n\`\`\`\n$ ${command}\n${r.tail.slice(-20).join('\n')}\n\`\`\`` };
}

async function smokeTests(j: ReleaseJournal, target: Target, env: Environment, round: 'release' | 'rollback', say: (l: string) => void): Promise<{ ok: boolean; failed: string[]; lines: string[] }> {
  const failed: string[] = [];
  const lines: string[] = [];
  for (const s of env.release?.smoke ?? []) {
    let ok = false;
    let detail = '';
    try {
      if (s.http) {
        const r = await httpGet(target, s.http, { timeoutMs: s.timeout });
        ok = r.status === s.expectStatus;
        detail = `HTTP ${r.status}${ok ? '' : `, expected ${s.expectStatus}`}`;
      } else if (s.run) {
        const r = await target.run(s.run, { timeoutMs: s.timeout, tailLines: 3 });
        ok = r.code === 0;
        detail = r.error ?? `exit ${r.code}`;
      }
    } catch (err) {
      detail = describeNetError(err);
    }
    j.record({ type: 'smoke', name: s.name, ok, detail, round });
    say(`  smoke ${s.name}: ${ok ? 'ok' : 'FAILED'} (${detail})`);
    lines.push(`- ${ok ? 'ok' : '**failed**'} ${s.name}: ${detail}`);
    if (!ok) failed.push(s.name);
  }
  return { ok: failed.length === 0, failed, lines };
}

type WatchOutcome = { kind: 'passed' } | { kind: 'rollback'; reason: string } | { kind: 'skipped'; reason: string };

/**
 * The watch window: against the baseline read before the deploy (journaled; in watch mode, read
 * now, as nothing earlier was seen), a sample every interval until the window ends, the engine
 * deciding. Resumed windows replay the samples already journaled; the gap counts as no data.
 * `begin` is called when the window starts (the runner records the phase mark there).
 */
async function watchWindow(
  j: ReleaseJournal,
  prior: ReleaseEvent[],
  settings: Environment['watch'],
  window: 'watch' | 'mini',
  o: ReleaseOptions,
  target: Target,
  env: Environment,
  say: (l: string) => void,
  now: () => number,
  sleep: (ms: number) => Promise<void>,
  report: ReportWriter,
  by: string,
  begin?: () => void,
): Promise<WatchOutcome> {
  const sampler = new WatchSampler(env, target, now);
  const names = sampler.configured();
  const config: WatchConfig = {
    ...settings,
    metrics: Object.fromEntries(names.filter((n) => n !== 'requestRate').map((n) => [n, {}])),
    softPolicy: 'gate',
  };
  try {
    const events: WatchEvent[] = [];
    const recorded = releaseBaselineEvent(j.events);
    const watchMark = [...prior].reverse().find((e) => e.type === 'phase' && e.phase === 'watch');
    let baseline: Baseline;
    let startAt: number;
    if (window === 'watch' && recorded && watchMark) {
      baseline = baselineOf(recorded);
      o.releaseBaseline = baseline;
      // The window started at its phase mark (journals of older versions: at their baseline, read after it).
      startAt = Math.max(Date.parse(watchMark.at), Date.parse(recorded.at));
      events.push({ type: 'start', at: startAt, baseline, config });
      // Samples and the answers given at gates, in journal order: the window resumes exactly.
      for (const e of prior) {
        const at = Date.parse(e.at);
        if (e.type === 'sample' && e.window === 'watch') events.push({ type: 'sample', at, sample: { at, metrics: e.metrics, health: e.health } });
        if (e.type === 'decision' && e.gate === 'soft') events.push({ type: 'gate-answer', at, answer: e.choice as 'continue' | 'rollback' | 'extend', minutes: e.reason ? Number.parseInt(e.reason, 10) : undefined, by: e.by });
        if (e.type === 'decision' && e.gate === 'countdown') events.push({ type: 'countdown-stopped', at, by: e.by });
        if (e.type === 'decision' && e.gate === 'after-stop') events.push({ type: 'gate-answer', at, answer: e.choice === 'rollback' ? 'rollback' : 'continue', by: e.by });
      }
      say(`watch window resumed with ${events.length - 1} samples already taken; the gap counts as no data`);
    } else if (window === 'mini' && o.releaseBaseline) {
      // After a rollback, judge against the pre-deploy baseline, once the metrics have had time
      // to follow the change (rates lag by their window): two intervals of settling.
      baseline = o.releaseBaseline;
      // A scrape source needs two scrapes for a rate: prime it while the metrics settle.
      await sampler.sample();
      await sleep(2 * settings.interval);
      startAt = now();
      events.push({ type: 'start', at: startAt, baseline, config });
      report.section('Mini watch', [`Against the pre-deploy baseline, after ${formatDuration(2 * settings.interval)} of settling.`, '', ...describeRules(config, baseline).map((l) => `- ${l}`)]);
    } else if (window === 'watch' && recorded) {
      // The baseline was read before the deploy. A scrape source has no history: this window's
      // sampler scrapes the new version once, and the window starts when a rate can be read.
      baseline = baselineOf(recorded);
      if (sampler.origin() === 'scrape' && names.length > 0) {
        const wait = readingSpacing(settings.interval);
        await sampler.sample();
        say(`waiting ${formatDuration(wait)} before the watch window: a rate needs two scrapes of the new version, and this is its first`);
        await sleep(wait);
      }
      begin?.();
      startAt = now();
      events.push({ type: 'start', at: startAt, baseline, config });
      report.section('Phase 5 — watch window', [baselineLine(recorded), '', ...describeRules(config, baseline).map((l) => `- ${l}`)]);
    } else {
      // Watch mode (the deploy was made by another tool: nothing earlier was seen), or no
      // baseline on record (a resume of a release cut off before it had one): read one now.
      const b = await takeBaseline(sampler, settings.interval, o.baselineSamples ?? 3, window === 'watch' ? 'window-start' : 'after-rollback', now, sleep, say);
      baseline = b.baseline;
      const event = recordBaseline(j, b);
      if (window === 'watch') {
        o.releaseBaseline = baseline;
        begin?.();
      }
      startAt = now();
      events.push({ type: 'start', at: startAt, baseline, config });
      report.section(window === 'watch' ? 'Phase 5 — watch window' : 'Mini watch', [baselineLine(event), '', ...describeRules(config, baseline).map((l) => `- ${l}`)]);
    }
    let state: WatchState = replay(events, now());
    say(`${window === 'watch' ? 'watch window' : 'mini watch'}: ${formatDuration(settings.duration)} at ${formatDuration(settings.interval)} intervals`);
    let reported = intervalsOf(state).length;
    const apply = (e: WatchEvent) => {
      state = reduceWatch(state, e);
    };

    for (;;) {
      const d = decisionOf(state);
      const scored = intervalsOf(state);
      for (const s of scored.slice(reported)) {
        const line = `interval ${s.index + 1}: ${s.level}${s.breaches.length ? ` — ${s.breaches.map((b) => b.text).join('; ')}` : ''}${s.source === 'gap' ? ' (no sample: counts as no data)' : ''}`;
        say(`  ${line}`);
        report.append(`- ${line}`);
      }
      reported = scored.length;
      if (d === 'watching') {
        const pollAt = nextPollAt(state);
        if (pollAt === null) {
          // Every slot has its sample: wait for the window to end, then let time close it.
          await sleep(Math.max(0, (state.endAt ?? now()) - now()) + 1);
          apply({ type: 'tick', at: now() });
          continue;
        }
        if (pollAt > now()) await sleep(pollAt - now());
        // The sample belongs to the moment its queries started, not when they came back.
        const t0 = now();
        const sample = await sampler.sample();
        const t1 = now();
        j.record({ type: 'sample', window, metrics: sample.metrics, health: sample.health });
        apply({ type: 'sample', at: t1, sample: { at: t0, ...sample } });
        apply({ type: 'tick', at: t1 });
        continue;
      }
      if (d.kind === 'passed') {
        j.record({ type: 'watch-decision', window, kind: 'passed', reasons: [] });
        report.append(`\nWindow passed at ${new Date(now()).toISOString()}.`);
        return { kind: 'passed' };
      }
      if (d.kind === 'skipped') return { kind: 'skipped', reason: d.reason };
      if (d.kind === 'rolled-back-by-user') {
        j.record({ type: 'watch-decision', window, kind: 'rolled-back-by-user', reasons: [] });
        return { kind: 'rollback', reason: `rolled back by ${d.by} at the soft gate` };
      }
      if (d.kind === 'soft-gate') {
        j.record({ type: 'watch-decision', window, kind: 'soft-gate', reasons: d.reasons });
        say(`  soft breach: ${d.reasons.join('; ')}`);
        const a = await o.answerer.soft(d.reasons);
        j.record({ type: 'decision', gate: 'soft', choice: a.answer, reason: a.minutes ? `${a.minutes} min` : '' });
        report.append(`- soft breach (${d.reasons.join('; ')}): ${a.answer}${a.minutes ? ` ${a.minutes} min` : ''} by ${by} at ${new Date(now()).toISOString()}`);
        apply({ type: 'gate-answer', at: now(), answer: a.answer, minutes: a.minutes, by });
        continue;
      }
      // Hard.
      j.record({ type: 'watch-decision', window, kind: 'hard', reasons: d.reasons });
      say(`  HARD breach: ${d.reasons.join('; ')}`);
      if (d.critical || d.stopped === undefined) {
        const seconds = d.critical ? 0 : Math.max(0, Math.round(((d.rollbackAt ?? now()) - now()) / 1000));
        const c = seconds > 0 ? await o.answerer.countdown(d.reasons, seconds) : 'elapsed';
        if (c === 'stopped') {
          j.record({ type: 'decision', gate: 'countdown', choice: 'stopped' });
          report.append(`- automatic rollback stopped by ${by} at ${new Date(now()).toISOString()}`);
          apply({ type: 'countdown-stopped', at: now(), by });
          const next = await o.answerer.afterStop(d.reasons);
          j.record({ type: 'decision', gate: 'after-stop', choice: next });
          apply({ type: 'gate-answer', at: now(), answer: next === 'rollback' ? 'rollback' : 'continue', by });
          if (next === 'rollback') return { kind: 'rollback', reason: `hard breach (${d.reasons.join('; ')}); rolled back by ${by} after stopping the countdown` };
          continue;
        }
      }
      return { kind: 'rollback', reason: `hard breach: ${d.reasons.join('; ')}` };
    }
  } finally {
    await sampler.stop();
  }
}

/** The baseline event a release is judged against: the first one journaled before any rollback (later ones belong to a mini watch). */
export function releaseBaselineEvent(events: readonly ReleaseEvent[]): Extract<ReleaseEvent, { type: 'baseline' }> | undefined {
  for (const e of events) {
    if (e.type === 'phase' && e.phase === 'rollback') return undefined;
    if (e.type === 'baseline') return e;
  }
  return undefined;
}

function baselineOf(e: Extract<ReleaseEvent, { type: 'baseline' }>): Baseline {
  return Object.fromEntries(Object.entries(e.metrics).filter(([, v]) => v.mean !== null).map(([k, v]) => [k, { mean: v.mean!, count: v.samples }]));
}

type TakenBaseline = { baseline: Baseline; source: string; names: readonly string[] };

function recordBaseline(j: ReleaseJournal, b: TakenBaseline): Extract<ReleaseEvent, { type: 'baseline' }> {
  const metrics = Object.fromEntries(b.names.map((n) => [n, { mean: b.baseline[n]?.mean ?? null, samples: b.baseline[n]?.count ?? 0 }]));
  return j.record({ type: 'baseline', metrics, source: b.source }) as Extract<ReleaseEvent, { type: 'baseline' }>;
}

/** `Baseline (source): errorRate 0.0102, p99 none.` for the report. */
function baselineLine(e: Extract<ReleaseEvent, { type: 'baseline' }>): string {
  const values = Object.entries(e.metrics).map(([n, v]) => `${n} ${v.mean !== null ? v.mean.toPrecision(3) : 'none'}`);
  return `Baseline (${e.source}): ${values.join(', ') || 'no metrics configured'}.`;
}

/** A Prometheus baseline covers this many watch intervals before its end. */
const BASELINE_RANGE_INTERVALS = 10;
/**
 * Longest wait between two baseline readings read one by one (a scrape source, or a Prometheus
 * without the range), and between a scrape watch's first scrape and its window's start. The
 * readings are taken before the deploy, while a person waits for it: at the 1 min default
 * interval, three readings an interval apart would hold the deploy back three minutes. Each
 * reading is a rate since the first scrape (up to the query's range), so three readings 20 s
 * apart cover the last minute of the old version.
 */
export const MAX_READING_SPACING_MS = 20_000;

export function readingSpacing(intervalMs: number): number {
  return Math.min(intervalMs, MAX_READING_SPACING_MS);
}

/** A baseline with a sampler of its own, stopped once read (before the deploy: the watch window's sampler starts after it). */
async function readBaseline(env: Environment, target: Target, intervalMs: number, samples: number, when: BaselineWhen, now: () => number, sleep: (ms: number) => Promise<void>, say: (l: string) => void): Promise<TakenBaseline> {
  const sampler = new WatchSampler(env, target, now);
  try {
    return await takeBaseline(sampler, intervalMs, samples, when, now, sleep, say);
  } finally {
    await sampler.stop();
  }
}

type BaselineWhen = 'before-deploy' | 'window-start' | 'after-rollback';

/**
 * Reads a baseline: the Prometheus range of the last 10 intervals when there is one, or else
 * `samples` readings that each hold a value — from a scrape source, a first scrape primes the
 * rates (a rate needs two scrapes), then a reading every `readingSpacing`. The source says when
 * it was read, so the report never passes off an after-the-deploy baseline as a before one.
 */
async function takeBaseline(sampler: WatchSampler, intervalMs: number, samples: number, when: BaselineWhen, now: () => number, sleep: (ms: number) => Promise<void>, say: (l: string) => void): Promise<TakenBaseline> {
  const names = sampler.configured();
  if (names.length === 0) {
    say('baseline: no metrics configured, none to read (the watch window judges the health checks)');
    return { baseline: {}, source: 'no metrics configured', names };
  }
  const done = (b: TakenBaseline): TakenBaseline => {
    say(`baseline (${b.source}): ${names.map((n) => `${n} ${b.baseline[n] ? b.baseline[n]!.mean.toPrecision(3) : 'none'}`).join(', ')}`);
    return b;
  };
  const end = now();
  try {
    const range = await sampler.prometheusBaseline(end - BASELINE_RANGE_INTERVALS * intervalMs, end, intervalMs);
    if (range && Object.values(range).some((v) => v.length > 0)) {
      const rangeWhen = when === 'before-deploy' ? 'before the deploy' : when === 'window-start' ? 'before the watch window (a deploy made just before it falls inside)' : 'before the mini watch (no pre-deploy baseline on record)';
      return done({ baseline: baselineFromValues(range), source: `Prometheus, ${BASELINE_RANGE_INTERVALS} intervals (${formatDuration(BASELINE_RANGE_INTERVALS * intervalMs)}) ${rangeWhen}`, names });
    }
  } catch {
    /* fall back to readings */
  }
  const origin = sampler.origin();
  const spacing = readingSpacing(intervalMs);
  const scrape = origin === 'scrape';
  const readWhen = when === 'before-deploy' ? 'before the deploy' : when === 'window-start' ? 'after the deploy (nothing from before it on record)' : 'after the rollback (no pre-deploy baseline on record)';
  say(`baseline ${readWhen}: ${scrape ? 'a first scrape, then ' : ''}${samples} reading${samples === 1 ? '' : 's'} ${formatDuration(spacing)} apart (${formatDuration((scrape ? samples : samples - 1) * spacing)})${when === 'before-deploy' ? '; the deploy starts after them' : ''}`);
  const values: Record<string, number[]> = {};
  // A scrape source's first answer holds no rate (one scrape): it only primes the window.
  if (scrape) await sampler.sample();
  for (let i = 0; i < samples; i++) {
    if (scrape || i > 0) await sleep(spacing);
    const s = await sampler.sample();
    for (const [k, v] of Object.entries(s.metrics)) if (typeof v === 'number') (values[k] ??= []).push(v);
  }
  return done({ baseline: baselineFromValues(values), source: `${samples} ${scrape ? 'scrape' : 'Prometheus'} reading${samples === 1 ? '' : 's'} ${formatDuration(spacing)} apart, ${readWhen}`, names });
}

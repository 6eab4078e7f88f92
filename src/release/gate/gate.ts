// Phase 1 of a release, the pre-release gate, as one pure function: the raw texts collect.ts
// gathered (git output, the changelog, the output of `release.current` and `release.backup.run`,
// the time) in, a GateReport out. The screen shows the report and takes A proceed / B abort /
// C edit scope; proceeding is possible only while `blocking` is false.
//
// Checks, in the order shown:
//   version    block: a requested VERSION that is not valid semver or not above the last tag, a
//              last tag that is not semver; warn: a bump smaller than the commits call for.
//   commits    warn: no commits since the last tag (a re-release of the same code).
//   changelog  block: CHANGELOG.md missing, no `## [Unreleased]`, or nothing in it.
//   tree       block: tracked files modified, staged, deleted or in conflict; warn: untracked files
//              only (they are not in the tag, but may be in a build made from this folder).
//   backup     block: last backup older than maxAge, or its time unknown (command failed,
//              output not a timestamp, time in the future); warn: no backup command configured.
//   blackout   block: a blackout rule in force.
//   rollback   block: nothing to roll back to (no `release.current` output and no previous tag);
//              warn: `release.current` failed and the previous tag stands in for it.
//
// Overrides: only `blackout`, `backup` and `rollback` can be overridden, with a reason and a name
// (applyOverride). The others are fixed where they are (edit the changelog, commit, pick another
// version) — a shortcut past them would be skipping work, not taking a risk knowingly. An
// overridden check keeps its status (`block`) and carries the override; it no longer counts
// towards `blocking`.

import { activeBlackouts, type ActiveBlackout, type BlackoutRule } from './blackout.js';
import { assessBackup, quoteOutput, type BackupRun, type BackupStatus } from './backup.js';
import { inspectChangelog, type ChangelogInspection } from './changelog.js';
import {
  commitsSince,
  emptyGroups,
  isUnderBump,
  resolveVersion,
  suggestBump,
  tagVersion,
  type Bump,
  type Commit,
  type CommitGroups,
  type ReleaseLevel,
  type VersionRequest,
} from './commits.js';

export type CheckName = 'version' | 'commits' | 'changelog' | 'tree' | 'backup' | 'blackout' | 'rollback';
export type CheckStatus = 'pass' | 'block' | 'warn';

export const OVERRIDABLE_CHECKS: readonly CheckName[] = ['blackout', 'backup', 'rollback'];

export interface GateOverride {
  reason: string;
  by: string;
  /** ISO 8601, when the caller gave the time. */
  at?: string;
}

export interface GateCheck {
  name: CheckName;
  status: CheckStatus;
  detail: string;
  /** True when a `block` here may be overridden with a reason. */
  overridable: boolean;
  override?: GateOverride;
}

/** A command run on the environment's target, as collect.ts reports it. */
export type CommandRun = BackupRun;

export interface GateInputs {
  now: Date;
  /** IANA zone for blackout rules; this machine's local time when omitted. */
  timeZone?: string | undefined;
  request: VersionRequest;
  /** The commit the gate looked at (HEAD when it was read): the one a Released release tags. */
  head?: string | undefined;
  /** `git describe --tags --abbrev=0`; undefined when the repository has no tag. */
  lastTag: string | undefined;
  /** `git log --format=%H%x1f%s%x1f%b%x1e <lastTag>..HEAD`. */
  gitLog: string;
  /** `git status --porcelain`. */
  gitStatus: string;
  changelog: { path: string; text: string | undefined };
  /** `release.backup`: its maxAge and what its command printed; undefined when not configured. */
  backup?: { maxAgeMs: number; run: BackupRun } | undefined;
  /** `release.current` and what it printed; undefined when not configured. */
  current?: CommandRun | undefined;
  blackouts: readonly BlackoutRule[];
}

export type ChangelogState = ({ path: string } & ChangelogInspection) | { path: string; status: 'no-file' };

export type BackupState = BackupStatus | { state: 'not-configured' };

export interface RollbackTarget {
  /** The version (or whatever `release.current` printed) to go back to. */
  version: string;
  source: 'current' | 'previous-tag';
}

export interface TreeState {
  clean: boolean;
  /** Tracked paths with changes (`M src/a.ts`), as porcelain prints them. */
  changes: string[];
  untracked: string[];
}

export interface GateReport {
  /** The version to release; undefined when it could not be worked out (see the `version` check). */
  version: string | undefined;
  /** `vX.Y.Z`. */
  tag: string | undefined;
  previousTag: string | undefined;
  /** How the release steps from the previous tag; undefined with the version. */
  bump: ReleaseLevel | undefined;
  suggestedBump: Bump;
  versionSource: 'requested' | 'bump' | 'suggested' | undefined;
  groups: CommitGroups;
  merges: Commit[];
  /** Commits left out because a revert in the same range undid them (and those reverts). */
  cancelled: Commit[];
  commitCount: number;
  changelog: ChangelogState;
  treeClean: boolean;
  tree: TreeState;
  backup: BackupState;
  blackouts: ActiveBlackout[];
  rollbackTarget: RollbackTarget | undefined;
  checks: GateCheck[];
  /** True while a `block` check has no override: the gate cannot be passed. */
  blocking: boolean;
  /** ISO 8601 time the gate was assembled for. */
  at: string;
}

export class GateError extends Error {
  override name = 'GateError';
}

/** `git status --porcelain` (v1) → tracked changes and untracked files. */
export function parsePorcelain(text: string): TreeState {
  const changes: string[] = [];
  const untracked: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    if (line.startsWith('?? ')) untracked.push(line.slice(3));
    else if (!line.startsWith('!! ')) changes.push(line.trim());
  }
  return { clean: changes.length === 0 && untracked.length === 0, changes, untracked };
}

function list(items: readonly string[], max = 5): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The last non-empty line of a command's output. */
function lastLine(output: string): string | undefined {
  return output
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .at(-1);
}

export function assembleGate(inputs: GateInputs): GateReport {
  const checks: GateCheck[] = [];
  const add = (name: CheckName, status: CheckStatus, detail: string) =>
    checks.push({ name, status, detail, overridable: OVERRIDABLE_CHECKS.includes(name) });

  // Commits first: the suggestion depends on them.
  let summary: ReturnType<typeof commitsSince>;
  let logError: string | undefined;
  try {
    summary = commitsSince(inputs.gitLog);
  } catch (err) {
    logError = (err as Error).message;
    summary = { groups: emptyGroups(), merges: [], cancelled: [], all: [] };
  }
  const { groups } = summary;
  const counted = Object.values(groups).reduce((n, g) => n + g.length, 0);
  const suggested = suggestBump(groups, inputs.lastTag);

  // version
  let plan: ReturnType<typeof resolveVersion> | undefined;
  try {
    plan = resolveVersion(inputs.lastTag, inputs.request, suggested);
  } catch (err) {
    add('version', 'block', (err as Error).message);
  }
  if (plan) {
    const from = inputs.lastTag !== undefined ? `${inputs.lastTag} → ` : 'first release: ';
    const how =
      plan.source === 'requested' ? 'as requested' : plan.source === 'bump' ? `${plan.level} bump as requested` : `suggested ${suggested} bump`;
    if (isUnderBump(plan.level, suggested)) {
      add('version', 'warn', `${from}${plan.version} (${how}), but the commits call for a ${suggested} release`);
    } else {
      add('version', 'pass', `${from}${plan.version} (${how})`);
    }
  }

  // commits
  if (logError !== undefined) {
    add('commits', 'block', `cannot read the commits: ${logError}`);
  } else if (counted === 0) {
    const extra = summary.cancelled.length > 0 ? ` (${plural(summary.cancelled.length, 'commit')} cancelled by reverts)` : '';
    add('commits', 'warn', `no changes since ${inputs.lastTag ?? 'the first commit'}${extra}: this would release the same code again`);
  } else {
    const parts = (['breaking', 'feat', 'fix', 'security', 'other'] as const)
      .filter((k) => groups[k].length > 0)
      .map((k) => `${groups[k].length} ${k}`);
    add('commits', 'pass', `${plural(counted, 'commit')} since ${inputs.lastTag ?? 'the first commit'}: ${parts.join(', ')}`);
  }

  // changelog
  let changelog: ChangelogState;
  const path = inputs.changelog.path;
  if (inputs.changelog.text === undefined) {
    changelog = { path, status: 'no-file' };
    add('changelog', 'block', `${path} not found: add one with a "## [Unreleased]" section`);
  } else {
    const c = inspectChangelog(inputs.changelog.text);
    changelog = { path, ...c };
    if (c.status === 'missing') add('changelog', 'block', `${path} has no "## [Unreleased]" section`);
    else if (c.status === 'empty') add('changelog', 'block', `${path}:${c.line}: [Unreleased] is empty: describe the changes before releasing`);
    else add('changelog', 'pass', `${path}:${c.line}: [Unreleased] has ${plural(c.entries, 'entry', 'entries')}`);
  }

  // tree
  const tree = parsePorcelain(inputs.gitStatus);
  if (tree.changes.length > 0) {
    add('tree', 'block', `working tree not clean: ${plural(tree.changes.length, 'changed file')} (${list(tree.changes)}): commit or stash first`);
  } else if (tree.untracked.length > 0) {
    add('tree', 'warn', `${plural(tree.untracked.length, 'untracked file')} (${list(tree.untracked)}): not in the tag`);
  } else {
    add('tree', 'pass', 'working tree clean');
  }

  // backup
  let backup: BackupState;
  if (inputs.backup === undefined) {
    backup = { state: 'not-configured' };
    add('backup', 'warn', 'no backup check configured (release.backup)');
  } else {
    backup = assessBackup(inputs.backup.run, inputs.backup.maxAgeMs, inputs.now);
    add('backup', backup.state === 'fresh' ? 'pass' : 'block', backup.detail);
  }

  // blackout
  let blackouts: ActiveBlackout[] = [];
  try {
    blackouts = activeBlackouts(inputs.blackouts, inputs.now, inputs.timeZone);
    if (blackouts.length > 0) add('blackout', 'block', `blackout in force: ${blackouts.map((b) => b.text).join('; ')}`);
    else add('blackout', 'pass', inputs.blackouts.length > 0 ? `no blackout in force (${plural(inputs.blackouts.length, 'rule')})` : 'no blackout rules');
  } catch (err) {
    add('blackout', 'block', `cannot evaluate the blackout rules: ${(err as Error).message}`);
  }

  // rollback
  let rollbackTarget: RollbackTarget | undefined;
  const previous = inputs.lastTag;
  const cur = inputs.current;
  const curLine = cur && cur.error === undefined && cur.exitCode === 0 ? lastLine(cur.output) : undefined;
  if (curLine !== undefined) {
    rollbackTarget = { version: curLine, source: 'current' };
    if (plan !== undefined && tagVersion(curLine) === plan.version) {
      add('rollback', 'warn', `release.current says ${curLine} is deployed already: rolling back would go to the version being released`);
    } else {
      add('rollback', 'pass', `rollback target: ${curLine} (deployed now, from release.current)`);
    }
  } else {
    const why =
      cur === undefined
        ? undefined
        : cur.error !== undefined || cur.exitCode !== 0
          ? `release.current ${cur.error ?? `exited with code ${cur.exitCode}`}${cur.output.trim() || cur.stderr?.trim() ? `: ${quoteOutput([cur.output, cur.stderr ?? ''].join('\n'))}` : ''}`
          : 'release.current printed nothing';
    if (previous !== undefined) {
      rollbackTarget = { version: previous, source: 'previous-tag' };
      if (why === undefined) add('rollback', 'pass', `rollback target: ${previous} (the previous tag)`);
      else add('rollback', 'warn', `${why}; rollback target: ${previous} (the previous tag)`);
    } else {
      add('rollback', 'block', `no rollback target: ${why ?? 'no release.current configured'} and no previous tag`);
    }
  }

  return {
    version: plan?.version,
    tag: plan?.tag,
    previousTag: inputs.lastTag,
    bump: plan?.level,
    suggestedBump: suggested,
    versionSource: plan?.source,
    groups,
    merges: summary.merges,
    cancelled: summary.cancelled,
    commitCount: counted,
    changelog,
    treeClean: tree.clean,
    tree,
    backup,
    blackouts,
    rollbackTarget,
    checks,
    blocking: isBlocking(checks),
    at: inputs.now.toISOString(),
  };
}

function isBlocking(checks: readonly GateCheck[]): boolean {
  return checks.some((c) => c.status === 'block' && c.override === undefined);
}

/**
 * Records an override of one blocking check: returns a new report (the given one is not changed).
 * Throws GateError when the check does not exist, is not blocking, cannot be overridden, or when
 * the reason or the name is empty. `at` is when it was decided (pass it: the record needs who and when).
 */
export function applyOverride(report: GateReport, checkName: CheckName, reason: string, by: string, at?: Date): GateReport {
  const check = report.checks.find((c) => c.name === checkName);
  if (!check) throw new GateError(`no check named "${checkName}" in this gate`);
  if (check.status !== 'block') throw new GateError(`the ${checkName} check is not blocking (${check.status}): nothing to override`);
  if (!check.overridable) {
    throw new GateError(`the ${checkName} check cannot be overridden (only ${OVERRIDABLE_CHECKS.join(', ')} can): ${check.detail}`);
  }
  if (reason.trim() === '') throw new GateError('an override needs a reason');
  if (by.trim() === '') throw new GateError('an override needs the name of who decided it');
  const override: GateOverride = { reason: reason.trim(), by: by.trim() };
  if (at !== undefined) override.at = at.toISOString();
  const checks = report.checks.map((c) => (c === check ? { ...c, override } : c));
  return { ...report, checks, blocking: isBlocking(checks) };
}

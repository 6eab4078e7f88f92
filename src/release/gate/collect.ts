// The I/O around the pre-release gate: what assembleGate needs, gathered from the repository, the
// changelog and the environment's target; and the two writes of phase 6 (the annotated tag, the
// promoted changelog).
//
// git runs here, on this machine, in the repository folder, through execFile with an argument
// array — never a shell line — with LC_ALL=C (so its messages can be recognised),
// GIT_TERMINAL_PROMPT=0 and GIT_OPTIONAL_LOCKS=0 (so `git status` does not take the index lock
// while someone else works in the repository). `release.current` and `release.backup.run` run on
// the environment's target (Target.run), since that is where the service and its backups live;
// only their standard output is read for the answer, standard error is kept for the message.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Environment } from '../../config/schema.js';
import type { Target } from '../../targets/target.js';
import type { BlackoutRule } from './blackout.js';
import type { BackupRun } from './backup.js';
import { GIT_LOG_FORMAT, releaseTag, tagVersion, type VersionRequest } from './commits.js';
import { GateError, type GateInputs } from './gate.js';

export type ReleaseConfig = NonNullable<Environment['release']>;

export interface CollectOptions {
  /** The repository being released (its working tree). */
  repoDir: string;
  /** Default: CHANGELOG.md in repoDir. */
  changelogPath?: string;
  /** The environment's `release` section (only current, backup and blackout are read). */
  release: {
    current?: string | undefined;
    backup?: { run: string; maxAge: number } | undefined;
    blackout?: readonly BlackoutRule[] | undefined;
  };
  /** The environment's target: `release.current` and `release.backup.run` run there. */
  target: Target;
  request?: VersionRequest;
  timeZone?: string;
  /** The clock, read once everything has been gathered (default: the system clock). */
  now?: () => Date;
  /** Time limit for each command on the target (default 60 s). */
  commandTimeoutMs?: number;
  signal?: AbortSignal;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;

const GIT_ENV = { LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' };
const COMMIT_TIMEOUT_MS = 120_000;

interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs git with an argument array in `cwd`; resolves with its exit code (rejects only if git cannot start). */
export function runGit(cwd: string, args: readonly string[], signal?: AbortSignal): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args,
      { cwd, env: { ...process.env, ...GIT_ENV }, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8', ...(signal ? { signal } : {}) },
      (err, stdout, stderr) => {
        if (err && typeof (err as NodeJS.ErrnoException).code !== 'number') {
          reject(new GateError(`cannot run git in ${cwd}: ${err.message}`));
          return;
        }
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
    // Nothing is ever typed to git here: a hook that reads its input gets end-of-file, not a wait.
    child.stdin?.end();
  });
}

async function gitOk(cwd: string, args: readonly string[], signal?: AbortSignal): Promise<string> {
  const r = await runGit(cwd, args, signal);
  if (r.code !== 0) throw new GateError(`git ${args.join(' ')} failed in ${cwd}: ${r.stderr.trim() || `exit code ${r.code}`}`);
  return r.stdout;
}

/**
 * The last release tag reachable from HEAD (`git describe --tags --abbrev=0`, only tags that look
 * like versions: `v1.2.3` or `1.2.3`), or undefined when there is none.
 */
export async function lastReleaseTag(repoDir: string, signal?: AbortSignal, at = 'HEAD'): Promise<string | undefined> {
  const args = ['describe', '--tags', '--abbrev=0', '--match', 'v[0-9]*', '--match', '[0-9]*', '--end-of-options', at];
  const r = await runGit(repoDir, args, signal);
  if (r.code === 0) return r.stdout.trim() || undefined;
  if (/No names found|No tags can describe|cannot describe/i.test(r.stderr)) return undefined;
  throw new GateError(`git ${args.join(' ')} failed in ${repoDir}: ${r.stderr.trim() || `exit code ${r.code}`}`);
}

/**
 * `git log` of the commits since `lastTag` (all of HEAD's history without one), in the parser's
 * format. `--topo-order` puts every commit before its parents even when commit dates are skewed, so
 * a revert always comes after (is newer than) the commit it reverts.
 */
export function gitLogArgs(lastTag: string | undefined, head = 'HEAD'): string[] {
  return ['log', '--topo-order', `--format=${GIT_LOG_FORMAT}`, '--end-of-options', lastTag === undefined ? head : `refs/tags/${lastTag}..${head}`];
}

/** The commit HEAD points at (full hash). Throws GateError when there is none (no commit yet). */
export async function headCommit(repoDir: string, signal?: AbortSignal): Promise<string> {
  return (await gitOk(repoDir, ['rev-parse', '--verify', '--end-of-options', 'HEAD^{commit}'], signal)).trim();
}

/** Runs a command on the target; standard output and error kept apart. Never rejects. */
export async function runOnTarget(target: Target, command: string, timeoutMs: number, signal?: AbortSignal): Promise<BackupRun> {
  const out: string[] = [];
  const err: string[] = [];
  try {
    const r = await target.run(command, {
      timeoutMs,
      ...(signal ? { signal } : {}),
      onLine: (line, stream) => (stream === 'stdout' ? out : err).push(line),
    });
    const run: BackupRun = { output: out.join('\n'), exitCode: r.code, stderr: err.join('\n') };
    if (r.error !== undefined) run.error = r.error;
    return run;
  } catch (e) {
    return { output: out.join('\n'), exitCode: null, error: (e as Error).message, stderr: err.join('\n') };
  }
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new GateError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

/**
 * Gathers everything the gate needs. Throws GateError only when the repository itself cannot be
 * read (not a git repository, no commit yet); a failing backup or current command is part of the
 * report, not an exception.
 */
export async function collectGateInputs(opts: CollectOptions): Promise<GateInputs> {
  const { repoDir, target, signal } = opts;
  const timeoutMs = opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const changelogPath = opts.changelogPath ?? join(repoDir, 'CHANGELOG.md');
  const backupCfg = opts.release.backup;
  const currentCmd = opts.release.current?.trim() ? opts.release.current : undefined;

  const [history, gitStatus, changelogText, backupRun, currentRun] = await Promise.all([
    (async () => {
      // One commit for everything the gate reads from history, and the one the release tags.
      const head = await headCommit(repoDir, signal);
      const lastTag = await lastReleaseTag(repoDir, signal, head);
      const gitLog = await gitOk(repoDir, gitLogArgs(lastTag, head), signal);
      return { head, lastTag, gitLog };
    })(),
    gitOk(repoDir, ['status', '--porcelain'], signal),
    readIfExists(changelogPath),
    backupCfg ? runOnTarget(target, backupCfg.run, timeoutMs, signal) : Promise.resolve(undefined),
    currentCmd !== undefined ? runOnTarget(target, currentCmd, timeoutMs, signal) : Promise.resolve(undefined),
  ]);

  return {
    now: opts.now?.() ?? new Date(),
    timeZone: opts.timeZone,
    request: opts.request ?? {},
    head: history.head,
    lastTag: history.lastTag,
    gitLog: history.gitLog,
    gitStatus,
    changelog: { path: changelogPath, text: changelogText },
    backup: backupCfg && backupRun ? { maxAgeMs: backupCfg.maxAge, run: backupRun } : undefined,
    current: currentRun,
    blackouts: opts.release.blackout ?? [],
  };
}

/**
 * Phase 6: the annotated tag `vX.Y.Z` on `commit` (default HEAD): `git tag -a vX.Y.Z -m MESSAGE
 * COMMIT`. Returns the tag. Throws GateError when the version is not semver or git refuses (tag
 * already there, no identity).
 */
export async function tagRelease(repoDir: string, version: string, message: string, commit = 'HEAD'): Promise<string> {
  const v = tagVersion(version);
  if (v === undefined) throw new GateError(`"${version}" is not a semver version`);
  const tag = releaseTag(v);
  const msg = message.trim() === '' ? `Release ${tag}` : message;
  await gitOk(repoDir, ['tag', '-a', tag, '-m', msg, '--end-of-options', commit]);
  return tag;
}

/**
 * Commits CHANGELOG.md (`file`) alone, as `chore(release): <tag>`, so that the release tag holds
 * the promoted changelog and the next release's gate finds a clean tree. Nothing else is
 * committed, whatever else the tree holds; hooks run as for any commit. Returns the commit's
 * subject, or undefined when the file has no change to commit (a resumed release had committed it).
 */
export async function commitChangelog(repoDir: string, file: string, version: string): Promise<string | undefined> {
  const v = tagVersion(version);
  if (v === undefined) throw new GateError(`"${version}" is not a semver version`);
  if ((await gitOk(repoDir, ['status', '--porcelain', '--', file])).trim() === '') return undefined;
  const subject = `chore(release): ${releaseTag(v)}`;
  await gitOk(repoDir, ['add', '--', file]);
  // Hooks and signing run as for any commit of the user's, but never hold the release forever
  // (a hook that waits, a pinentry nobody answers): after two minutes it is reported as not done.
  const signal = AbortSignal.timeout(COMMIT_TIMEOUT_MS);
  try {
    await gitOk(repoDir, ['commit', '-q', '-m', subject, '--', file], signal);
  } catch (err) {
    if (signal.aborted) throw new GateError(`git commit did not finish within ${COMMIT_TIMEOUT_MS / 1000} s (a hook or commit signing waiting?)`);
    throw err;
  }
  return subject;
}

/**
 * Whether `commit` is this release's own changelog commit (`chore(release): vX.Y.Z`) made right on
 * `parent`: what HEAD is after a release that stopped between its changelog commit and its tag.
 */
export async function isReleaseCommitOn(repoDir: string, commit: string, parent: string, version: string): Promise<boolean> {
  const v = tagVersion(version);
  if (v === undefined) return false;
  const r = await runGit(repoDir, ['log', '-1', '--format=%P%x1f%s', '--end-of-options', commit]);
  if (r.code !== 0) return false;
  const [parents, subject] = r.stdout.trim().split('\x1f');
  return parents === parent && subject === `chore(release): ${releaseTag(v)}`;
}

/**
 * Replaces the file at `path` with `text` atomically: written and fsynced to a temporary file in the
 * same folder, then renamed over it (and the folder fsynced), so a crash leaves the old file or the
 * new one, never half of one. The old file's permissions are kept.
 */
export async function writeChangelog(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let mode = 0o644;
  try {
    mode = (await stat(path)).mode & 0o7777;
  } catch {
    // A new file.
  }
  let renamed = false;
  try {
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(text, 'utf8');
      await fh.chmod(mode);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    renamed = true;
    try {
      const d = await open(dir, 'r');
      try {
        await d.sync();
      } finally {
        await d.close();
      }
    } catch {
      // Some file systems cannot fsync a directory; the rename itself is still atomic.
    }
  } finally {
    if (!renamed) await unlink(tmp).catch(() => {});
  }
}

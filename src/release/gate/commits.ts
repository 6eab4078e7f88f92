// Commits since the last tag, read the Conventional Commits way, and the version they call for.
//
// Input is the text of
//   git log --format=%H%x1f%s%x1f%b%x1e <lastTag>..HEAD
// (fields separated by U+001F, records ended by U+001E; git puts a newline after each record).
//
// Classification (https://www.conventionalcommits.org/en/v1.0.0/):
// - header `type(scope)!: description`; the type is matched case-insensitively, the space after the
//   colon is optional (`fix:typo` is common enough that refusing it would only hide a fix);
// - breaking: a `!` before the colon, or a `BREAKING CHANGE:` / `BREAKING-CHANGE:` footer (upper
//   case, as the spec says) — on any commit, conventional or not. Breaking wins over every type;
// - `feat` → feat; `fix` → fix; `security` / `sec`, and `fix(security)` / `fix(sec)` → security;
// - everything else (chore, docs, refactor, perf, subjects that are not conventional at all,
//   `fixup!` leftovers) → other;
// - merge commits (`Merge branch …`, `Merge pull request …`, `Merged in …`) are set apart in
//   `merges` and never counted: the commits they bring in are listed by git log themselves;
// - reverts (`Revert "…"`, `Reapply "…"`, or `revert: …`) name the commit they revert in the body
//   (`This reverts commit <hash>.`, or a `Refs: <hash>` footer). When that commit is in the same
//   range, the change never shipped: both leave the groups and go to `cancelled` (a revert of a
//   revert brings the original back). A revert of an already released commit is an `other` change
//   (patch level, as semantic-release does).
//
// Bump: breaking → major, feat → minor, anything else → patch. Before 1.0.0 (a last tag 0.y.z) a
// breaking change suggests minor, as semver's 0.x practice goes (0.y.z may change anything; the
// minor number is what signals incompatibility) — asking for `major` explicitly still gives 1.0.0.
// With no tag yet the first version is 0.1.0 (semver FAQ: "start your initial development release
// at 0.1.0"); an explicit `--bump major` makes it 1.0.0 instead, and an explicit VERSION is taken as
// given. Tags may be `v1.2.3` or `1.2.3`; the tag hubops creates is always `vX.Y.Z`.

import semver from 'semver';

export const COMMIT_KINDS = ['breaking', 'feat', 'fix', 'security', 'other'] as const;
export type CommitKind = (typeof COMMIT_KINDS)[number];

export const BUMPS = ['major', 'minor', 'patch'] as const;
export type Bump = (typeof BUMPS)[number];

/** What a release is relative to the last tag; `initial` when there is no tag yet. */
export type ReleaseLevel = Bump | 'prerelease' | 'initial';

export interface Commit {
  hash: string;
  /** The whole first line, as written. */
  subject: string;
  /** The body (without the subject), trailing blank lines removed. */
  body: string;
  /** Conventional type, lower case (`feat`, `chore`, …); undefined when the header is not conventional. */
  type?: string;
  scope?: string;
  /** The header after `type(scope)!: `; the whole subject when not conventional. */
  description: string;
  breaking: boolean;
  /** Text of the `BREAKING CHANGE:` footer, when there is one. */
  breakingNote?: string;
  kind: CommitKind;
  merge: boolean;
  /** Set on revert commits: the reverted header (as quoted in the subject) and hash (from the body). */
  revert?: { header: string; hash?: string };
}

export type CommitGroups = Record<CommitKind, Commit[]>;

export interface CommitSummary {
  /** Counted commits by kind, newest first (git log order). */
  groups: CommitGroups;
  /** Merge commits: shown, never counted. */
  merges: Commit[];
  /** Commits reverted within the range, and the reverts that cancelled them. */
  cancelled: Commit[];
  /** Every commit parsed, newest first. */
  all: Commit[];
}

export class VersionError extends Error {
  override name = 'VersionError';
}

export const FIELD_SEP = '\x1f';
export const RECORD_SEP = '\x1e';
/** The `--format` the parser expects. */
export const GIT_LOG_FORMAT = '%H%x1f%s%x1f%b%x1e';

const HEADER_RE = /^(?<type>[A-Za-z][\w-]*)(?:\((?<scope>[^()\r\n]*)\))?(?<bang>!)?:[ \t]*(?<desc>\S.*)$/;
const MERGE_RE =
  /^(?:Merge (?:branch(?:es)? |remote-tracking branch(?:es)? |pull request |tag |commit |tracking branch |'|"|[0-9a-f]{7,40}\b)|Merged (?:in |PR |branch ))/;
const GIT_REVERT_RE = /^(?:Revert|Reapply) "(?<header>.*)"\s*$/;
const REVERTS_HASH_RE = /This reverts commit (?<hash>[0-9a-f]{7,64})/;
const REFS_HASH_RE = /^Refs?:[ \t]*(?<hash>[0-9a-f]{7,64})\b/m;
const BREAKING_FOOTER_RE = /^BREAKING[ -]CHANGE:[ \t]*(?<note>.*)$/m;
const FOOTER_TOKEN_RE = /^(?:[A-Za-z][\w-]*|BREAKING CHANGE)(?:: | #)/;

/** Parses `git log --format=%H%x1f%s%x1f%b%x1e` output. Throws on text that is not in that shape. */
export function parseGitLog(text: string): Commit[] {
  const commits: Commit[] = [];
  for (const raw of text.split(RECORD_SEP)) {
    const record = raw.replace(/^[\r\n]+/, '');
    if (record.trim() === '') continue;
    const sep1 = record.indexOf(FIELD_SEP);
    const sep2 = sep1 === -1 ? -1 : record.indexOf(FIELD_SEP, sep1 + 1);
    const hash = sep1 === -1 ? record.trim() : record.slice(0, sep1).trim();
    if (sep1 === -1 || !/^[0-9a-f]{4,64}$/.test(hash)) {
      throw new Error(`unexpected git log output (expected --format=${GIT_LOG_FORMAT}): ${JSON.stringify(record.slice(0, 80))}`);
    }
    const subject = sep2 === -1 ? record.slice(sep1 + 1) : record.slice(sep1 + 1, sep2);
    const body = sep2 === -1 ? '' : record.slice(sep2 + 1);
    commits.push(classifyCommit(hash, subject.trim(), body));
  }
  return commits;
}

/** Reads one commit's header and body. */
export function classifyCommit(hash: string, subject: string, body: string): Commit {
  const cleanBody = body.replace(/\r\n/g, '\n').replace(/\s+$/, '');
  const commit: Commit = { hash, subject, body: cleanBody, description: subject, breaking: false, kind: 'other', merge: false };

  if (MERGE_RE.test(subject)) {
    commit.merge = true;
    return commit;
  }

  const footer = BREAKING_FOOTER_RE.exec(cleanBody);
  if (footer) {
    commit.breaking = true;
    const note = breakingNote(cleanBody, footer.index, footer.groups?.note ?? '');
    if (note !== '') commit.breakingNote = note;
  }

  const gitRevert = GIT_REVERT_RE.exec(subject);
  const header = HEADER_RE.exec(subject);
  if (header?.groups) {
    const g = header.groups;
    commit.type = g.type!.toLowerCase();
    if (g.scope !== undefined && g.scope.trim() !== '') commit.scope = g.scope.trim();
    commit.description = g.desc!.trim();
    if (g.bang) commit.breaking = true;
  }

  if (gitRevert?.groups || commit.type === 'revert') {
    const revert: { header: string; hash?: string } = {
      header: gitRevert?.groups ? gitRevert.groups.header! : commit.description,
    };
    const h = REVERTS_HASH_RE.exec(cleanBody)?.groups?.hash ?? REFS_HASH_RE.exec(cleanBody)?.groups?.hash;
    if (h !== undefined) revert.hash = h;
    commit.revert = revert;
  }

  commit.kind = kindOf(commit);
  return commit;
}

function kindOf(c: Commit): CommitKind {
  if (c.breaking) return 'breaking';
  if (c.revert) return 'other';
  const scope = c.scope?.toLowerCase();
  switch (c.type) {
    case 'feat':
      return 'feat';
    case 'security':
    case 'sec':
      return 'security';
    case 'fix':
      return scope === 'security' || scope === 'sec' ? 'security' : 'fix';
    default:
      return 'other';
  }
}

/** The footer's first line plus continuation lines, up to a blank line or the next footer. */
function breakingNote(body: string, index: number, first: string): string {
  const rest = body.slice(index).split('\n').slice(1);
  const lines = [first.trim()];
  for (const line of rest) {
    if (line.trim() === '' || FOOTER_TOKEN_RE.test(line)) break;
    lines.push(line.trim());
  }
  return lines.filter((l) => l !== '').join(' ');
}

export function emptyGroups(): CommitGroups {
  return { breaking: [], feat: [], fix: [], security: [], other: [] };
}

/** Groups commits (newest first, as git log gives them) by kind, applying merges and reverts. */
export function summarizeCommits(commits: readonly Commit[]): CommitSummary {
  const byHash = new Map<string, Commit>();
  for (const c of commits) byHash.set(c.hash, c);
  const find = (hash: string): Commit | undefined => {
    const exact = byHash.get(hash);
    if (exact) return exact;
    const matches = commits.filter((c) => c.hash.startsWith(hash) || hash.startsWith(c.hash));
    return matches.length === 1 ? matches[0] : undefined;
  };

  // Oldest first, so a revert always meets the commit it reverts before itself.
  const active = new Set<Commit>();
  const effects = new Map<Commit, { removed: Commit } | { restored: Commit }>();
  const cancelled = new Set<Commit>();
  const merges: Commit[] = [];
  for (const c of [...commits].reverse()) {
    if (c.merge) {
      merges.unshift(c);
      continue;
    }
    const target = c.revert?.hash !== undefined ? find(c.revert.hash) : findBySubject(c, commits);
    if (!c.revert || target === undefined) {
      active.add(c);
      continue;
    }
    cancelled.add(c);
    cancelled.add(target);
    if (active.has(target)) {
      active.delete(target);
      effects.set(c, { removed: target });
      continue;
    }
    const effect = effects.get(target);
    if (effect && 'removed' in effect) {
      active.add(effect.removed);
      cancelled.delete(effect.removed);
      effects.set(c, { restored: effect.removed });
    } else if (effect && 'restored' in effect) {
      active.delete(effect.restored);
      cancelled.add(effect.restored);
      effects.set(c, { removed: effect.restored });
    } else {
      // The target is in range but was never counted (a merge): the revert stands on its own.
      cancelled.delete(c);
      cancelled.delete(target);
      active.add(c);
    }
  }

  const groups = emptyGroups();
  for (const c of commits) if (active.has(c)) groups[c.kind].push(c);
  return { groups, merges, cancelled: commits.filter((c) => cancelled.has(c)), all: [...commits] };
}

/** A revert without a hash in its body: the newest older commit whose subject it quotes. */
function findBySubject(revert: Commit, commits: readonly Commit[]): Commit | undefined {
  if (!revert.revert || revert.revert.hash !== undefined) return undefined;
  const i = commits.indexOf(revert);
  return commits.slice(i + 1).find((c) => c.subject === revert.revert!.header);
}

/** Shorthand: parse git log output and summarize it. */
export function commitsSince(gitLogText: string): CommitSummary {
  return summarizeCommits(parseGitLog(gitLogText));
}

/** `v1.2.3` / `1.2.3` → `1.2.3`; undefined when it is not a semver version. */
export function tagVersion(tag: string): string | undefined {
  const t = tag.trim();
  const bare = /^v/i.test(t) ? t.slice(1) : t;
  const v = semver.valid(bare);
  return v !== null && v === bare ? v : undefined;
}

/** The git tag hubops makes for a version. */
export function releaseTag(version: string): string {
  return `v${version}`;
}

export const FIRST_VERSION = '0.1.0';

/**
 * breaking → major, feat → minor, else patch; with a last version below 1.0.0, breaking → minor.
 * `lastVersion` may be a tag (`v0.4.2`) or a version; without it (no tag yet) the rules are as for
 * 1.x (the first version is chosen by nextVersion anyway).
 */
export function suggestBump(groups: CommitGroups, lastVersion?: string): Bump {
  if (groups.breaking.length > 0) {
    const v = lastVersion !== undefined ? tagVersion(lastVersion) : undefined;
    return v !== undefined && semver.major(v) === 0 ? 'minor' : 'major';
  }
  if (groups.feat.length > 0) return 'minor';
  return 'patch';
}

/**
 * The version after `last` (a tag or a version) for `bump`. Without a last tag: 0.1.0, or 1.0.0
 * when `major` is asked for. Throws VersionError when `last` is not semver.
 */
export function nextVersion(last: string | undefined, bump: Bump): string {
  if (last === undefined) return bump === 'major' ? '1.0.0' : FIRST_VERSION;
  const v = tagVersion(last);
  if (v === undefined) throw new VersionError(`the last tag "${last}" is not a semver version (expected v1.2.3 or 1.2.3)`);
  const next = semver.inc(v, bump);
  if (next === null) throw new VersionError(`cannot apply a ${bump} bump to ${v}`);
  return next;
}

export interface VersionRequest {
  /** `hubops release VERSION` (with or without a leading v). */
  version?: string;
  /** `hubops release --bump …`. */
  bump?: Bump;
}

export interface VersionPlan {
  version: string;
  tag: string;
  level: ReleaseLevel;
  /** Where the version came from: given on the command line, a requested bump, or the suggestion. */
  source: 'requested' | 'bump' | 'suggested';
}

/** How `version` relates to `last` (both plain versions). */
export function releaseLevel(last: string | undefined, version: string): ReleaseLevel {
  if (last === undefined) return 'initial';
  const a = semver.parse(last);
  const b = semver.parse(version);
  if (!a || !b) throw new VersionError(`not a semver version: ${!a ? last : version}`);
  if (b.prerelease.length > 0) return 'prerelease';
  if (b.major !== a.major) return 'major';
  if (b.minor !== a.minor) return 'minor';
  return 'patch';
}

/**
 * The version to release: the requested VERSION (valid semver, greater than the last tag), else the
 * requested bump, else the suggested one. Throws VersionError with a sentence for the screen.
 */
export function resolveVersion(lastTag: string | undefined, request: VersionRequest, suggested: Bump): VersionPlan {
  if (request.version !== undefined && request.bump !== undefined) {
    throw new VersionError('give either a VERSION or --bump, not both');
  }
  const last = lastTag === undefined ? undefined : tagVersion(lastTag);
  if (lastTag !== undefined && last === undefined) {
    throw new VersionError(`the last tag "${lastTag}" is not a semver version (expected v1.2.3 or 1.2.3)`);
  }
  if (request.version !== undefined) {
    const asked = request.version.trim();
    const v = tagVersion(asked);
    if (v === undefined) {
      throw new VersionError(`"${request.version}" is not a valid semver version (expected MAJOR.MINOR.PATCH, e.g. 1.4.0)`);
    }
    if (last !== undefined && !semver.gt(v, last)) {
      throw new VersionError(`${v} is not greater than the last tag ${lastTag} (${last}); the next versions would be ${nextVersion(last, 'patch')}, ${nextVersion(last, 'minor')} or ${nextVersion(last, 'major')}`);
    }
    return { version: v, tag: releaseTag(v), level: releaseLevel(last, v), source: 'requested' };
  }
  const bump = request.bump ?? suggested;
  // No tag yet: the first version is 0.1.0 whatever the history suggests; only asking for major gives 1.0.0.
  const version = last === undefined && request.bump === undefined ? FIRST_VERSION : nextVersion(last, bump);
  return {
    version,
    tag: releaseTag(version),
    level: last === undefined ? 'initial' : bump,
    source: request.bump !== undefined ? 'bump' : 'suggested',
  };
}

const LEVEL_RANK: Record<Bump, number> = { patch: 0, minor: 1, major: 2 };

/** True when `level` is a smaller step than `suggested` (e.g. a patch release carrying a feature). */
export function isUnderBump(level: ReleaseLevel, suggested: Bump): boolean {
  if (level === 'initial' || level === 'prerelease') return false;
  return LEVEL_RANK[level] < LEVEL_RANK[suggested];
}

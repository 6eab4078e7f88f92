import { describe, expect, it } from 'vitest';
import {
  classifyCommit,
  commitsSince,
  emptyGroups,
  isUnderBump,
  nextVersion,
  parseGitLog,
  resolveVersion,
  suggestBump,
  summarizeCommits,
  tagVersion,
  VersionError,
  type Commit,
  type CommitGroups,
} from '../../src/release/gate/commits.js';

let n = 0;
const hash = () => (++n).toString(16).padStart(40, 'a');

/** git log output, newest first, exactly as `--format=%H%x1f%s%x1f%b%x1e` prints it. */
function log(...commits: Array<{ h?: string; s: string; b?: string }>): string {
  return commits.map((c) => `${c.h ?? hash()}\x1f${c.s}\x1f${c.b ?? ''}\x1e`).join('\n') + '\n';
}

const c = (subject: string, body = ''): Commit => classifyCommit(hash(), subject, body);
const kinds = (g: CommitGroups) => Object.fromEntries(Object.entries(g).map(([k, v]) => [k, v.map((x) => x.subject)]));

describe('parseGitLog', () => {
  it('reads records with bodies spanning lines, and the newline git adds after each record', () => {
    const h1 = 'a'.repeat(40);
    const h2 = 'b'.repeat(40);
    const text = `${h1}\x1ffeat(api): add x\x1fLong body\n\nwith lines\n\x1e\n${h2}\x1ffix: y\x1f\x1e\n`;
    const commits = parseGitLog(text);
    expect(commits.map((x) => [x.hash, x.subject, x.body])).toEqual([
      [h1, 'feat(api): add x', 'Long body\n\nwith lines'],
      [h2, 'fix: y', ''],
    ]);
  });
  it('is empty for no output, and refuses text in another shape', () => {
    expect(parseGitLog('')).toEqual([]);
    expect(parseGitLog('\n')).toEqual([]);
    expect(() => parseGitLog('commit abc\nAuthor: x\n')).toThrow(/unexpected git log output/);
  });
  it('keeps a body that itself contains the field separator', () => {
    const [one] = parseGitLog(`${'c'.repeat(40)}\x1ffix: a\x1fbody\x1fmore\x1e`);
    expect(one!.body).toBe('body\x1fmore');
  });
});

describe('classifyCommit', () => {
  it('reads type, scope and description', () => {
    const x = c('feat(api): add the export endpoint');
    expect(x).toMatchObject({ type: 'feat', scope: 'api', description: 'add the export endpoint', breaking: false, kind: 'feat' });
    expect(c('Fix: typo in banner')).toMatchObject({ type: 'fix', kind: 'fix' });
    expect(c('fix:no space')).toMatchObject({ type: 'fix', description: 'no space', kind: 'fix' });
  });
  it('feat(api)!: x is breaking', () => {
    expect(c('feat(api)!: drop v1 routes')).toMatchObject({ type: 'feat', scope: 'api', breaking: true, kind: 'breaking' });
    expect(c('refactor!: rename config keys')).toMatchObject({ breaking: true, kind: 'breaking' });
  });
  it('a BREAKING CHANGE footer makes any commit breaking, with its note', () => {
    const x = c('fix: y', 'Explain the fix.\n\nBREAKING CHANGE: the `limit` option is now required\nand has no default.\nRefs: #12');
    expect(x).toMatchObject({ type: 'fix', breaking: true, kind: 'breaking' });
    expect(x.breakingNote).toBe('the `limit` option is now required and has no default.');
    expect(c('chore: deps', 'BREAKING-CHANGE: node 22 required')).toMatchObject({ kind: 'breaking', breakingNote: 'node 22 required' });
    const plain = c('Update things', 'BREAKING CHANGE: yes');
    expect(plain.type).toBeUndefined();
    expect(plain.kind).toBe('breaking');
  });
  it('the footer must be upper case at the start of a line', () => {
    expect(c('fix: y', 'breaking change: lower case').kind).toBe('fix');
    expect(c('fix: y', 'This is not a BREAKING CHANGE: in the middle').kind).toBe('fix');
  });
  it('security and sec, and fix(security), are security', () => {
    expect(c('security: escape user names in the audit log').kind).toBe('security');
    expect(c('sec(auth): rotate the session key').kind).toBe('security');
    expect(c('fix(security): CSRF token check').kind).toBe('security');
    expect(c('fix(sec): CSRF token check').kind).toBe('security');
    expect(c('security!: remove MD5 password hashes').kind).toBe('breaking');
  });
  it('anything else is other', () => {
    for (const s of ['chore: bump deps', 'docs(readme): typo', 'perf: faster boot', 'Update README', 'WIP', 'fixup! feat: x', 'feat add x', ''])
      expect(c(s).kind, s).toBe('other');
    expect(c('Update README').type).toBeUndefined();
  });
  it('recognises merge commits and counts them nowhere', () => {
    for (const s of [
      "Merge branch 'feature/x'",
      "Merge branch 'main' into release",
      'Merge pull request #42 from acme/feat-x',
      "Merge remote-tracking branch 'origin/main'",
      'Merged in feature/x (pull request #3)',
    ]) {
      expect(c(s).merge, s).toBe(true);
    }
    expect(c('merge: combine two tables').merge).toBe(false);
  });
  it('reads reverts in the git and the conventional forms', () => {
    const h = 'd'.repeat(40);
    expect(c('Revert "feat: z"', `This reverts commit ${h}.`).revert).toEqual({ header: 'feat: z', hash: h });
    expect(c('revert: feat(api)!: drop v1', 'Refs: 1234abcd').revert).toEqual({ header: 'feat(api)!: drop v1', hash: '1234abcd' });
    const r = c('Revert "feat(api)!: drop v1"');
    expect(r).toMatchObject({ breaking: false, kind: 'other' });
  });
});

describe('summarizeCommits', () => {
  it('groups by kind, newest first', () => {
    const s = commitsSince(
      log({ s: 'feat(api)!: x' }, { s: 'fix: y', b: 'BREAKING CHANGE: z' }, { s: 'feat: a' }, { s: 'fix: b' }, { s: 'security: c' }, { s: 'chore: d' }, { s: 'hello' }),
    );
    expect(kinds(s.groups)).toEqual({
      breaking: ['feat(api)!: x', 'fix: y'],
      feat: ['feat: a'],
      fix: ['fix: b'],
      security: ['security: c'],
      other: ['chore: d', 'hello'],
    });
  });
  it('a revert of a commit in the same range cancels both', () => {
    const h = 'e'.repeat(40);
    const s = commitsSince(log({ s: 'Revert "feat: z"', b: `This reverts commit ${h}.` }, { s: 'fix: keep' }, { h, s: 'feat: z' }));
    expect(kinds(s.groups)).toEqual({ ...kinds(emptyGroups()), fix: ['fix: keep'] });
    expect(s.cancelled.map((x) => x.subject)).toEqual(['Revert "feat: z"', 'feat: z']);
  });
  it('a revert of a revert brings the original back', () => {
    const h = '1'.repeat(40);
    const r1 = '2'.repeat(40);
    const s = commitsSince(
      log(
        { s: 'Revert "Revert "feat: z""', b: `This reverts commit ${r1}.` },
        { h: r1, s: 'Revert "feat: z"', b: `This reverts commit ${h}.` },
        { h, s: 'feat: z' },
      ),
    );
    expect(kinds(s.groups).feat).toEqual(['feat: z']);
    expect(s.cancelled.map((x) => x.subject)).toEqual(['Revert "Revert "feat: z""', 'Revert "feat: z"']);
  });
  it('a revert of an already released commit is an other change', () => {
    const s = commitsSince(log({ s: 'Revert "feat: old"', b: `This reverts commit ${'9'.repeat(40)}.` }));
    expect(kinds(s.groups).other).toEqual(['Revert "feat: old"']);
    expect(suggestBump(s.groups, 'v1.0.0')).toBe('patch');
  });
  it('matches a revert without a hash by the subject it quotes', () => {
    const s = commitsSince(log({ s: 'revert: feat: z' }, { s: 'feat: z' }));
    expect(s.cancelled).toHaveLength(2);
    expect(s.groups.feat).toEqual([]);
  });
  it('abbreviated hashes in the revert body find their commit', () => {
    const h = 'f0e1d2c3'.padEnd(40, '7');
    const s = commitsSince(log({ s: 'Revert "feat: z"', b: 'This reverts commit f0e1d2c3.' }, { h, s: 'feat: z' }));
    expect(s.cancelled).toHaveLength(2);
  });
  it('merges are listed apart and never drive the bump', () => {
    const s = commitsSince(log({ s: 'Merge pull request #7 from acme/x', b: 'feat!: x' }, { s: 'fix: y' }));
    expect(s.merges.map((m) => m.subject)).toEqual(['Merge pull request #7 from acme/x']);
    expect(kinds(s.groups).fix).toEqual(['fix: y']);
    expect(suggestBump(s.groups, 'v1.0.0')).toBe('patch');
  });
  it('keeps every commit in `all`', () => {
    const commits = parseGitLog(log({ s: 'a' }, { s: 'b' }));
    expect(summarizeCommits(commits).all).toHaveLength(2);
  });
});

describe('suggestBump', () => {
  const g = (...subjects: string[]) => commitsSince(log(...subjects.map((s) => ({ s })))).groups;
  it('breaking → major, feat → minor, else patch', () => {
    expect(suggestBump(g('feat!: x', 'feat: y'), 'v1.2.3')).toBe('major');
    expect(suggestBump(g('feat: y', 'fix: z'), 'v1.2.3')).toBe('minor');
    expect(suggestBump(g('fix: z', 'security: s', 'chore: c'), 'v1.2.3')).toBe('patch');
    expect(suggestBump(g(), 'v1.2.3')).toBe('patch');
  });
  it('in 0.x a breaking change suggests minor', () => {
    expect(suggestBump(g('feat!: x'), 'v0.4.2')).toBe('minor');
    expect(suggestBump(g('feat!: x'), '0.4.2')).toBe('minor');
    expect(suggestBump(g('feat: x'), 'v0.4.2')).toBe('minor');
    expect(suggestBump(g('feat!: x'))).toBe('major');
  });
});

describe('versions', () => {
  it('reads tags with and without v', () => {
    expect(tagVersion('v1.2.3')).toBe('1.2.3');
    expect(tagVersion('1.2.3')).toBe('1.2.3');
    expect(tagVersion('v1.3.0-rc.1')).toBe('1.3.0-rc.1');
    for (const bad of ['1.2', 'v1', 'latest', 'v01.2.3', '1.2.3.4', 'vv1.2.3', '']) expect(tagVersion(bad), bad).toBeUndefined();
  });
  it('nextVersion follows semver', () => {
    expect(nextVersion('v1.2.3', 'patch')).toBe('1.2.4');
    expect(nextVersion('1.2.3', 'minor')).toBe('1.3.0');
    expect(nextVersion('v1.2.3', 'major')).toBe('2.0.0');
    expect(nextVersion('v0.4.2', 'minor')).toBe('0.5.0');
    expect(nextVersion('v1.3.0-rc.2', 'patch')).toBe('1.3.0');
    expect(() => nextVersion('latest', 'patch')).toThrow(VersionError);
  });
  it('without a tag: 0.1.0, or 1.0.0 when major is asked for', () => {
    expect(nextVersion(undefined, 'patch')).toBe('0.1.0');
    expect(nextVersion(undefined, 'minor')).toBe('0.1.0');
    expect(nextVersion(undefined, 'major')).toBe('1.0.0');
    expect(resolveVersion(undefined, {}, 'major')).toMatchObject({ version: '0.1.0', tag: 'v0.1.0', level: 'initial', source: 'suggested' });
    expect(resolveVersion(undefined, { bump: 'major' }, 'patch')).toMatchObject({ version: '1.0.0', level: 'initial', source: 'bump' });
    expect(resolveVersion(undefined, { bump: 'patch' }, 'patch')).toMatchObject({ version: '0.1.0', source: 'bump' });
  });
  it('a requested VERSION must be semver and above the last tag', () => {
    expect(resolveVersion('v1.2.3', { version: '1.4.0' }, 'patch')).toEqual({ version: '1.4.0', tag: 'v1.4.0', level: 'minor', source: 'requested' });
    expect(resolveVersion('v1.2.3', { version: 'v2.0.0-rc.1' }, 'patch')).toMatchObject({ version: '2.0.0-rc.1', level: 'prerelease' });
    expect(resolveVersion(undefined, { version: '3.0.0' }, 'patch')).toMatchObject({ version: '3.0.0', level: 'initial' });
    expect(() => resolveVersion('v1.2.3', { version: '1.2' }, 'patch')).toThrow(/"1.2" is not a valid semver version/);
    expect(() => resolveVersion('v1.2.3', { version: 'banana' }, 'patch')).toThrow(VersionError);
    expect(() => resolveVersion('v1.2.3', { version: '1.2.3' }, 'patch')).toThrow(/1.2.3 is not greater than the last tag v1.2.3 .*1.2.4, 1.3.0 or 2.0.0/);
    expect(() => resolveVersion('v1.2.3', { version: '1.2.3-rc.1' }, 'patch')).toThrow(/not greater/);
    expect(() => resolveVersion('v1.2.3', { version: '1.1.9' }, 'patch')).toThrow(/not greater/);
    expect(() => resolveVersion('v1.2.3', { version: '1.3.0', bump: 'minor' }, 'patch')).toThrow(/either a VERSION or --bump/);
    expect(() => resolveVersion('nightly', {}, 'patch')).toThrow(/"nightly" is not a semver version/);
  });
  it('a requested bump wins over the suggestion', () => {
    expect(resolveVersion('v1.2.3', { bump: 'major' }, 'patch')).toMatchObject({ version: '2.0.0', level: 'major', source: 'bump' });
    expect(resolveVersion('v1.2.3', {}, 'minor')).toMatchObject({ version: '1.3.0', level: 'minor', source: 'suggested' });
  });
  it('isUnderBump', () => {
    expect(isUnderBump('patch', 'minor')).toBe(true);
    expect(isUnderBump('minor', 'major')).toBe(true);
    expect(isUnderBump('major', 'patch')).toBe(false);
    expect(isUnderBump('initial', 'major')).toBe(false);
    expect(isUnderBump('prerelease', 'major')).toBe(false);
  });
});

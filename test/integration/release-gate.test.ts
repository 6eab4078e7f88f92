// The pre-release gate against a real git repository made by the test (tags, commits, a merge, a
// revert), a real CHANGELOG.md, and `release.current` / `release.backup.run` run through this
// machine's LocalTarget.

import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOk, tempDir, type TempDir } from '../fixtures/procs.js';
import { LocalTarget } from '../../src/targets/local.js';
import { promoteUnreleased, inspectChangelog } from '../../src/release/gate/changelog.js';
import { localDate } from '../../src/release/gate/clock.js';
import { collectGateInputs, tagRelease, writeChangelog, type CollectOptions } from '../../src/release/gate/collect.js';
import { applyOverride, assembleGate, GateError, type GateReport } from '../../src/release/gate/gate.js';

let tmp: TempDir;
let repo: string;
let target: LocalTarget;
let clock = Date.parse('2026-11-02T09:00:00Z') / 1000;

// Keep the machine's own git config (signing, hooks, templates) out of the test's repositories.
const gitEnv = (): NodeJS.ProcessEnv => ({ ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: tmp.join('gitconfig') });

async function git(...args: string[]): Promise<string> {
  return (await runOk('git', args, { cwd: repo, env: gitEnv() })).stdout;
}

/** Writes files and commits them, each commit one minute after the last. */
async function commit(message: string, files: Record<string, string> = {}): Promise<string> {
  for (const [name, text] of Object.entries(files)) writeFileSync(`${repo}/${name}`, text);
  await git('add', '-A');
  clock += 60;
  const date = `@${clock} +0000`;
  await runOk('git', ['commit', '--allow-empty', '-q', '-m', message], {
    cwd: repo,
    env: { ...gitEnv(), GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
  });
  return (await git('rev-parse', 'HEAD')).trim();
}

async function initRepo(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  repo = dir;
  await git('init', '-q', '-b', 'main');
  await git('config', 'user.name', 'Gate Test');
  await git('config', 'user.email', 'gate@example.invalid');
  await git('config', 'commit.gpgsign', 'false');
  await git('config', 'tag.gpgsign', 'false');
}

const CHANGELOG = `# Changelog

## [Unreleased]

### Added
- First cut of the shop
`;

function options(over: Partial<CollectOptions> = {}): CollectOptions {
  return {
    repoDir: repo,
    target,
    release: { current: 'echo v1.0.0', backup: { run: 'date +%s', maxAge: 24 * 3_600_000 }, blackout: [] },
    ...over,
  };
}

async function gate(over: Partial<CollectOptions> = {}): Promise<GateReport> {
  return assembleGate(await collectGateInputs(options(over)));
}

const check = (r: GateReport, name: string) => r.checks.find((c) => c.name === name)!;

beforeAll(async () => {
  tmp = tempDir('hubops-gate-');
  writeFileSync(tmp.join('gitconfig'), '');
  // collect.ts runs git with this process's environment.
  process.env.GIT_CONFIG_NOSYSTEM = '1';
  process.env.GIT_CONFIG_GLOBAL = tmp.join('gitconfig');
  target = new LocalTarget();
  await initRepo(tmp.join('shop'));
});

afterAll(async () => {
  await target?.close();
  await tmp?.remove();
});

describe('pre-release gate on a real repository', () => {
  it('before any tag: first release 0.1.0, the whole history, no rollback target', async () => {
    await commit('chore: initial layout', { 'CHANGELOG.md': CHANGELOG, 'app.txt': 'v0\n' });
    await commit('feat: cart');
    const r = await gate({ release: { backup: { run: 'date +%s', maxAge: 3_600_000 } } });
    expect(r).toMatchObject({ version: '0.1.0', tag: 'v0.1.0', previousTag: undefined, bump: 'initial', commitCount: 2 });
    expect(r.groups.feat.map((c) => c.subject)).toEqual(['feat: cart']);
    expect(r.backup).toMatchObject({ state: 'fresh', format: 'epoch-seconds' });
    expect(check(r, 'rollback')).toMatchObject({ status: 'block', detail: 'no rollback target: no release.current configured and no previous tag' });
    expect(check(r, 'changelog')).toMatchObject({ status: 'pass' });
    expect(r.blocking).toBe(true);
  });

  it('releases 1.0.0: changelog promoted atomically, annotated tag made', async () => {
    const path = `${repo}/CHANGELOG.md`;
    await writeChangelog(path, promoteUnreleased(readFileSync(path, 'utf8'), '1.0.0', '2026-11-02'));
    await commit('docs(changelog): release v1.0.0');
    expect(await tagRelease(repo, '1.0.0', 'Release v1.0.0 — first cut')).toBe('v1.0.0');
    expect((await git('cat-file', '-t', 'v1.0.0')).trim()).toBe('tag');
    expect((await git('tag', '-l', '--format=%(contents:subject)', 'v1.0.0')).trim()).toBe('Release v1.0.0 — first cut');
    expect(readFileSync(path, 'utf8')).toContain('## [Unreleased]\n\n## [1.0.0] - 2026-11-02\n\n### Added\n- First cut of the shop\n');
  });

  it('after the tag: grouped commits, a merge, a cancelled revert, fresh backup, rollback to what runs now', async () => {
    await commit('feat(api): export orders as CSV', { 'app.txt': 'v1\n' });
    const doomed = await commit('feat: gift cards', { 'gift.txt': 'cards\n' });
    await git('checkout', '-q', '-b', 'fix-rounding');
    await commit('fix: round totals half-even');
    await git('checkout', '-q', 'main');
    await commit('security: escape names in receipts');
    clock += 60;
    await runOk('git', ['merge', '--no-ff', '-q', '-m', "Merge branch 'fix-rounding'", 'fix-rounding'], {
      cwd: repo,
      env: { ...gitEnv(), GIT_AUTHOR_DATE: `@${clock} +0000`, GIT_COMMITTER_DATE: `@${clock} +0000` },
    });
    clock += 60;
    await runOk('git', ['revert', '--no-edit', doomed], {
      cwd: repo,
      env: { ...gitEnv(), GIT_AUTHOR_DATE: `@${clock} +0000`, GIT_COMMITTER_DATE: `@${clock} +0000` },
    });
    const text = readFileSync(`${repo}/CHANGELOG.md`, 'utf8').replace('## [Unreleased]\n', '## [Unreleased]\n\n### Added\n- CSV export of orders\n');
    await commit('docs: changelog', { 'CHANGELOG.md': text });

    const r = await gate({
      release: {
        current: 'echo "deployed: shop"; echo v1.0.0',
        backup: { run: 'date +%s', maxAge: 24 * 3_600_000 },
        blackout: [{ from: '2020-12-20', to: '2021-01-02', reason: 'an old freeze' }],
      },
      request: {},
    });
    expect(r).toMatchObject({
      version: '1.1.0',
      tag: 'v1.1.0',
      previousTag: 'v1.0.0',
      bump: 'minor',
      suggestedBump: 'minor',
      treeClean: true,
      blackouts: [],
      rollbackTarget: { version: 'v1.0.0', source: 'current' },
      blocking: false,
    });
    const subjects = (k: keyof GateReport['groups']) => r.groups[k].map((c) => c.subject);
    expect(subjects('feat')).toEqual(['feat(api): export orders as CSV']);
    expect(subjects('fix')).toEqual(['fix: round totals half-even']);
    expect(subjects('security')).toEqual(['security: escape names in receipts']);
    expect(subjects('other')).toEqual(['docs: changelog']);
    expect(subjects('breaking')).toEqual([]);
    expect(r.merges.map((c) => c.subject)).toEqual(["Merge branch 'fix-rounding'"]);
    expect(r.cancelled.map((c) => c.subject)).toEqual(['Revert "feat: gift cards"', 'feat: gift cards']);
    expect(r.changelog).toMatchObject({ status: 'present', line: 3, entries: 1 });
    expect(r.backup).toMatchObject({ state: 'fresh' });
    expect(r.backup.state === 'fresh' && r.backup.ageMs).toBeLessThan(60_000);
    expect(r.checks.every((c) => c.status === 'pass')).toBe(true);
  });

  it('a requested version and bump', async () => {
    expect(await gate({ request: { version: 'v2.0.0' } })).toMatchObject({ version: '2.0.0', bump: 'major', blocking: false });
    expect(await gate({ request: { bump: 'patch' } })).toMatchObject({ version: '1.0.1' });
    const low = await gate({ request: { version: '1.0.0' } });
    expect(check(low, 'version')).toMatchObject({ status: 'block' });
    expect(check(low, 'version').detail).toMatch(/1.0.0 is not greater than the last tag v1.0.0/);
  });

  it('a dirty tree blocks; untracked files only warn', async () => {
    writeFileSync(`${repo}/app.txt`, 'edited\n');
    writeFileSync(`${repo}/notes.txt`, 'scratch\n');
    const dirty = await gate();
    expect(dirty).toMatchObject({ treeClean: false, blocking: true });
    expect(check(dirty, 'tree').detail).toBe('working tree not clean: 1 changed file (M app.txt): commit or stash first');
    await git('checkout', '--', 'app.txt');
    const untracked = await gate();
    expect(check(untracked, 'tree')).toMatchObject({ status: 'warn', detail: '1 untracked file (notes.txt): not in the tag' });
    expect(untracked.blocking).toBe(false);
    await runOk('rm', [`${repo}/notes.txt`]);
  });

  it('backup: stale, unparseable and failing commands block, with the output quoted', async () => {
    const run = (cmd: string) => gate({ release: { current: 'echo v1.0.0', backup: { run: cmd, maxAge: 24 * 3_600_000 } } });
    const stale = await run('echo $(( $(date +%s) - 90000 ))');
    expect(check(stale, 'backup')).toMatchObject({ status: 'block' });
    expect(check(stale, 'backup').detail).toMatch(/last backup 25h ago.*older than the 24h allowed/);
    const junk = await run('echo "no backups in /var/backups"');
    expect(check(junk, 'backup').detail).toMatch(/cannot read the backup time.*"no backups in \/var\/backups"/);
    const failing = await run('echo "rsync: connection refused" >&2; exit 3');
    expect(check(failing, 'backup').detail).toMatch(/backup command exited with code 3; output: "rsync: connection refused"/);
    const iso = await run('date -u +%Y-%m-%dT%H:%M:%SZ');
    expect(iso.backup).toMatchObject({ state: 'fresh', format: 'iso-8601' });
    const rfc = await run('date -R');
    expect(rfc.backup).toMatchObject({ state: 'fresh', format: 'rfc-2822' });
    const stat = await run(`stat -c %Y ${repo}/CHANGELOG.md`);
    expect(stat.backup).toMatchObject({ state: 'fresh', format: 'epoch-seconds' });
  });

  it('a blackout in force blocks until overridden with a reason', async () => {
    const r = await gate({
      release: {
        current: 'echo v1.0.0',
        backup: { run: 'date +%s', maxAge: 3_600_000 },
        blackout: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], reason: 'test freeze' }],
      },
    });
    expect(r.blocking).toBe(true);
    expect(check(r, 'blackout').detail).toBe('blackout in force: Every day: test freeze');
    const o = applyOverride(r, 'blackout', 'integration test', 'ci', new Date());
    expect(o.blocking).toBe(false);
  });

  it('release.current failing falls back to the previous tag, with a warning', async () => {
    const r = await gate({ release: { current: 'echo "no such container: shop" >&2; exit 1', backup: { run: 'date +%s', maxAge: 3_600_000 } } });
    expect(r.rollbackTarget).toEqual({ version: 'v1.0.0', source: 'previous-tag' });
    expect(check(r, 'rollback')).toMatchObject({ status: 'warn' });
    expect(check(r, 'rollback').detail).toMatch(/release.current exited with code 1: "no such container: shop"/);
  });

  it('releases 1.1.0: tag and changelog, then the gate sees nothing left to release', async () => {
    const path = `${repo}/CHANGELOG.md`;
    const r = await gate();
    const today = localDate(new Date());
    await writeChangelog(path, promoteUnreleased(readFileSync(path, 'utf8'), r.version!, today));
    await commit(`docs(changelog): release ${r.tag}`);
    expect(await tagRelease(repo, r.version!, `Release ${r.tag}`)).toBe('v1.1.0');
    expect((await git('describe', '--tags', '--abbrev=0')).trim()).toBe('v1.1.0');
    expect(readFileSync(path, 'utf8')).toContain(`## [Unreleased]\n\n## [1.1.0] - ${today}\n\n### Added\n- CSV export of orders\n`);

    const after = await gate({ release: { current: 'echo v1.1.0', backup: { run: 'date +%s', maxAge: 3_600_000 } } });
    expect(after).toMatchObject({ previousTag: 'v1.1.0', version: '1.1.1', commitCount: 0, blocking: true });
    expect(check(after, 'changelog')).toMatchObject({ status: 'block' });
    expect(check(after, 'commits')).toMatchObject({ status: 'warn' });

    await expect(tagRelease(repo, '1.1.0', 'again')).rejects.toThrow(/already exists/);
    await expect(tagRelease(repo, 'banana', 'x')).rejects.toThrow(GateError);
    expect(() => promoteUnreleased(readFileSync(path, 'utf8'), '1.1.0', today)).toThrow(/already has a section for 1.1.0/);
  });

  it('ignores tags that are not versions', async () => {
    await git('tag', 'deploy-staging');
    expect((await gate()).previousTag).toBe('v1.1.0');
  });
});

describe('writeChangelog', () => {
  it('replaces the file, keeps its mode, leaves no temporary file', async () => {
    const dir = tmp.join('w');
    mkdirSync(dir);
    const path = `${dir}/CHANGELOG.md`;
    writeFileSync(path, 'old\n');
    chmodSync(path, 0o640);
    await writeChangelog(path, 'new\n');
    expect(readFileSync(path, 'utf8')).toBe('new\n');
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(['CHANGELOG.md']);
    await writeChangelog(`${dir}/NEW.md`, 'fresh\n');
    expect(readFileSync(`${dir}/NEW.md`, 'utf8')).toBe('fresh\n');
  });

  it('when the rename fails, the old content stays and the temporary file is removed', async () => {
    const dir = tmp.join('w2');
    mkdirSync(`${dir}/CHANGELOG.md`, { recursive: true });
    writeFileSync(`${dir}/CHANGELOG.md/keep`, 'x');
    await expect(writeChangelog(`${dir}/CHANGELOG.md`, 'new\n')).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['CHANGELOG.md']);
    expect(readdirSync(`${dir}/CHANGELOG.md`)).toEqual(['keep']);
  });
});

describe('collect errors', () => {
  it('a folder that is not a git repository is an error, not a report', async () => {
    const dir = tmp.join('not-a-repo');
    mkdirSync(dir);
    await expect(collectGateInputs({ ...options(), repoDir: dir })).rejects.toThrow(/not a git repository/);
  });
  it('a missing CHANGELOG.md is a block', async () => {
    const dir = tmp.join('bare');
    await initRepo(dir);
    await commit('feat: x', { 'a.txt': 'a' });
    const r = await gate();
    expect(r.changelog).toEqual({ path: `${dir}/CHANGELOG.md`, status: 'no-file' });
    expect(check(r, 'changelog').status).toBe('block');
    expect(inspectChangelog('').status).toBe('missing');
  });
});

// The release's changelog commit, with the real git: only CHANGELOG.md goes in, hooks run but
// cannot wait on input, and a rejecting hook is an error (the release reports it, then tags).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commitChangelog, isReleaseCommitOn } from '../../src/release/gate/collect.js';
import { git } from '../support/release-repo.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hubops-commit-'));
  dirs.push(dir);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.email', 't@example.invalid');
  git(dir, 'config', 'user.name', 'Test');
  writeFileSync(join(dir, 'CHANGELOG.md'), '# Changelog\n\n## [Unreleased]\n- x\n');
  writeFileSync(join(dir, 'app.txt'), 'v1\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'feat: first');
  return dir;
}

function hook(dir: string, script: string): void {
  const file = join(dir, '.git', 'hooks', 'pre-commit');
  writeFileSync(file, `#!/bin/sh\n${script}\n`);
  chmodSync(file, 0o755);
}

describe('commitChangelog', () => {
  it('commits CHANGELOG.md alone, whatever else is modified; nothing to commit gives undefined', async () => {
    const dir = repo();
    writeFileSync(join(dir, 'CHANGELOG.md'), '# Changelog\n\n## [Unreleased]\n\n## [1.1.0] - 2026-12-01\n- x\n');
    writeFileSync(join(dir, 'app.txt'), 'v2, not for this commit\n');
    expect(await commitChangelog(dir, 'CHANGELOG.md', '1.1.0')).toBe('chore(release): v1.1.0');
    expect(git(dir, 'log', '-1', '--format=%s')).toBe('chore(release): v1.1.0');
    expect(git(dir, 'show', '--name-only', '--format=', 'HEAD')).toBe('CHANGELOG.md');
    expect(git(dir, 'status', '--porcelain')).toBe('M app.txt');
    expect(await commitChangelog(dir, 'CHANGELOG.md', '1.1.0')).toBeUndefined();
  });

  it('a hook that reads its input gets end-of-file instead of holding the release', async () => {
    const dir = repo();
    hook(dir, 'cat > /dev/null; exit 0');
    writeFileSync(join(dir, 'CHANGELOG.md'), '# Changelog\n\n## [1.1.0]\n- x\n');
    expect(await commitChangelog(dir, 'CHANGELOG.md', '1.1.0')).toBe('chore(release): v1.1.0');
  });

  it('a hook that refuses is an error naming git commit, and nothing is committed', async () => {
    const dir = repo();
    hook(dir, 'echo "lint says no" >&2; exit 1');
    writeFileSync(join(dir, 'CHANGELOG.md'), '# Changelog\n\n## [1.1.0]\n- x\n');
    await expect(commitChangelog(dir, 'CHANGELOG.md', '1.1.0')).rejects.toThrow(/git commit .*lint says no/);
    expect(git(dir, 'log', '-1', '--format=%s')).toBe('feat: first');
  });

  it("recognises its own changelog commit on the gate's commit (a release stopped before its tag), and nothing else", async () => {
    const dir = repo();
    const gated = git(dir, 'rev-parse', 'HEAD');
    writeFileSync(join(dir, 'CHANGELOG.md'), '# Changelog\n\n## [1.1.0]\n- x\n');
    await commitChangelog(dir, 'CHANGELOG.md', '1.1.0');
    const head = git(dir, 'rev-parse', 'HEAD');
    expect(await isReleaseCommitOn(dir, head, gated, '1.1.0')).toBe(true);
    expect(await isReleaseCommitOn(dir, head, gated, '1.2.0')).toBe(false);
    expect(await isReleaseCommitOn(dir, gated, gated, '1.1.0')).toBe(false);
    git(dir, 'commit', '-q', '--allow-empty', '-m', 'chore(release): v1.1.0');
    expect(await isReleaseCommitOn(dir, git(dir, 'rev-parse', 'HEAD'), gated, '1.1.0')).toBe(false);
  });
});

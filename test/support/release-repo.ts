// A git repository ready for `hubops release`, for the tests that release one: v1.0.0 tagged, a
// feature commit after it, a CHANGELOG with it under [Unreleased], and the config they give.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** git in `cwd`, with no global or system config of the machine's; throws on a non-zero exit. */
export function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * Makes `dir` a repository to release with `config` as its hubops.yaml, and `dir/server` (not in
 * the repository) a stand-in for the deployed host, holding VERSION 1.0.0. Returns that folder.
 */
export function releaseRepo(dir: string, config: (server: string) => string[]): string {
  const server = join(dir, 'server');
  mkdirSync(server);
  writeFileSync(join(server, 'VERSION'), '1.0.0');
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.email', 't@example.invalid');
  git(dir, 'config', 'user.name', 'Test');
  writeFileSync(join(dir, '.gitignore'), 'server/\n.hubops/\ndocs/\n');
  writeFileSync(join(dir, 'CHANGELOG.md'), '# Changelog\n\n## [Unreleased]\n\n### Added\n- a new endpoint\n\n## [1.0.0] - 2026-01-01\n- first\n');
  writeFileSync(join(dir, 'hubops.yaml'), [...config(server), ''].join('\n'));
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'feat: first');
  git(dir, 'tag', '-a', 'v1.0.0', '-m', 'v1.0.0');
  writeFileSync(join(dir, 'api.txt'), 'endpoint');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'feat(api): a new endpoint');
  return server;
}

/** The release reports written in the project, oldest first. */
export function releaseReports(dir: string): string[] {
  const d = join(dir, 'docs', 'releases');
  return existsSync(d) ? readdirSync(d).sort() : [];
}

/** The release journal's events (the project's only release). */
export function releaseJournal<T = { type: string }>(dir: string): T[] {
  const jd = join(dir, '.hubops', 'releases');
  const [file] = readdirSync(jd).filter((f) => f.endsWith('.jsonl'));
  return readFileSync(join(jd, file!), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as T);
}

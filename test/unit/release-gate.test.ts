import { describe, expect, it } from 'vitest';
import { applyOverride, assembleGate, GateError, parsePorcelain, type GateInputs, type GateReport } from '../../src/release/gate/gate.js';

let n = 0;
const log = (...subjects: string[]) =>
  subjects.map((s) => `${(++n).toString(16).padStart(40, '0')}\x1f${s}\x1f\x1e`).join('\n') + '\n';

// Monday 23 November 2026, 10:00 UTC.
const NOW = new Date('2026-11-23T10:00:00Z');
const CHANGELOG = '# Changelog\n\n## [Unreleased]\n### Added\n- Export\n\n## [1.2.0] - 2026-10-02\n- Coupons\n';

function inputs(over: Partial<GateInputs> = {}): GateInputs {
  const now = over.now ?? NOW;
  return {
    now,
    timeZone: 'UTC',
    request: {},
    lastTag: 'v1.2.0',
    gitLog: log('feat(api): export', 'fix: rounding', 'chore: deps'),
    gitStatus: '',
    changelog: { path: 'CHANGELOG.md', text: CHANGELOG },
    backup: { maxAgeMs: 24 * 3_600_000, run: { output: `${now.getTime() / 1000 - 3600}`, exitCode: 0 } },
    current: { output: 'v1.2.0\n', exitCode: 0 },
    blackouts: [{ days: ['fri'], after: '16:00', reason: 'weekend ahead' }],
    ...over,
  };
}

const status = (r: GateReport) => Object.fromEntries(r.checks.map((c) => [c.name, c.status]));
const detail = (r: GateReport, name: string) => r.checks.find((c) => c.name === name)!.detail;

describe('assembleGate', () => {
  it('all green', () => {
    const r = assembleGate(inputs());
    expect(r).toMatchObject({
      version: '1.3.0',
      tag: 'v1.3.0',
      previousTag: 'v1.2.0',
      bump: 'minor',
      suggestedBump: 'minor',
      versionSource: 'suggested',
      commitCount: 3,
      treeClean: true,
      rollbackTarget: { version: 'v1.2.0', source: 'current' },
      blackouts: [],
      blocking: false,
      at: '2026-11-23T10:00:00.000Z',
    });
    expect(r.groups.feat.map((c) => c.subject)).toEqual(['feat(api): export']);
    expect(r.changelog).toMatchObject({ path: 'CHANGELOG.md', status: 'present', line: 3, entries: 1 });
    expect(r.backup).toMatchObject({ state: 'fresh' });
    expect(r.checks.map((c) => [c.name, c.status, c.detail])).toEqual([
      ['version', 'pass', 'v1.2.0 → 1.3.0 (suggested minor bump)'],
      ['commits', 'pass', '3 commits since v1.2.0: 1 feat, 1 fix, 1 other'],
      ['changelog', 'pass', 'CHANGELOG.md:3: [Unreleased] has 1 entry'],
      ['tree', 'pass', 'working tree clean'],
      ['backup', 'pass', 'last backup 1h ago, at 2026-11-23T09:00:00.000Z (max 24h)'],
      ['blackout', 'pass', 'no blackout in force (1 rule)'],
      ['rollback', 'pass', 'rollback target: v1.2.0 (deployed now, from release.current)'],
    ]);
  });

  it('blocks on each failing check and shows all of them at once', () => {
    const r = assembleGate(
      inputs({
        now: new Date('2026-11-27T16:00:00Z'), // Friday 16:00
        gitStatus: ' M src/app.ts\n?? notes.txt\n',
        changelog: { path: 'CHANGELOG.md', text: '# Changelog\n\n## [Unreleased]\n\n## [1.2.0]\n- x\n' },
        backup: { maxAgeMs: 24 * 3_600_000, run: { output: 'no backups found', exitCode: 0 } },
        current: undefined,
        lastTag: undefined,
        gitLog: log('feat: first'),
      }),
    );
    expect(status(r)).toEqual({
      version: 'pass',
      commits: 'pass',
      changelog: 'block',
      tree: 'block',
      backup: 'block',
      blackout: 'block',
      rollback: 'block',
    });
    expect(r.blocking).toBe(true);
    expect(r.version).toBe('0.1.0');
    expect(detail(r, 'version')).toBe('first release: 0.1.0 (suggested minor bump)');
    expect(detail(r, 'changelog')).toBe('CHANGELOG.md:3: [Unreleased] is empty: describe the changes before releasing');
    expect(detail(r, 'tree')).toBe('working tree not clean: 1 changed file (M src/app.ts): commit or stash first');
    expect(detail(r, 'backup')).toMatch(/not a timestamp.*"no backups found"/);
    expect(detail(r, 'blackout')).toBe('blackout in force: Friday after 16:00: weekend ahead');
    expect(r.blackouts).toHaveLength(1);
    expect(detail(r, 'rollback')).toBe('no rollback target: no release.current configured and no previous tag');
  });

  it('changelog file or section missing', () => {
    expect(detail(assembleGate(inputs({ changelog: { path: '/r/CHANGELOG.md', text: undefined } })), 'changelog')).toMatch(/\/r\/CHANGELOG.md not found/);
    const r = assembleGate(inputs({ changelog: { path: 'CHANGELOG.md', text: '# Changelog\n' } }));
    expect(r.changelog.status).toBe('missing');
    expect(detail(r, 'changelog')).toBe('CHANGELOG.md has no "## [Unreleased]" section');
  });

  it('untracked files only: a warning', () => {
    const r = assembleGate(inputs({ gitStatus: '?? notes.txt\n?? tmp/\n' }));
    expect(status(r).tree).toBe('warn');
    expect(r.treeClean).toBe(false);
    expect(r.blocking).toBe(false);
    expect(detail(r, 'tree')).toBe('2 untracked files (notes.txt, tmp/): not in the tag');
  });

  it('version requests: valid, too low, not semver, smaller than the commits call for', () => {
    expect(assembleGate(inputs({ request: { version: '2.0.0' } }))).toMatchObject({ version: '2.0.0', bump: 'major', versionSource: 'requested', blocking: false });
    const low = assembleGate(inputs({ request: { version: '1.1.0' } }));
    expect(low).toMatchObject({ version: undefined, tag: undefined, blocking: true });
    expect(detail(low, 'version')).toMatch(/1.1.0 is not greater than the last tag v1.2.0/);
    expect(detail(assembleGate(inputs({ request: { version: 'next' } })), 'version')).toMatch(/"next" is not a valid semver version/);
    const under = assembleGate(inputs({ request: { bump: 'patch' } }));
    expect(status(under).version).toBe('warn');
    expect(detail(under, 'version')).toBe('v1.2.0 → 1.2.1 (patch bump as requested), but the commits call for a minor release');
    expect(assembleGate(inputs({ gitLog: log('feat!: drop v1') })).version).toBe('2.0.0');
    expect(assembleGate(inputs({ lastTag: 'v0.3.1', gitLog: log('feat!: drop v1') })).version).toBe('0.4.0');
  });

  it('no commits since the tag: a warning', () => {
    const r = assembleGate(inputs({ gitLog: '' }));
    expect(status(r).commits).toBe('warn');
    expect(r.version).toBe('1.2.1');
    expect(detail(r, 'commits')).toMatch(/no changes since v1.2.0/);
  });

  it('unreadable git log blocks', () => {
    const r = assembleGate(inputs({ gitLog: 'garbage' }));
    expect(status(r).commits).toBe('block');
  });

  it('rollback target: current, else the previous tag', () => {
    const failed = assembleGate(inputs({ current: { output: '', exitCode: 1, stderr: 'no such container' } }));
    expect(failed.rollbackTarget).toEqual({ version: 'v1.2.0', source: 'previous-tag' });
    expect(status(failed).rollback).toBe('warn');
    expect(detail(failed, 'rollback')).toBe('release.current exited with code 1: "no such container"; rollback target: v1.2.0 (the previous tag)');
    const notConfigured = assembleGate(inputs({ current: undefined }));
    expect(notConfigured.rollbackTarget).toEqual({ version: 'v1.2.0', source: 'previous-tag' });
    expect(status(notConfigured).rollback).toBe('pass');
    const same = assembleGate(inputs({ current: { output: '1.3.0', exitCode: 0 } }));
    expect(status(same).rollback).toBe('warn');
    expect(assembleGate(inputs({ current: { output: 'build 4411\nshop:1.2.0\n', exitCode: 0 } })).rollbackTarget).toEqual({
      version: 'shop:1.2.0',
      source: 'current',
    });
  });

  it('backup: not configured is a warning, stale and failing are blocks', () => {
    expect(status(assembleGate(inputs({ backup: undefined }))).backup).toBe('warn');
    expect(assembleGate(inputs({ backup: undefined })).backup).toEqual({ state: 'not-configured' });
    const old = `${NOW.getTime() / 1000 - 25 * 3600}`;
    expect(status(assembleGate(inputs({ backup: { maxAgeMs: 24 * 3_600_000, run: { output: old, exitCode: 0 } } }))).backup).toBe('block');
    expect(status(assembleGate(inputs({ backup: { maxAgeMs: 24 * 3_600_000, run: { output: '', exitCode: null, error: 'connection lost' } } }))).backup).toBe('block');
  });

  it('a broken blackout config blocks rather than passing', () => {
    const r = assembleGate(inputs({ timeZone: 'Nowhere/Land' }));
    expect(status(r).blackout).toBe('block');
    expect(detail(r, 'blackout')).toMatch(/unknown time zone/);
  });
});

describe('applyOverride', () => {
  const friday = () => assembleGate(inputs({ now: new Date('2026-11-27T17:00:00Z') }));

  it('lets a blackout through with a reason and a name, keeping the record', () => {
    const r = friday();
    expect(r.blocking).toBe(true);
    const o = applyOverride(r, 'blackout', 'SEV1 hotfix for the checkout outage', 'alice', new Date('2026-11-27T17:01:00Z'));
    expect(o.blocking).toBe(false);
    const check = o.checks.find((c) => c.name === 'blackout')!;
    expect(check).toMatchObject({
      status: 'block',
      override: { reason: 'SEV1 hotfix for the checkout outage', by: 'alice', at: '2026-11-27T17:01:00.000Z' },
    });
    expect(r.blocking).toBe(true); // the original is untouched
    expect(r.checks.find((c) => c.name === 'blackout')!.override).toBeUndefined();
  });

  it('still blocks while another check blocks', () => {
    const r = assembleGate(inputs({ now: new Date('2026-11-27T17:00:00Z'), gitStatus: ' M a.ts\n' }));
    expect(applyOverride(r, 'blackout', 'hotfix', 'alice').blocking).toBe(true);
  });

  it('backup and rollback can be overridden too', () => {
    const r = assembleGate(inputs({ backup: { maxAgeMs: 1000, run: { output: 'x', exitCode: 0 } }, lastTag: undefined, current: undefined }));
    const o = applyOverride(applyOverride(r, 'backup', 'backup job broken, snapshot taken by hand', 'bob'), 'rollback', 'first release', 'bob');
    expect(o.blocking).toBe(false);
  });

  it('refuses what cannot be overridden, what does not block, and empty reasons', () => {
    const dirty = assembleGate(inputs({ gitStatus: ' M a.ts\n' }));
    expect(() => applyOverride(dirty, 'tree', 'trust me', 'alice')).toThrow(/tree check cannot be overridden/);
    expect(() => applyOverride(dirty, 'version', 'x', 'alice')).toThrow(/not blocking/);
    expect(() => applyOverride(friday(), 'blackout', '  ', 'alice')).toThrow(/needs a reason/);
    expect(() => applyOverride(friday(), 'blackout', 'hotfix', '')).toThrow(/who decided/);
    expect(() => applyOverride(friday(), 'nope' as never, 'x', 'y')).toThrow(GateError);
  });
});

describe('parsePorcelain', () => {
  it('splits tracked changes from untracked files', () => {
    expect(parsePorcelain(' M a.ts\nA  b.ts\n D c.ts\nUU d.ts\n?? e.ts\n')).toEqual({
      clean: false,
      changes: ['M a.ts', 'A  b.ts', 'D c.ts', 'UU d.ts'],
      untracked: ['e.ts'],
    });
    expect(parsePorcelain('')).toEqual({ clean: true, changes: [], untracked: [] });
  });
});

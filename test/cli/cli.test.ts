import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin', 'hubops');
const sample = join(root, 'examples', 'shop', 'hubops.yaml');

function hubops(args: string[], opts: { cwd?: string; env?: Record<string, string>; node?: string } = {}) {
  const r = spawnSync(opts.node ?? process.execPath, [bin, ...args], {
    cwd: opts.cwd ?? root,
    env: { ...process.env, HUBOPS_CONFIG: '', ...opts.env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function tempConfig(text: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hubops-cli-'));
  const file = join(dir, 'hubops.yaml');
  writeFileSync(file, text);
  return { dir, file };
}

describe('hubops CLI', () => {
  it('prints its version and help', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(hubops(['--version'])).toMatchObject({ code: 0, out: `${pkg.version}\n` });
    const help = hubops(['--help']);
    expect(help.code).toBe(0);
    for (const c of ['demo', 'incident', 'release', 'watch', 'runbook', 'postmortem', 'status', 'check']) expect(help.out).toContain(`  ${c} `);
    expect(hubops(['check', '--help']).out).toContain('--connect');
    expect(hubops(['help', 'release']).out).toContain('Usage: hubops release');
  });

  it('keeps compiled code in the user’s cache folder between runs, unless NODE_DISABLE_COMPILE_CACHE is set', () => {
    const cache = mkdtempSync(join(tmpdir(), 'hubops-cache-'));
    const files = (d: string): string[] => (existsSync(d) ? readdirSync(d, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name) : []);
    expect(hubops(['--version'], { env: { XDG_CACHE_HOME: cache } }).code).toBe(0);
    expect(files(join(cache, 'hubops', 'v8-code')).length).toBeGreaterThan(0);
    const off = mkdtempSync(join(tmpdir(), 'hubops-cache-'));
    expect(hubops(['--version'], { env: { XDG_CACHE_HOME: off, NODE_DISABLE_COMPILE_CACHE: '1' } }).code).toBe(0);
    expect(files(join(off, 'hubops'))).toEqual([]);
  });

  it('lists no command as unbuilt', () => {
    expect(hubops(['--help']).out).not.toContain('not built yet');
  });

  it('rejects unknown commands and options with a hint, exit 2', () => {
    expect(hubops(['chek'])).toMatchObject({ code: 2, err: expect.stringContaining('did you mean check?') });
    expect(hubops(['check', '--conect'])).toMatchObject({ code: 2, err: expect.stringContaining('did you mean --connect?') });
    expect(hubops(['--plain', '--json'])).toMatchObject({ code: 2 });
  });

  it('refuses an old Node with the version it needs, not a stack trace', () => {
    // The machine's own Node (20 on a fresh Debian machine here) when there is one; else an old
    // version is faked before the launcher's check runs.
    const old = ['/usr/local/bin/node', '/usr/bin/node'].find((p) => {
      const v = spawnSync(p, ['-p', 'process.versions.node'], { encoding: 'utf8' });
      return v.status === 0 && Number(v.stdout.split('.')[0]) < 22;
    });
    const launcher = readFileSync(bin, 'utf8').replace(/^#!.*\n/, '');
    const r = old
      ? hubops(['--version'], { node: old })
      : (() => {
          const x = spawnSync(process.execPath, ['--input-type=module', '-e', `Object.defineProperty(process.versions, 'node', {value: '20.1.0'});\n${launcher}`], { encoding: 'utf8' });
          return { code: x.status, out: x.stdout, err: x.stderr };
        })();
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^hubops needs Node.js 22 or newer; this is Node.js 20\./);
  });

  it('check: a wrong type prints file:line: path: message and exits 2', () => {
    const { dir } = tempConfig('project: shop\nenvironments:\n  prod:\n    target: local\n    watch:\n      interval: 1 minute\n');
    const r = hubops(['check'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.out).toContain('hubops.yaml:6: environments.prod.watch.interval: expected a duration like 30s, 5m or 1h');
  });

  it('check: the shipped sample, runbooks and templates are clean', () => {
    const r = hubops(['check', '--config', sample]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ok {3}examples\/shop\/hubops\.yaml$/m);
    expect(r.out).toMatch(/^ok {3}runbooks\/service-down\.md$/m);
    expect(r.out).toMatch(/^ok {3}templates\/status-update\.md\.mustache$/m);
  });

  it('check: an unknown key warns (exit 0) but fails under --strict (exit 2)', () => {
    const { dir } = tempConfig('project: shop\nenvironments:\n  local:\n    helth: []\n');
    const warn = hubops(['check'], { cwd: dir });
    expect(warn.code).toBe(0);
    expect(warn.out).toContain('hubops.yaml:4: warning: environments.local.helth: unknown key (did you mean health?)');
    expect(hubops(['check', '--strict'], { cwd: dir }).code).toBe(2);
  });

  it('check: PromQL that scrape mode cannot evaluate is a config error on its line', () => {
    const { dir } = tempConfig('project: shop\nenvironments:\n  local:\n    metrics:\n      scrape: "http://127.0.0.1:1/metrics"\n      p99: "max_over_time(x[5m])"\n');
    const r = hubops(['check'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/hubops\.yaml:6: environments\.local\.metrics\.p99: .*scrape/);
  });

  it('check --schema prints a JSON Schema without needing a config', () => {
    const r = hubops(['check', '--schema'], { cwd: tmpdir() });
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.out) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['project', 'environments', 'comms']));
  });

  it('without a config says where it looked and how to go on, exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubops-none-'));
    const r = hubops([], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.err).toContain(`no hubops.yaml in ${dir} or any parent`);
  });

  it('prints one snapshot as plain lines when stdout is not a terminal, or JSON with --json', () => {
    const { dir } = tempConfig('project: shop\nenvironments:\n  local:\n    health:\n      - { name: shell, run: "true" }\n      - { name: port1, tcp: "127.0.0.1:1" }\n');
    const plain = hubops([], { cwd: dir });
    expect(plain.code).toBe(0);
    expect(plain.out).toMatch(/^shop \/ local \(local\) at \d{4}-/);
    expect(plain.out).toMatch(/^health: degraded$/m);
    expect(plain.out).toMatch(/^ {2}ok {3}shell: exit 0 \(\d+ ms\)$/m);
    expect(plain.out).toMatch(/^ {2}FAIL port1: connection refused/m);
    const json = JSON.parse(hubops(['--json'], { cwd: dir }).out) as { ok: boolean; panes: Record<string, unknown> };
    expect(Object.keys(json.panes)).toEqual(['containers', 'logs', 'health', 'metrics']);
    expect(json.ok).toBe(false);
  });

  it('status exits 1 when a health check fails and 0 when all pass', () => {
    const bad = tempConfig('project: shop\nenvironments:\n  local:\n    health:\n      - { name: broken, run: "exit 3" }\n');
    const r = hubops(['status'], { cwd: bad.dir });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAIL broken: exit 3/);
    const good = tempConfig('project: shop\nenvironments:\n  local:\n    health:\n      - { name: fine, run: "echo fine" }\n');
    expect(hubops(['status'], { cwd: good.dir })).toMatchObject({ code: 0, out: expect.stringMatching(/ok {3}fine: exit 0: fine/) });
  });

  it('a config error in the console path names the line and writes nothing', () => {
    const { dir } = tempConfig('project: shop\nenvironments:\n  prod:\n    target: ftp://nope\n');
    const r = hubops([], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.err).toContain('hubops.yaml:4: environments.prod.target: expected "local" or ssh://user@host:port');
    expect(existsSync(join(dir, '.hubops'))).toBe(false);
  });
});

describe('hubops check --connect', () => {
  it('tries the target and each health check, one line each, exit 1 when one fails', () => {
    const { dir } = tempConfig(
      'project: shop\nenvironments:\n  local:\n    health:\n      - { name: shell, run: "true" }\n      - { name: port1, tcp: "127.0.0.1:1" }\n',
    );
    const r = hubops(['check', '--connect'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^ok {3}local: target local: reachable$/m);
    expect(r.out).toMatch(/^ok {3}local: health shell: exit 0 \(\d+ ms\)$/m);
    expect(r.out).toMatch(/^FAIL local: health port1: connection refused/m);
  });
});

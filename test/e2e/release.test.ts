// Release end to end, non-interactive (as CI would run it): the real sshd as the target (deploy
// and rollback really change a VERSION file there), the real Prometheus scraping a test service
// whose error rate the test turns, a watch window compressed to seconds.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { runHubops } from '../support/hubops-process.js';
import { git, releaseJournal, releaseReports, releaseRepo } from '../support/release-repo.js';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startMetricsService, type MetricsService } from '../fixtures/metrics-service.js';
import { pidsWithArgv, stopPids, tempDir, waitFor, type TempDir } from '../fixtures/procs.js';
import { startPrometheus, type Prom } from '../fixtures/prometheus.js';
import { startSshd, type Sshd } from '../fixtures/sshd.js';


let sshd: Sshd;
let svc: MetricsService;
let prom: Prom;
const dirs: TempDir[] = [];

beforeAll(async () => {
  [sshd, svc] = await Promise.all([startSshd(), startMetricsService({ requestsPerSecond: 50, errorRatio: 0.05, latencySeconds: 0.02 })]);
  prom = await startPrometheus({ targets: [svc.target], scrapeInterval: '1s' });
  // Give Prometheus a little history for the baseline.
  await prom.waitForSamples('sum(rate(http_requests_total[5s]))', 20_000);
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([prom?.stop(), svc?.stop(), sshd?.stop()]);
  for (const d of dirs) d.remove();
});

/** A repository to release, a "server" folder reached over SSH, and a config tying them. */
function project(): { dir: string; server: string } {
  const t = tempDir('hubops-rel-');
  dirs.push(t);
  const q = (p: string) => JSON.stringify(p);
  const server = releaseRepo(t.path, (server) => [
    'project: shop',
    'environments:',
    '  prod:',
    `    target: ssh://${sshd.user}@127.0.0.1:${sshd.port}`,
    `    ssh: { identityFile: ${q(sshd.identityFile)}, knownHosts: ${q(sshd.knownHostsFile)} }`,
    '    health:',
    `      - { name: api, http: "${svc.url}/health" }`,
    '    metrics:',
    `      prometheus: "${prom.url}"`,
    '      errorRate: \'sum(rate(http_requests_total{code=~"5.."}[4s])) / sum(rate(http_requests_total[4s]))\'',
    "      p99: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[4s])))'",
    '    watch: { duration: 12s, interval: 2s, noDataGrace: 4s, consecutiveErrors: 3 }',
    '    release:',
    `      deploy: "printf %s {{version}} > ${server}/VERSION && echo deployed {{version}}"`,
    `      rollback: "printf %s {{previous}} > ${server}/VERSION && echo rolled back to {{previous}}"`,
    `      current: "cat ${server}/VERSION"`,
    `      smoke: [ { name: health, http: "${svc.url}/health" } ]`,
    '      strategies: [all-at-once]',
  ]);
  return { dir: t.path, server };
}

const FLAGS = ['--plain', '--env', 'prod', '--approve', 'pre-release', '--strategy', 'all-at-once'];

const hubops = (cwd: string, args: string[], onLine?: (l: string, kill: () => void) => void) => runHubops(args, { cwd, onLine });

/**
 * Waits until the last 25 s of the service's error ratio and p99 are back to normal, so one test's
 * fault does not leak into the next test's baseline.
 */
async function settle(): Promise<void> {
  svc.set({ errorRatio: 0.05, latencySeconds: 0.02 });
  await prom.waitForValue('max_over_time((sum(rate(http_requests_total{code="500"}[4s])) / sum(rate(http_requests_total[4s])))[25s:1s])', (v) => v < 0.08, 60_000);
  await prom.waitForValue('max_over_time(histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[4s])))[25s:1s])', (v) => v < 0.03, 60_000);
}

const reports = releaseReports;

/**
 * Makes the project's deploy write the version, say `deploying`, then take its time (a sleep with a
 * mark of its own, to find it on the host); returns the pids of that sleep, alive now.
 */
function slowDeploy(dir: string, server: string): () => number[] {
  const mark = `${process.pid}${Date.now() % 100000}`;
  const cfg = join(dir, 'hubops.yaml');
  writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(/deploy: ".*"/, `deploy: "printf %s {{version}} > ${server}/VERSION && echo deploying && sleep 4${mark} && touch ${server}/deploy-finished"`));
  git(dir, 'commit', '-qam', 'chore: a slow deploy');
  const sleeping = () => pidsWithArgv(`sleep 4${mark}`);
  // Stopped by pid whatever the test found: the stop is what is under test.
  onTestFinished(() => stopPids(sleeping()));
  return sleeping;
}

/** Rolled back, cleanly, and the slow deploy did not go on behind the rollback's back. */
function expectRolledBackAfterStop(out: string, server: string, sleeping: () => number[]): void {
  expect(out).toContain('rolled back to 1.0.0');
  expect(out).not.toContain('SYSTEM STATE UNKNOWN');
  expect(out).toMatch(/verdict: Rolled-Back/);
  expect(sleeping()).toEqual([]);
  expect(existsSync(join(server, 'deploy-finished'))).toBe(false);
  expect(readFileSync(join(server, 'VERSION'), 'utf8')).toBe('1.0.0');
}

describe('hubops release on real parts', () => {
  it('a clean release: Released, tagged, changelog promoted, report written', async () => {
    await settle();
    const { dir, server } = project();
    const r = await hubops(dir, ['release', ...FLAGS]);
    expect(r.out).toContain('verdict: Released');
    expect(r.code).toBe(0);
    expect(readFileSync(join(server, 'VERSION'), 'utf8')).toBe('1.1.0');
    expect(git(dir, 'tag', '--list', 'v1.1.0')).toBe('v1.1.0');
    expect(readFileSync(join(dir, 'CHANGELOG.md'), 'utf8')).toMatch(/## \[Unreleased\]\n\n## \[1\.1\.0\] - \d{4}-\d{2}-\d{2}\n\n### Added\n- a new endpoint/);
    // The promoted changelog is committed and the tag holds it: the next gate finds a clean tree.
    expect(git(dir, 'log', '-1', '--format=%s', 'v1.1.0')).toBe('chore(release): v1.1.0');
    expect(git(dir, 'show', 'v1.1.0:CHANGELOG.md')).toContain('## [1.1.0] - ');
    expect(git(dir, 'diff', '--name-only', 'v1.1.0~1', 'v1.1.0')).toBe('CHANGELOG.md');
    expect(git(dir, 'status', '--porcelain', '--untracked-files=no')).toBe('');
    expect(r.out).toContain('CHANGELOG.md committed: chore(release): v1.1.0.');
    const [rep] = reports(dir);
    expect(rep).toMatch(/^release_1\.1\.0_prod_\d{4}-\d{2}-\d{2}-\d{4}\.md$/);
    const text = readFileSync(join(dir, 'docs', 'releases', rep!), 'utf8');
    for (const h of ['Phase 1 — pre-release gate', 'Phase 2 — strategy', 'Phase 3 — execute', 'Phase 4 — smoke tests', 'Phase 5 — watch window', 'Phase 6 — commit', 'Verdict: Released']) expect(text).toContain(h);
  }, 120_000);

  it('a commit made during the watch window: the tag goes on the commit the gate passed, the changelog is left alone', async () => {
    await settle();
    const { dir } = project();
    const gated = git(dir, 'rev-parse', 'HEAD');
    const changelog = readFileSync(join(dir, 'CHANGELOG.md'), 'utf8');
    let committed = false;
    const r = await hubops(dir, ['release', ...FLAGS], (l) => {
      if (!committed && /^ {2}interval 1:/.test(l)) {
        committed = true;
        writeFileSync(join(dir, 'late.txt'), 'a late fix');
        git(dir, 'add', 'late.txt');
        git(dir, 'commit', '-qm', 'fix: made while the release was watched');
      }
    });
    expect(committed).toBe(true);
    expect(r.out).toContain('verdict: Released');
    expect(r.out).toContain(`HEAD moved since the gate (${gated.slice(0, 12)} → `);
    expect(r.out).toContain('CHANGELOG.md left as it is; if [1.1.0] is not in it yet, move [Unreleased] under it by hand.');
    expect(git(dir, 'rev-parse', 'v1.1.0^{commit}')).toBe(gated);
    expect(git(dir, 'log', '-1', '--format=%s')).toBe('fix: made while the release was watched');
    expect(readFileSync(join(dir, 'CHANGELOG.md'), 'utf8')).toBe(changelog);
    expect(releaseJournal<{ type: string; commit?: string }>(dir).find((e) => e.type === 'started')?.commit).toBe(gated);
  }, 120_000);

  it('errors x3 after the deploy: automatic rollback, both reports', async () => {
    await settle();
    const { dir, server } = project();
    const r = await hubops(dir, ['release', ...FLAGS], (l) => {
      if (l.startsWith('watch window:')) svc.set({ errorRatio: 0.4 });
      // The rollback command puts the old version back: the fault goes with the new one.
      if (l.startsWith('rolling back:')) svc.set({ errorRatio: 0.05 });
    });
    expect(r.out).toMatch(/verdict: Rolled-Back — hard breach: .*errorRate/);
    expect(r.code).toBe(1);
    expect(readFileSync(join(server, 'VERSION'), 'utf8')).toBe('1.0.0');
    expect(git(dir, 'tag', '--list', 'v1.1.0')).toBe('');
    const files = reports(dir);
    expect(files.map((f) => f.split('_')[0])).toEqual(['release', 'rollback']);
    expect(readFileSync(join(dir, 'docs', 'releases', files[1]!), 'utf8')).toContain('back on 1.0.0');
  }, 120_000);

  it('latency drift into the soft band: a gate, answered by --on-soft continue', async () => {
    await settle();
    const { dir } = project();
    // 0.02 → 0.04 s is 2× the baseline p99: inside the soft band (>= 1.5×), under hard (3×).
    const r = await hubops(dir, ['release', ...FLAGS, '--on-soft', 'continue'], (l) => {
      if (l.startsWith('watch window:')) svc.set({ latencySeconds: 0.04 });
    });
    svc.set({ latencySeconds: 0.02 });
    expect(r.out).toMatch(/soft breach: .*p99/);
    expect(r.out).toContain('verdict: Released');
  }, 120_000);

  it('a silent metrics source is a failure: Rolled-Back for no data', async () => {
    await settle();
    const { dir } = project();
    // Point the metrics at a series that does not exist: every query answers with no data.
    const cfg = join(dir, 'hubops.yaml');
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(/http_requests_total\{code=~"5\.\."\}/, 'no_such_metric_total'));
    git(dir, 'commit', '-qam', 'fix: point at nothing');
    const r = await hubops(dir, ['release', ...FLAGS]);
    expect(r.out).toMatch(/verdict: Rolled-Back — hard breach: .*no data/);
    expect(r.code).toBe(1);
  }, 120_000);

  it('the SSH link drops during the deploy: the release waits for it, the deploy left running on the host is stopped, then the rollback runs', async () => {
    await settle();
    const { dir, server } = project();
    const sleeping = slowDeploy(dir, server);
    let dropped = false;
    const r = await hubops(dir, ['release', ...FLAGS], (l) => {
      if (!dropped && l.includes('| deploying')) {
        dropped = true;
        void waitFor(() => sleeping().length > 0, { what: 'the deploy sleeping on the host' }).then(() => sshd.dropLinks());
      }
    });
    expect(dropped).toBe(true);
    expect(r.out).toMatch(/deploy command connection lost while it ran; once the link is back, hubops stops what is left of it on the host/);
    expect(r.out).toMatch(/the command cut off when the link to ssh:\/\/\S+ dropped \(printf .*\) was still running: stopped it \(TERM; pids [\d ]+\)/);
    expect(r.out).toMatch(/waiting up to 2m for the link to ssh:\/\//);
    expect(r.code).toBe(1);
    expectRolledBackAfterStop(r.out, server, sleeping);
  }, 150_000);

  it('hubops killed during the deploy: the deploy goes on on the host, and --resume stops it before rolling back', async () => {
    await settle();
    const { dir, server } = project();
    const sleeping = slowDeploy(dir, server);
    const first = await hubops(dir, ['release', ...FLAGS], (l, kill) => {
      if (l.includes('| deploying')) void waitFor(() => sleeping().length > 0, { what: 'the deploy sleeping on the host' }).then(kill);
    });
    expect(first.signal).toBe('SIGKILL');
    // hubops is gone; its deploy is not.
    expect(sleeping()).toHaveLength(1);
    const second = await hubops(dir, ['release', '--resume', ...FLAGS]);
    expect(second.out).toMatch(/the deploy command the last hubops died under was still running: stopped it \(TERM; pids [\d ]+\)/);
    expectRolledBackAfterStop(second.out, server, sleeping);
  }, 150_000);

  it('kill -9 mid-window, then --resume continues with the samples already taken', async () => {
    await settle();
    const { dir, server } = project();
    const first = await hubops(dir, ['release', ...FLAGS], (l, kill) => {
      if (/^ {2}interval 2:/.test(l)) kill();
    });
    expect(first.signal).toBe('SIGKILL');
    const journalDir = join(dir, '.hubops', 'releases');
    const [journal] = readdirSync(journalDir).filter((f) => f.endsWith('.jsonl'));
    const before = readFileSync(join(journalDir, journal!), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    const samplesBefore = before.filter((e) => e.type === 'sample').length;
    expect(samplesBefore).toBeGreaterThanOrEqual(2);
    expect(before.some((e) => e.type === 'verdict')).toBe(false);

    const second = await hubops(dir, ['release', '--resume', ...FLAGS]);
    expect(second.out).toContain(`watch window resumed with ${samplesBefore} samples already taken`);
    expect(second.out).toContain('verdict: Released');
    const after = readFileSync(join(journalDir, journal!), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.filter((e) => e.type === 'sample').length).toBeGreaterThan(samplesBefore);
    expect(readFileSync(join(server, 'VERSION'), 'utf8')).toBe('1.1.0');
  }, 180_000);

  it('hubops watch alone: passes on a healthy service, rolls back on errors', async () => {
    await settle();
    const { dir, server } = project();
    const ok = await hubops(dir, ['watch', '--plain', '--env', 'prod', '--duration', '6s', '--interval', '2s', '--previous', '0.9.0']);
    expect(ok.out).toContain('verdict: Released — watch window passed');
    expect(ok.code).toBe(0);
    const bad = await hubops(dir, ['watch', '--plain', '--env', 'prod', '--duration', '10s', '--interval', '2s', '--previous', '0.9.0'], (l) => {
      if (l.startsWith('watch window:')) svc.set({ errorRatio: 0.4 });
      if (l.startsWith('rolling back:')) svc.set({ errorRatio: 0.05 });
    });
    expect(bad.out).toMatch(/verdict: Rolled-Back — hard breach: .*errorRate/);
    expect(bad.code).toBe(1);
    expect(readFileSync(join(server, 'VERSION'), 'utf8')).toBe('0.9.0');
  }, 120_000);

  it('an unanswered gate fails closed: Aborted, nothing deployed', async () => {
    const { dir, server } = project();
    const r = await hubops(dir, ['release', '--plain', '--env', 'prod']);
    expect(r.out).toContain('not approved (pass --approve pre-release): failing closed');
    expect(r.out).toContain('verdict: Aborted');
    expect(r.code).toBe(1);
    expect(readFileSync(join(server, 'VERSION'), 'utf8')).toBe('1.0.0');
  }, 60_000);

  it('cut off at the pre-release gate or the strategy choice, --resume aborts: nothing was deployed, nothing is tagged', async () => {
    for (const [cut, where] of [
      ['gate', 'the pre-release gate'],
      ['strategy', 'the strategy choice'],
    ] as const) {
      const { dir, server } = project();
      // A run stopped at the gate journals started, gate, decision, verdict. A kill -9 while the gate
      // (or the strategy question) waited leaves a prefix of that journal: made here by cutting it.
      const stopped = await hubops(dir, ['release', '--plain', '--env', 'prod']);
      expect(stopped.out).toContain('verdict: Aborted');
      const journalDir = join(dir, '.hubops', 'releases');
      const [file] = readdirSync(journalDir).filter((f) => f.endsWith('.jsonl'));
      const lines = readFileSync(join(journalDir, file!), 'utf8').trim().split('\n');
      const started = lines.findIndex((l) => JSON.parse(l).type === 'started');
      const kept = lines.slice(0, started + 1);
      if (cut === 'strategy') {
        const s = JSON.parse(lines[started]!) as { v: number; seq: number; at: string; by: string };
        kept.push(JSON.stringify({ v: s.v, seq: s.seq + 1, at: s.at, by: s.by, type: 'phase', phase: 'strategy' }));
      }
      writeFileSync(join(journalDir, file!), kept.join('\n') + '\n');

      const r = await hubops(dir, ['release', '--resume', ...FLAGS]);
      expect(r.out).toContain(`verdict: Aborted — interrupted at ${where}, before the deploy`);
      expect(r.code).toBe(1);
      expect(readFileSync(join(server, 'VERSION'), 'utf8')).toBe('1.0.0');
      expect(git(dir, 'tag', '--list', 'v1.1.0')).toBe('');
      const events = readFileSync(join(journalDir, file!), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
      expect(events.some((e) => e.type === 'command' || e.type === 'sample')).toBe(false);
    }
  }, 120_000);
});

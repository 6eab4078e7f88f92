// The watch window's baseline comes from before the deploy (DESIGN.md: "Baseline from before the
// deploy"), end to end with the built hubops on the local target: a `/metrics` scrape source (a
// test service on 127.0.0.1 whose error ratio the deploy command itself turns, with curl), so the
// baseline is read from the old version only.
//
// - A release that is bad from its first second must breach against the old version's error
//   ratio and roll back. (Measured against itself, as when the baseline was read after the
//   deploy, it looked normal and was released.)
// - A release killed mid-deploy and resumed rolls back; the mini watch after that rollback judges
//   against the journaled pre-deploy baseline, so a rollback that did not cure the errors is
//   reported as such instead of passing against errors it measured itself.
// - `hubops watch` (a deploy made by another tool) can only read a scrape baseline after the
//   deploy: the journal and the report say so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startMetricsService, type MetricsService } from '../fixtures/metrics-service.js';
import { isAlive, tempDir, trackPid, waitFor, type TempDir } from '../fixtures/procs.js';
import { runHubops } from '../support/hubops-process.js';
import { releaseJournal, releaseReports, releaseRepo } from '../support/release-repo.js';

/** The old version's share of failing requests, and the new (bad) version's. */
const GOOD = 0.01;
const BAD = 0.3;

let svc: MetricsService;
const dirs: TempDir[] = [];

beforeAll(async () => {
  // 200 synthetic requests/s: a ratio read over 2 s holds ~400 requests, so 1 % reads as 1 %.
  svc = await startMetricsService({ requestsPerSecond: 200, errorRatio: GOOD, latencySeconds: 0.02 });
}, 30_000);

afterAll(async () => {
  await svc?.stop();
  for (const d of dirs) d.remove();
});

/** curl that sets the service's error ratio: what "deploying" a version does to it. */
const setRatio = (ratio: number) => `curl -fsS -o /dev/null -X POST -d '{"errorRatio":${ratio}}' ${svc.url}/knobs`;

/** A repository to release and a config whose deploy makes the service fail `BAD` of its requests. */
function project(commandsFor: (server: string) => { deploy: string; rollback: string }): { dir: string; server: string } {
  const t = tempDir('hubops-base-');
  dirs.push(t);
  const server = releaseRepo(t.path, (server) => {
    const commands = commandsFor(server);
    return [
      'project: shop',
      'environments:',
      '  prod:',
      '    target: local',
      '    health:',
      `      - { name: api, http: "${svc.url}/health" }`,
      '    metrics:',
      `      scrape: "${svc.url}/metrics"`,
      '      errorRate: \'sum(rate(http_requests_total{code=~"5.."}[10s])) / sum(rate(http_requests_total[10s]))\'',
      '    watch: { duration: 10s, interval: 2s, noDataGrace: 6s }',
      '    release:',
      `      deploy: ${JSON.stringify(commands.deploy)}`,
      `      rollback: ${JSON.stringify(commands.rollback)}`,
      `      current: "cat ${server}/VERSION"`,
      `      smoke: [ { name: health, http: "${svc.url}/health" } ]`,
      '      strategies: [all-at-once]',
    ];
  });
  return { dir: t.path, server };
}

const FLAGS = ['--plain', '--env', 'prod', '--approve', 'pre-release', '--strategy', 'all-at-once'];

interface JournalLine {
  type: string;
  purpose?: string;
  phase?: string;
  source?: string;
  metrics?: Record<string, { mean: number | null; samples: number } | unknown>;
  window?: string;
  kind?: string;
}

const journal = (dir: string) => releaseJournal<JournalLine>(dir);
const reports = releaseReports;

describe('the watch baseline is read before the deploy', () => {
  it('a release bad from its first second breaches against the old version and rolls back', async () => {
    svc.set({ errorRatio: GOOD });
    const { dir, server } = project((srv) => ({
      deploy: `printf %s {{version}} > ${srv}/VERSION && ${setRatio(BAD)} && echo deployed {{version}}`,
      rollback: `printf %s {{previous}} > ${srv}/VERSION && ${setRatio(GOOD)} && echo rolled back to {{previous}}`,
    }));
    const r = await runHubops(['release', ...FLAGS], { cwd: dir });
    svc.set({ errorRatio: GOOD });

    expect(r.out).toMatch(/HARD breach: .*errorRate/);
    expect(r.out).toMatch(/verdict: Rolled-Back — hard breach: .*errorRate/);
    expect(r.code).toBe(1);
    expect(readFileSync(join(server, 'VERSION'), 'utf8')).toBe('1.0.0');

    const events = journal(dir);
    const baselineAt = events.findIndex((e) => e.type === 'baseline');
    const deployAt = events.findIndex((e) => e.type === 'command' && e.purpose === 'deploy');
    expect(baselineAt, r.out).toBeGreaterThanOrEqual(0);
    expect(deployAt, r.out).toBeGreaterThanOrEqual(0);
    // Journaled before the deploy ran, and read from the old version: about 1 %, not 30 %.
    expect(baselineAt, r.out).toBeLessThan(deployAt);
    const b = events[baselineAt]!;
    expect(b.source, r.out).toMatch(/before the deploy/);
    const mean = (b.metrics!.errorRate as { mean: number | null; samples: number }).mean;
    expect(mean, r.out).not.toBeNull();
    expect(mean!, r.out).toBeLessThan(0.05);
    // Three readings that each hold a rate (the priming scrape is not one of them).
    expect((b.metrics!.errorRate as { samples: number }).samples, r.out).toBe(3);
    expect(r.out).toMatch(/baseline before the deploy/);

    // The rollback cured it: the mini watch, against the pre-deploy baseline, passes.
    expect(r.out).not.toMatch(/SYSTEM STATE UNKNOWN/);
    expect(events.filter((e) => e.type === 'watch-decision' && e.window === 'mini').map((e) => e.kind)).toEqual(['passed']);
    // One baseline only: the mini watch reused it rather than reading the rolled-back service.
    expect(events.filter((e) => e.type === 'baseline')).toHaveLength(1);
    const files = reports(dir);
    expect(files.map((f) => f.split('_')[0])).toEqual(['release', 'rollback']);
    const text = readFileSync(join(dir, 'docs', 'releases', files[0]!), 'utf8');
    expect(text).toMatch(/## Phase 5 — watch window\n\nBaseline \([^)]*before the deploy[^)]*\): errorRate 0\.0/);
  }, 120_000);

  it('killed mid-deploy, resumed: the rollback’s mini watch judges against the journaled pre-deploy baseline', async () => {
    svc.set({ errorRatio: GOOD });
    let deployPid = 0;
    const { dir, server } = project((srv) => ({
      // The new version starts failing at once; the deploy then hangs until the test kills hubops.
      deploy: `${setRatio(BAD)} && echo $$ > ${srv}/deploy.pid && echo deploying {{version}} && exec sleep 60`,
      // A rollback that does not cure the service: only the baseline from before the deploy can tell.
      rollback: `echo rolled back to {{previous}}`,
    }));
    try {
      const first = await runHubops(['release', ...FLAGS], {
        cwd: dir,
        onLine: (l, kill) => {
          if (/\| deploying/.test(l)) kill();
        },
      });
      expect(first.signal, first.out).toBe('SIGKILL');
      // The deploy command outlives hubops (its own process group): stop it by its pid.
      deployPid = Number(readFileSync(join(server, 'deploy.pid'), 'utf8').trim());
      trackPid(deployPid, 'hanging deploy');
      process.kill(deployPid, 'SIGKILL');
      await waitFor(() => !isAlive(deployPid) || null, { what: 'the hanging deploy to end', timeoutMs: 10_000 });

      const before = journal(dir);
      const second = await runHubops(['release', '--resume', ...FLAGS], { cwd: dir });
      expect(second.out).toMatch(/rolling back: interrupted during execute/);
      // The service still fails 30 % of its requests: against the old version's 1 % that is a
      // hard breach, so the state after the rollback is not known to be good.
      expect(second.out).toMatch(/SYSTEM STATE UNKNOWN — the mini watch after the rollback failed/);
      const after = journal(dir);
      expect(after.filter((e) => e.type === 'watch-decision' && e.window === 'mini').map((e) => e.kind)).toEqual(['hard']);

      // Cut off in the deploy command, with the baseline already journaled.
      expect(before.filter((e) => e.type === 'phase').map((e) => e.phase)).toEqual(['strategy', 'execute']);
      expect(before.filter((e) => e.type === 'baseline')).toHaveLength(1);
      expect(before.some((e) => e.type === 'command')).toBe(false);
      expect(after.slice(0, before.length)).toEqual(before);
      // No second baseline read from the broken service.
      expect(after.filter((e) => e.type === 'baseline')).toHaveLength(1);
      expect(second.code).toBe(1);
      const rb = reports(dir).find((f) => f.startsWith('rollback_'));
      expect(readFileSync(join(dir, 'docs', 'releases', rb!), 'utf8')).toContain('Against the pre-deploy baseline');
    } finally {
      svc.set({ errorRatio: GOOD });
      if (deployPid && isAlive(deployPid)) process.kill(deployPid, 'SIGKILL');
    }
  }, 120_000);

  it('stopped while the baseline is read, resumed: Aborted, and no rollback runs (nothing was deployed)', async () => {
    svc.set({ errorRatio: GOOD });
    const { dir, server } = project((srv) => ({ deploy: `printf %s {{version}} > ${srv}/VERSION`, rollback: `echo rollback-ran > ${srv}/ROLLBACK` }));
    const first = await runHubops(['release', ...FLAGS], {
      cwd: dir,
      onLine: (l, kill) => {
        if (/baseline before the deploy/.test(l)) kill();
      },
    });
    expect(first.signal, first.out).toBe('SIGKILL');
    const second = await runHubops(['release', '--resume', ...FLAGS], { cwd: dir });
    expect(second.out).toContain('verdict: Aborted — interrupted at the strategy choice, before the deploy');
    expect(second.code).toBe(1);
    expect(existsSync(join(server, 'ROLLBACK'))).toBe(false);
    expect(readFileSync(join(server, 'VERSION'), 'utf8')).toBe('1.0.0');
    expect(journal(dir).some((e) => e.type === 'command')).toBe(false);
  }, 60_000);

  it('hubops watch alone (a deploy made by another tool): the scrape baseline is read at the window start and says it is after the deploy', async () => {
    svc.set({ errorRatio: GOOD });
    const { dir } = project((srv) => ({ deploy: `echo nothing`, rollback: `printf %s {{previous}} > ${srv}/VERSION` }));
    const r = await runHubops(['watch', '--plain', '--env', 'prod', '--duration', '6s', '--interval', '2s', '--previous', '0.9.0'], { cwd: dir });
    expect(r.out).toContain('verdict: Released — watch window passed');
    const events = journal(dir);
    const b = events.find((e) => e.type === 'baseline')!;
    expect(b.source, r.out).toMatch(/^3 scrape readings 2s apart, after the deploy/);
    const [rep] = reports(dir);
    expect(readFileSync(join(dir, 'docs', 'releases', rep!), 'utf8')).toMatch(/## Phase 5 — watch window\n\nBaseline \(3 scrape readings 2s apart, after the deploy/);
  }, 60_000);
});

// Releases of `hubops demo`'s shop API, run by hubops' own release runner on the local target
// against the real stack (the API and worker as processes, deploy.sh restarting the API): a healthy
// release must pass its watch window, and an error spike injected during the window must roll it
// back, with the mini watch after the rollback passing.
//
// The watch here polls every 3 s (as the demo's end-to-end test does), the tightest the demo is
// driven at: its baseline is three rates over 3, 6 and 9 s of the old version, read before the
// deploy, and its first samples are rates over 3 and 6 s of a process the deploy has just
// restarted. Each release gets a stack of its own.

import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/load.js';
import { DemoStack, resolveDemoScripts } from '../../src/demo/stack.js';
import type { ReleaseEvent } from '../../src/release/events.js';
import { runRelease, type Answerer, type ReleaseResult } from '../../src/release/runner.js';
import { LocalTarget } from '../../src/targets/local.js';
import { tempDir, trackPid, type TempDir } from '../fixtures/procs.js';

const SRC_DEMO = fileURLToPath(new URL('../../src/demo/', import.meta.url));
/** The shop's share of synthetic requests that fail when nothing is injected (shop-service.ts). */
const BASE_ERROR_RATIO = 0.01;

let tmp: TempDir | undefined;
let stack: DemoStack | undefined;
const local = new LocalTarget();

afterEach(async () => {
  await stack?.stop();
  stack = undefined;
  await tmp?.remove();
  tmp = undefined;
}, 60_000);

async function startStack(): Promise<DemoStack> {
  tmp = tempDir('hdemo-rel-');
  stack = new DemoStack();
  await stack.start({ dir: tmp.join('demo'), scripts: resolveDemoScripts(SRC_DEMO) });
  for (const pid of stack.startedPids) trackPid(pid, 'demo process');
  return stack;
}

interface Run {
  result: ReleaseResult;
  out: string[];
  events: ReleaseEvent[];
}

async function release(s: DemoStack, soft: 'continue' | 'rollback', onLine: (line: string) => void = () => {}): Promise<Run> {
  const r = loadConfigFile(s.configFile);
  if (!r.ok) throw new Error(`config did not load: ${JSON.stringify(r.problems)}`);
  const out: string[] = [];
  const events: ReleaseEvent[] = [];
  const answerer: Answerer = {
    preRelease: async () => ({ choice: 'proceed', overrides: [] }),
    strategy: async () => 'all-at-once',
    manual: async () => 'failed',
    soft: async () => ({ answer: soft }),
    countdown: async () => 'elapsed',
    afterStop: async () => 'rollback',
  };
  const result = await runRelease({
    loaded: r.loaded,
    envName: 'demo',
    request: {},
    answerer,
    target: local,
    repoDir: s.dir,
    watch: { durationMs: 30_000, intervalMs: 3000 },
    miniWatchMs: 15_000,
    out: (l) => {
      out.push(l);
      onLine(l);
    },
    onEvent: (e) => void events.push(e),
  });
  for (const pid of s.startedPids) trackPid(pid, 'demo process');
  return { result, out, events };
}

const samples = (events: ReleaseEvent[], window: 'watch' | 'mini') =>
  events.filter((e): e is Extract<ReleaseEvent, { type: 'sample' }> => e.type === 'sample' && e.window === window);

function baselineOf(events: ReleaseEvent[]): Record<string, number | null> {
  const b = events.find((e): e is Extract<ReleaseEvent, { type: 'baseline' }> => e.type === 'baseline');
  if (!b) throw new Error('no baseline in the journal');
  return Object.fromEntries(Object.entries(b.metrics).map(([k, v]) => [k, v.mean]));
}

describe('demo releases', () => {
  it('with no fault: the baseline is the base error ratio, every watch sample stays under 1.5x it, and the release is Released', async () => {
    const s = await startStack();
    // Let the old version serve a while, as it would before anyone releases.
    await new Promise((r) => setTimeout(r, 5000));
    // A soft breach is answered "roll back": any breach at all shows in the verdict.
    const { result, out, events } = await release(s, 'rollback');
    const log = out.join('\n');

    const baseline = baselineOf(events);
    // Read from 1.4.0 before the deploy (journaled before the deploy command), over 3, 6 and 9 s.
    expect(events.findIndex((e) => e.type === 'baseline'), log).toBeLessThan(events.findIndex((e) => e.type === 'command' && e.purpose === 'deploy'));
    expect(baseline.errorRate, log).toBeGreaterThan(BASE_ERROR_RATIO * 0.75);
    expect(baseline.errorRate!, log).toBeLessThan(BASE_ERROR_RATIO * 1.25);
    const watch = samples(events, 'watch');
    expect(watch.length, log).toBeGreaterThanOrEqual(10);
    for (const sample of watch) {
      for (const name of ['errorRate', 'p99'] as const) {
        const v = sample.metrics[name];
        expect(typeof v, `${name} in ${JSON.stringify(sample.metrics)}\n${log}`).toBe('number');
        expect(v as number, `${name} in ${JSON.stringify(sample.metrics)} against baseline ${baseline[name]}\n${log}`).toBeLessThan(1.5 * baseline[name]!);
      }
    }
    expect(log).not.toMatch(/(soft|hard) breach/i);
    expect(result.verdict, log).toBe('Released');
    expect(result.exitCode).toBe(0);
    expect(s.apiVersion()).toBe('1.5.0');
  }, 180_000);

  it('an error spike injected after a clean first interval rolls back on a hard errorRate breach, and the mini watch after the rollback passes', async () => {
    const s = await startStack();
    await new Promise((r) => setTimeout(r, 5000));
    let injected: Promise<unknown> | undefined;
    // "continue" at a soft gate: the spike must carry on into a hard breach and roll back by itself.
    const { result, out, events } = await release(s, 'continue', (l) => {
      if (/^\s*interval 1: ok$/.test(l)) injected ??= s.injectFault('errors', 0.4);
    });
    const log = out.join('\n');
    expect(injected, `no clean first interval, so no fault was injected\n${log}`).toBeDefined();
    expect(await injected).toMatchObject({ ok: true });

    expect(baselineOf(events).errorRate, log).toBeGreaterThan(BASE_ERROR_RATIO * 0.75);
    expect(log).toMatch(/HARD breach: errorRate/);
    expect(result.verdict, log).toBe('Rolled-Back');
    expect(result.reason, log).toMatch(/^hard breach: errorRate/);
    // The rollback restarted the API on 1.4.0 (which clears the fault): smoke tests and the mini
    // watch, against the pre-deploy baseline, pass.
    expect(result.reason, log).not.toMatch(/state unknown/);
    expect(log).not.toMatch(/SYSTEM STATE UNKNOWN/);
    expect(samples(events, 'mini').length, log).toBeGreaterThanOrEqual(4);
    expect(events.filter((e) => e.type === 'watch-decision' && e.window === 'mini').map((e) => (e as { kind: string }).kind)).toEqual(['passed']);
    expect(s.apiVersion()).toBe('1.4.0');
    expect(s.faults()).toEqual({});
  }, 180_000);
});

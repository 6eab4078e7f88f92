// `hubops demo` end to end in a real terminal: the stack comes up live, a fault shows in the
// panes, a release whose first watch interval is clean and is then hit by an error spike rolls
// back by itself on a hard breach with both reports (the mini watch after the rollback passing),
// and quitting leaves no process and no port behind.
import { afterAll, describe, expect, it } from 'vitest';
import { runHubops } from '../support/hubops-process.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canConnect, isAlive, tempDir, waitFor } from '../fixtures/procs.js';
import { startTmux, type TmuxSession } from '../fixtures/tmux.js';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin', 'hubops');
const dir = tempDir('hubops-demo-');
let tmux: TmuxSession | undefined;

afterAll(async () => {
  await tmux?.kill();
  dir.remove();
});

const hubops = (args: string[], onLine: (l: string) => void) => runHubops(args, { onLine });

describe('hubops demo', () => {
  it('is live, shows faults, rolls a bad release back, and stops everything on quit', async () => {
    const demoDir = dir.join('stack');
    const xdg = dir.join('xdg');
    tmux = await startTmux({ command: [process.execPath, bin, 'demo', '--dir', demoDir], cols: 120, rows: 40, env: { HUBOPS_CONFIG: '', XDG_CONFIG_HOME: xdg } });
    const s = tmux;
    // First run: the keys that matter, dismissed by any key and remembered.
    await s.waitForText('Welcome to hubops — the keys that matter', 30_000);
    await s.sendKeys('Space');
    await s.waitForNoText('Welcome to hubops');
    expect(JSON.parse(readFileSync(join(xdg, 'hubops', 'state.json'), 'utf8'))).toEqual({ firstRunSeen: true });
    // All four panes live.
    await s.waitForText(/shop-api +(running|healthy)/, 30_000);
    await s.waitForText(/● api +HTTP 200/);
    await s.waitForText(/error rate +\d/);
    await s.waitForText(/api│ .*(INFO|WARN)/);
    const pids = JSON.parse(readFileSync(join(demoDir, 'pids.json'), 'utf8')) as Record<string, number>;
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(readFileSync(join(demoDir, 'hubops.yaml'), 'utf8'))![1]);

    // A fault from the console shows in the health pane within an interval.
    await s.sendKeys('F', 'h');
    await s.waitForText(/✖ api +HTTP 503/, 20_000);
    await s.sendKeys('F', 'x');
    await s.waitForText(/● api +HTTP 200/, 20_000);

    // A release (from a second terminal, as a user would). The deployed version is healthy at
    // first: the first watch interval must pass on its own, and only then is an error spike
    // injected from the console. `--on-soft continue`: a sample that catches the very start of the
    // spike may read only 1.5-2x the baseline; continuing lets the spike carry on into the hard
    // breach, so the rollback below is the automatic one, whatever the timing.
    let injected = false;
    const release = hubops(
      ['release', '--plain', '--config', join(demoDir, 'hubops.yaml'), '--env', 'demo', '--approve', 'pre-release', '--strategy', 'all-at-once', '--watch-duration', '40s', '--watch-interval', '3s', '--on-soft', 'continue'],
      (l) => {
        if (!injected && /^\s*interval 1: ok$/.test(l)) {
          injected = true;
          void s.sendKeys('F', 'e');
        }
      },
    );
    const r = await release;
    expect(r.out).toMatch(/^\s*interval 1: ok$/m);
    expect(injected).toBe(true);
    expect(r.out).toMatch(/HARD breach: errorRate/);
    expect(r.out).toMatch(/verdict: Rolled-Back — hard breach: errorRate/);
    // The rollback restarts the API on 1.4.0 (which clears the fault): its smoke tests and mini
    // watch pass, so the state is known.
    expect(r.out).not.toMatch(/SYSTEM STATE UNKNOWN|state unknown/);
    expect(r.code).toBe(1);
    const reports = readdirSync(join(demoDir, 'docs', 'releases')).sort();
    expect(reports.map((f) => f.split('_')[0])).toEqual(['release', 'rollback']);
    expect(readFileSync(join(demoDir, 'docs', 'releases', reports[1]!), 'utf8')).toMatch(/back on 1\.4\.0, smoke tests and mini watch passed/);
    expect(readFileSync(join(demoDir, 'VERSION'), 'utf8').trim()).toBe('1.4.0');

    // Quit: every process of the stack is gone and its port is free.
    await s.sendKeys('q');
    expect(await s.waitForExit(20_000)).toBe(0);
    for (const pid of Object.values(pids)) await waitFor(() => !isAlive(pid) || null, { what: `demo process ${pid} to end`, timeoutMs: 10_000 });
    // A process's listening socket closes with the last of its threads, which can be just after
    // /proc shows it as a zombie (see demo-stack.test.ts).
    await waitFor(async () => !(await canConnect(port)), { what: 'the demo API to stop listening', timeoutMs: 10_000 });
    expect(existsSync(join(demoDir, 'hubops.yaml'))).toBe(true);
  }, 300_000);
});

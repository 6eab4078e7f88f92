// A release from the console (D), end to end in a real terminal, as a user would do it in
// `hubops demo`: the version prompt, the pre-release gate answered with A, the strategy, the
// deploy, smoke tests and the watch window (the demo's: 2 minutes), the verdict in the panel and
// the bottom bar; then a second D finds a clean tree (the changelog was committed with the tag).
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, tempDir, waitFor } from '../fixtures/procs.js';
import { startTmux, type TmuxSession } from '../fixtures/tmux.js';
import { git } from '../support/release-repo.js';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin', 'hubops');
const dir = tempDir('hubops-console-release-');
let tmux: TmuxSession | undefined;

afterAll(async () => {
  await tmux?.kill();
  dir.remove();
});

describe('a release from the console', () => {
  it('D: gate, strategy, deploy, smoke, watch window, Released; the next gate finds a clean tree', async () => {
    const demoDir = dir.join('stack');
    tmux = await startTmux({ command: [process.execPath, bin, 'demo', '--dir', demoDir], cols: 120, rows: 40, env: { HUBOPS_CONFIG: '', XDG_CONFIG_HOME: dir.join('xdg') } });
    const s = tmux;
    await s.waitForText('Welcome to hubops', 30_000);
    await s.sendKeys('Space');
    await s.waitForText(/● api +HTTP 200/, 30_000);

    await s.sendKeys('D');
    await s.waitForText('Release to demo');
    // Empty: the version the commits suggest.
    await s.sendKeys('Enter');
    let screen = await s.waitForText(/Pre-release gate for 1\.5\.0/, 30_000);
    expect(screen).toMatch(/pass +tree +working tree clean/);
    expect(screen).toContain('A proceed');
    await s.sendKeys('A');
    await s.waitForText('Deployment strategy');
    await s.sendKeys('1');
    await s.waitForText(/baseline \(3 scrape readings/, 60_000);
    await s.waitForText(/smoke health: ok/, 60_000);
    // The demo's window: 2 minutes at 5 s intervals.
    screen = await s.waitForText(/verdict: Released — watched 2m/, 240_000);
    expect(screen).toMatch(/CHANGELOG\.md committed: chore\(release\): v1\.5/);
    // The bottom bar is told of the end by the frame after the panel's (an effect on the status).
    await s.waitForText(/release 1\.5\.0: Released/, 5_000);
    expect(readFileSync(join(demoDir, 'VERSION'), 'utf8').trim()).toBe('1.5.0');
    expect(git(demoDir, 'log', '-1', '--format=%s', 'v1.5.0')).toBe('chore(release): v1.5.0');
    expect(git(demoDir, 'status', '--porcelain', '--untracked-files=no')).toBe('');

    // The next release's gate: the tree is clean (the changelog was committed); B aborts it.
    await s.sendKeys('Escape');
    await s.waitForNoText('Release 1.5.0 to demo');
    await s.sendKeys('D');
    await s.waitForText('Release to demo');
    await s.sendKeys('Enter');
    screen = await s.waitForText(/Pre-release gate for 1\.5\.1/, 30_000);
    expect(screen).toMatch(/pass +tree +working tree clean/);
    await s.sendKeys('B');
    await s.waitForText(/release 1\.5\.1: Aborted/);

    const pids = JSON.parse(readFileSync(join(demoDir, 'pids.json'), 'utf8')) as Record<string, number>;
    await s.sendKeys('Escape', 'q');
    expect(await s.waitForExit(20_000)).toBe(0);
    for (const pid of Object.values(pids)) await waitFor(() => !isAlive(pid) || null, { what: `demo process ${pid} to end`, timeoutMs: 10_000 });
  }, 420_000);
});

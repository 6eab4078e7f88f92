// An incident declared from another terminal reaches a console that is already open: the built
// hubops in tmux, and `hubops incident --sev … --plain` run beside it on the same project.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../fixtures/procs.js';
import { startTmux, type TmuxSession } from '../fixtures/tmux.js';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin', 'hubops');
const dir = tempDir('hubops-elsewhere-');
writeFileSync(dir.join('hubops.yaml'), 'project: shop\nenvironments:\n  staging:\n    target: local\n');
const sessions: TmuxSession[] = [];

afterAll(async () => {
  for (const s of sessions) await s.kill();
  dir.remove();
});

describe('an incident declared in another terminal', () => {
  it('shows in the open console within seconds; once the declaring hubops has gone, this one records it', async () => {
    const s = await startTmux({ command: [process.execPath, bin], cols: 120, rows: 40, cwd: dir.path, env: { HUBOPS_CONFIG: '' } });
    sessions.push(s);
    await s.waitForText('4 Metrics', 15_000);
    expect(await s.capture()).not.toContain('SEV2');

    const declared = spawnSync(process.execPath, [bin, 'incident', '--sev', '2', '--title', 'Search slow', '--service', 'search', '--plain'], {
      cwd: dir.path,
      env: { ...process.env, HUBOPS_CONFIG: '' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(declared.status, declared.stderr).toBe(0);

    let screen = await s.waitForText(/SEV2 Search slow · \d\d:\d\d/, 10_000);
    // The CLI that declared it has exited: nobody holds it, so this console is its writer now.
    expect(screen).toMatch(/declared by .*it is yours now/);
    expect(screen).not.toContain('read-only');
    await s.sendKeys('n');
    await s.waitForText('Note');
    await s.sendText('seen from the console');
    await s.sendKeys('Enter');
    await s.sendKeys('t');
    screen = await s.waitForText('seen from the console');
    expect(screen).toContain('SEV2 declared: Search slow');
    await s.sendKeys('Escape');
    await s.waitForNoText('Timeline —');
    // The writer is asked before quitting (the incident stays open).
    await s.sendKeys('q');
    await s.waitForText('Quit hubops while the incident is open?');
    await s.sendKeys('y', 'Enter');
    expect(await s.waitForExit(10_000)).toBe(0);
  }, 60_000);
});

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
  it('shows in the open console within seconds, read-only; hubops opened again leads it', async () => {
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
    // Followed read-only: this console does not take the writer's lock by itself, even with the
    // declaring hubops gone; the banner says how to lead it.
    expect(screen).toContain('read-only: declared in another terminal; `hubops incident` resumes it as its writer');
    expect(screen).toMatch(/declared in another terminal: watching it/);
    // Read-only: q does not ask (nothing of this console's is open).
    await s.sendKeys('q');
    expect(await s.waitForExit(10_000)).toBe(0);

    // Opened again, this console resumes it as its writer and records in it.
    const again = await startTmux({ command: [process.execPath, bin], cols: 120, rows: 40, cwd: dir.path, env: { HUBOPS_CONFIG: '' } });
    sessions.push(again);
    screen = await again.waitForText(/resumed \d{4}-\d\d-\d\d-search-slow \(SEV2, triage\)/, 15_000);
    expect(screen).not.toContain('read-only');
    await again.sendKeys('n');
    await again.waitForText('Note');
    await again.sendText('seen from the console');
    await again.sendKeys('Enter');
    await again.waitForNoText('Add a note to the timeline');
    await again.sendKeys('t');
    screen = await again.waitForText(/Timeline — \d+ events/);
    expect(screen).toContain('seen from the console');
    expect(screen).toContain('SEV2 declared: Search slow');
    await again.sendKeys('Escape');
    await again.waitForNoText('Timeline —');
    await again.sendKeys('q');
    await again.waitForText('Quit hubops while the incident is open?');
    await again.sendKeys('y', 'Enter');
    expect(await again.waitForExit(10_000)).toBe(0);
  }, 60_000);
});

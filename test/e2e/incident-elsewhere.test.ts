// An incident declared from another terminal reaches a console that is already open: the built
// hubops in tmux, and `hubops incident --sev … --plain` run beside it on the same project.
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { tempDir } from '../fixtures/procs.js';
import { startTmux, type TmuxSession } from '../fixtures/tmux.js';
import { addNote, closeTimeline, openTimeline, quitWithIncidentOpen } from '../support/console-keys.js';
import { declareIncident, HUBOPS_BIN, runHubops } from '../support/hubops-process.js';

const bin = HUBOPS_BIN;
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

    declareIncident(dir.path, { sev: 2, title: 'Search slow', service: 'search' });

    let screen = await s.waitForText(/SEV2 Search slow · \d\d:\d\d/, 10_000);
    // Followed read-only: this console does not take the writer's lock by itself, even with the
    // declaring hubops gone; the banner says how to lead it (L, or hubops opened again).
    expect(screen).toContain('read-only: nobody leads this incident — L to lead it');
    expect(screen).toMatch(/declared in another terminal: watching it/);
    // Read-only: q does not ask (nothing of this console's is open).
    await s.sendKeys('q');
    expect(await s.waitForExit(10_000)).toBe(0);

    // Opened again, this console resumes it as its writer and records in it.
    const again = await startTmux({ command: [process.execPath, bin], cols: 120, rows: 40, cwd: dir.path, env: { HUBOPS_CONFIG: '' } });
    sessions.push(again);
    screen = await again.waitForText(/resumed \d{4}-\d\d-\d\d-search-slow \(SEV2, triage\)/, 15_000);
    expect(screen).not.toContain('read-only');
    await addNote(again, 'seen from the console');
    screen = await openTimeline(again);
    expect(screen).toContain('seen from the console');
    expect(screen).toContain('SEV2 declared: Search slow');
    await closeTimeline(again);
    expect(await quitWithIncidentOpen(again)).toBe(0);
  }, 60_000);

  it('the console leading it is killed: the one watching says so, and L makes it the writer', async () => {
    declareIncident(dir.path, { sev: 1, title: 'Checkout down' });
    const lead = await startTmux({ command: [process.execPath, bin], cols: 120, rows: 40, cwd: dir.path, env: { HUBOPS_CONFIG: '' } });
    sessions.push(lead);
    await lead.waitForText(/resumed \d{4}-\d\d-\d\d-checkout-down \(SEV1, triage\)/, 15_000);
    const leadPid = await lead.panePid();

    const watcher = await startTmux({ command: [process.execPath, bin], cols: 120, rows: 40, cwd: dir.path, env: { HUBOPS_CONFIG: '' } });
    sessions.push(watcher);
    let screen = await watcher.waitForText(`session (pid ${leadPid})`, 15_000);
    expect(screen).toContain('read-only: watching');
    // While the lead lives, L does nothing and says nothing.
    await watcher.sendKeys('L');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await watcher.capture()).not.toContain('you lead');

    // What it records reaches the watcher; then its console is killed mid-incident.
    await addNote(lead, 'noted by the first lead');
    process.kill(leadPid, 'SIGKILL');
    screen = await watcher.waitForText(`console (pid ${leadPid}) stopped — L to lead it`, 10_000);

    await watcher.sendKeys('L');
    screen = await watcher.waitForText(/you lead \d{4}-\d\d-\d\d-checkout-down now/, 10_000);
    expect(screen).not.toContain('read-only');
    await addNote(watcher, 'noted by the second lead');
    screen = await openTimeline(watcher);
    expect(screen).toContain('noted by the first lead');
    expect(screen).toContain('took the lead from');
    expect(screen).toContain('noted by the second lead');
    await closeTimeline(watcher);

    // The journal holds every event once, in order, from both leads.
    const shown = await runHubops(['incident', '--plain', '--readonly'], { cwd: dir.path });
    expect(shown.code, shown.out).toBe(0);
    expect(shown.out).toMatch(new RegExp(`noted by the first lead[\\s\\S]*took the lead from \\S+ \\(pid ${leadPid}, its console stopped\\)[\\s\\S]*noted by the second lead`));
    expect(await quitWithIncidentOpen(watcher)).toBe(0);
  }, 90_000);
});

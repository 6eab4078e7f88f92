// What a person types in the console for the common incident steps, in tmux, waiting for each
// screen as they would.
import { waitDead } from '../fixtures/procs.js';
import type { TmuxSession } from '../fixtures/tmux.js';

/** n, the text, Enter: a note on the timeline; waits for the form to close. */
export async function addNote(s: TmuxSession, text: string): Promise<void> {
  await s.sendKeys('n');
  await s.waitForText('Note');
  await s.sendText(text);
  await s.sendKeys('Enter');
  await s.waitForNoText('Add a note to the timeline');
}

/** t: the timeline panel; returns its screen. */
export async function openTimeline(s: TmuxSession, title: string | RegExp = /Timeline — \d+ events/): Promise<string> {
  await s.sendKeys('t');
  return s.waitForText(title);
}

/** Esc: closes the timeline panel. */
export async function closeTimeline(s: TmuxSession): Promise<void> {
  await s.sendKeys('Escape');
  await s.waitForNoText('Timeline —');
}

/** q, then y at the question asked while an incident is open; returns the exit status. */
export async function quitWithIncidentOpen(s: TmuxSession): Promise<number> {
  await s.sendKeys('q');
  await s.waitForText('Quit hubops while the incident is open?');
  await s.sendKeys('y', 'Enter');
  return s.waitForExit(10_000);
}

/**
 * kill -9 of the console in the pane, then waits until the process is gone (tmux marks the pane
 * dead when its terminal closes, which can be a moment before); the tmux session is ended too.
 * Returns the console's pid.
 */
export async function killConsole(s: TmuxSession): Promise<number> {
  const pid = await s.panePid();
  process.kill(pid, 'SIGKILL');
  await s.waitForExit(15_000);
  await s.kill();
  if (!(await waitDead(pid, 15_000))) throw new Error(`the console (pid ${pid}) outlived kill -9 by 15 s`);
  return pid;
}

/**
 * What is left on a target of a command whose hubops died under it (killed, crashed, its own SSH
 * session gone): the command itself may still be running there, unseen. The release runner and
 * the incident console both stop it before going on, the same way.
 */
import { formatDuration } from '../config/duration.js';
import { describeStop } from './stop-marked.js';
import { whenConnected, type Target } from './target.js';

/** How long a command waits for a target's link to come back. */
export const LINK_WAIT_MS = 2 * 60_000;

/** Waits up to LINK_WAIT_MS for a target whose link is down, saying so once. */
export function waitForLink(target: Target, say: (l: string) => void): Promise<boolean> {
  return whenConnected(target, LINK_WAIT_MS, (s) => say(`waiting up to ${formatDuration(LINK_WAIT_MS)} for the link to ${target.id}${s.state === 'disconnected' ? ` (${s.error})` : ''}…`));
}

/**
 * Stops the processes still carrying `mark` on the target (TERM, then KILL) and says what was
 * found, as one line starting with `what`. Never throws: a stop that cannot be made says so.
 */
export async function stopLeftover(target: Target, mark: string, what: string, say: (l: string) => void): Promise<string> {
  if (!target.stopMarked) return `${what} may still be running on ${target.id}: check it`;
  await waitForLink(target, say);
  let line: string;
  try {
    line = describeStop(what, await target.stopMarked(mark));
  } catch (err) {
    line = `${what} may still be running on ${target.id} (${(err as Error).message}): check it`;
  }
  return line;
}

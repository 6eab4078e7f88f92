import { crypto } from '../util/on-first-use.js';

// What is left of a command after the link to its host dropped, or after hubops itself died: found
// by the mark every run carries in its environment (HUBOPS_RUN=<mark>), and stopped.

/**
 * Stops what is left of a run ($1: its nonce, $2: its process group or 0): the processes whose
 * environment holds HUBOPS_RUN=$1, and the group while its leader does. TERM; after up to 2 s KILL
 * those still there (checked again by their mark). Prints `none`, `stopped PIDS`, `killed PIDS` or
 * `left PIDS`. POSIX sh, tr and grep, Linux's /proc; one line, for any login shell.
 */
export const STOP_MARKED_SCRIPT = [
  'n=$1; g=$2',
  'has() { tr "\\000" "\\n" 2>/dev/null < "/proc/$1/environ" | grep -qx "HUBOPS_RUN=$n"; }',
  'p=""; for d in /proc/[0-9]*; do q=${d#/proc/}; if has "$q"; then p="$p $q"; fi; done',
  'if [ -z "$p" ]; then echo none; exit 0; fi',
  'if [ "$g" -gt 1 ] && has "$g"; then kill -TERM -- "-$g" 2>/dev/null; fi',
  'kill -TERM $p 2>/dev/null',
  'i=0; left=$p; while [ -n "$left" ] && [ $i -lt 2 ]; do sleep 1; i=$((i+1)); still=""; for q in $left; do if has "$q"; then still="$still $q"; fi; done; left=$still; done',
  'if [ -z "$left" ]; then echo "stopped$p"; exit 0; fi',
  'kill -KILL $left 2>/dev/null; sleep 1',
  'still=""; for q in $left; do if has "$q"; then still="$still $q"; fi; done',
  'if [ -n "$still" ]; then echo "left$still"; else echo "killed$p"; fi',
].join('; ');

/** What a run mark may be: it is put into a shell command line unquoted. */
export const MARK_RE = /^[0-9a-f]{8,64}$/;

/** A fresh run mark: 16 hex digits. */
export function newRunMark(): string {
  return crypto().randomBytes(8).toString('hex');
}

/** Why `mark` cannot be a run mark, or undefined when it can. */
export function badMark(mark: string): string | undefined {
  return MARK_RE.test(mark) ? undefined : `invalid run mark ${JSON.stringify(mark)} (8 to 64 hex digits)`;
}

export type StopAnswer = { outcome: 'none' | 'stopped' | 'killed' | 'left'; pids: number[] };

/**
 * The script's answer, from its output (or from why it could not be run at all). Throws, saying
 * why, when there is none: it did not run to the end on `where`.
 */
export function stopAnswer(out: string | Error, where: string): StopAnswer {
  const m = typeof out === 'string' ? /^(none|stopped|killed|left)((?: \d+)*)\s*$/m.exec(out) : null;
  if (!m) throw new Error(`could not look for the command on ${where}: ${out instanceof Error ? out.message : `unexpected answer ${JSON.stringify(out.trim().slice(0, 80))}`}`);
  return { outcome: m[1] as StopAnswer['outcome'], pids: m[2]!.trim() === '' ? [] : m[2]!.trim().split(' ').map(Number) };
}

/** The answer in words, for `what` (e.g. "the deploy command"). */
export function describeStop(what: string, a: StopAnswer): string {
  const pids = a.pids.join(' ');
  switch (a.outcome) {
    case 'none':
      // Only what this login can read in /proc is seen: not another user's processes, nor under sudo.
      return `${what} was not found running (looked for as this login)`;
    case 'stopped':
      return `${what} was still running: stopped it (TERM; pids ${pids})`;
    case 'killed':
      return `${what} was still running: killed it (TERM, then KILL; pids ${pids})`;
    case 'left':
      return `${what} is still running and could not be stopped (pids ${pids}; another user's, or it ignores KILL): check the host`;
  }
}

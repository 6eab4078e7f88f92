// One reader of /proc/<pid>/stat for what hubops asks of a process: is it alive, is it still the
// same process (its start time), and how much CPU it has used.
import { readFileSync } from 'node:fs';

export interface ProcStat {
  /** Process state letter (R, S, D, Z, …). */
  state: string;
  /** utime + stime, in clock ticks. */
  ticks: number;
  /** When it started, in clock ticks since boot: with the pid, names one process for good. */
  startTicks: number;
}

/** /proc/<pid>/stat, the fields above; undefined when the process is gone or there is no /proc. */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm (field 2) may hold spaces and parentheses: the fields after it start after the last ')'.
  // rest[0] is field 3 (state); utime, stime and starttime are fields 14, 15 and 22.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [utime, stime, startTicks] = [Number(rest[11]), Number(rest[12]), Number(rest[19])];
  if (![utime, stime, startTicks].every(Number.isFinite)) return undefined;
  return { state: rest[0] ?? '?', ticks: utime + stime, startTicks };
}

/**
 * True while `pid` is a live process. A zombie (killed, not reaped yet) still answers kill(pid, 0)
 * but is gone; without /proc, answering is enough.
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const st = readProcStat(pid);
  return st === undefined || (st.state !== 'Z' && st.state !== 'X');
}

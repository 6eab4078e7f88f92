import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const HUBOPS_BIN = join(new URL('../..', import.meta.url).pathname, 'bin', 'hubops');

/**
 * Runs the built hubops as a user would, with its output read line by line as it comes, so a test
 * can act in the middle of a run (inject a fault when the watch window starts, kill -9 it).
 */
export function runHubops(
  args: string[],
  opts: { cwd?: string; onLine?: (line: string, kill: () => void) => void } = {},
): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HUBOPS_BIN, ...args], { cwd: opts.cwd, env: { ...process.env, HUBOPS_CONFIG: '' } });
    let out = '';
    let carry = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const parts = (carry + d.toString()).split('\n');
      carry = parts.pop() ?? '';
      for (const l of parts) opts.onLine?.(l, () => child.kill('SIGKILL'));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) => resolve({ code, signal, out }));
  });
}

/** Declares an incident from the command line (`hubops incident … --plain`) in `cwd`; throws if it fails. */
export function declareIncident(cwd: string, opts: { sev: number; title: string; service?: string }): void {
  const args = ['incident', '--sev', String(opts.sev), '--title', opts.title, ...(opts.service ? ['--service', opts.service] : []), '--plain'];
  const r = spawnSync(process.execPath, [HUBOPS_BIN, ...args], { cwd, env: { ...process.env, HUBOPS_CONFIG: '' }, encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`hubops ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
}

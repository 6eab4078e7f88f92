// Opening the target an environment names in config: `local`, or `ssh://user@host:port`.

import { LocalTarget } from './local.js';
import { getTarget, type SshOptions } from './ssh.js';
import type { Target } from './target.js';

export type { ConnectionState, RunOptions, RunResult, Target } from './target.js';
export { LocalTarget } from './local.js';
export { SshTarget, closeAllTargets, getTarget, parseSshUrl, type SshOptions } from './ssh.js';
export { renderCommand, shellQuote, CommandTemplateError } from './shell.js';

/**
 * `local` → a LocalTarget (a new one each call: closing it kills only the commands it started);
 * `ssh://user@host:port` (IPv6 as `[::1]`) → the pooled SshTarget for user@host:port, connecting.
 * The ssh options apply when the connection is first made; later calls share it as it is.
 */
export function openTarget(
  targetUrl: string,
  ssh?: { identityFile?: string; knownHosts?: string; agent?: boolean },
): Target {
  const url = targetUrl.trim();
  if (url === 'local') return new LocalTarget();
  if (url.startsWith('ssh://')) {
    const opts: SshOptions = {};
    if (ssh?.identityFile !== undefined) opts.identityFile = ssh.identityFile;
    if (ssh?.knownHosts !== undefined) opts.knownHosts = ssh.knownHosts;
    if (ssh?.agent !== undefined) opts.agent = ssh.agent;
    return getTarget(url, opts);
  }
  throw new Error(`invalid target ${JSON.stringify(targetUrl)}: expected local or ssh://user@host:port`);
}

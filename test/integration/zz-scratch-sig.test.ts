import { it } from 'vitest';
import { appendFileSync } from 'node:fs';
import { startSshd } from '/work/main/test/fixtures/sshd.js';
import { SshTarget } from '/work/main/src/targets/ssh.js';
const log = (...a: unknown[]) => appendFileSync('/tmp/scratch/log', a.map(x => typeof x === 'string' ? x : JSON.stringify(x)).join(' ') + '\n');
it('sig', async () => {
  const sshd = await startSshd();
  const t = new SshTarget(`ssh://${sshd.user}@127.0.0.1:${sshd.port}`, { identityFile: sshd.identityFile, knownHosts: sshd.knownHostsFile });
  t.onState(s => log('state', s));
  for (const cmd of ['echo b; echo $$', 'echo a; sleep 3', 'echo $$; echo b', 'echo $$; sleep 3']) {
    const t0 = Date.now();
    log('start', cmd);
    const r = await t.run(cmd, { timeoutMs: 6000, onLine: l => log(Date.now() - t0, 'L', l)});
    log(cmd, r);
  }
  log((await sshd.sshCommand('echo $$; ps -o pid,pgid,sid,args -g $$; echo $SHELL; sleep 1')).stdout);
  await t.close(); await sshd.stop();
}, 60000);

// Targets against the real thing: a private OpenSSH sshd on 127.0.0.1 (test/fixtures/sshd.ts) and
// this machine's own sh.

import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startSshd, type Sshd } from '../fixtures/sshd.js';
import { descendantPids, freePort, pidsWithArgv, runOk, stopPids, startDaemon, tempDir, waitFor, type TempDir } from '../fixtures/procs.js';
import { openTarget, closeAllTargets } from '../../src/targets/index.js';
import { LocalTarget } from '../../src/targets/local.js';
import { SshTarget, backoffDelay, getTarget, parseSshUrl, sshKey } from '../../src/targets/ssh.js';
import { renderCommand } from '../../src/targets/shell.js';
import type { ConnectionState, Target } from '../../src/targets/target.js';

let sshd: Sshd;
let tmp: TempDir;
let url: string;
const extraTargets: Target[] = [];

beforeAll(async () => {
  sshd = await startSshd();
  tmp = tempDir('hot-');
  url = `ssh://${sshd.user}@127.0.0.1:${sshd.port}`;
});

afterAll(async () => {
  await Promise.all(extraTargets.map((t) => t.close()));
  await closeAllTargets();
  await sshd?.stop();
  await tmp?.remove();
});

/** The pooled target with the fixture's key and known_hosts. */
function pooled(): SshTarget {
  return getTarget(url, { identityFile: sshd.identityFile, knownHosts: sshd.knownHostsFile });
}

/** A target of its own (not pooled), closed in afterAll. */
function own(opts: ConstructorParameters<typeof SshTarget>[1]): SshTarget {
  const t = new SshTarget(url, { identityFile: sshd.identityFile, ...opts });
  extraTargets.push(t);
  return t;
}

function recordStates(t: Target): ConnectionState[] {
  const states: ConnectionState[] = [];
  t.onState((s) => states.push(s));
  return states;
}

/** Live (non-zombie) processes in process group pgid, from /proc. */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(rest[2]) === pgid && rest[0] !== 'Z' && rest[0] !== 'X') out.push(Number(name));
  }
  return out;
}

const pwnedPath = () => `/tmp/pwned-${randomBytes(8).toString('hex')}`;

describe.each([
  ['local', () => new LocalTarget() as Target],
  ['ssh', () => pooled() as Target],
])('%s target', (_name, make) => {
  it('stopMarked stops what a marked run left running, and only that', async () => {
    const t = make();
    if (t instanceof LocalTarget) extraTargets.push(t);
    const mark = randomBytes(8).toString('hex');
    const tag = `${process.pid}${Date.now() % 100000}`;
    const sleeping = (arg: string) => pidsWithArgv(`sleep ${arg}`);
    onTestFinished(() => stopPids([...sleeping(`6${tag}`), ...sleeping(`7${tag}`)]));
    // What a hubops that died under it would leave: a process of the run, still going.
    const r = await t.run(`(sleep 6${tag} >/dev/null 2>&1 &); echo started`, { mark });
    expect(r.tail).toEqual(['started']);
    // And one that is not the run's: left alone.
    const other = await t.run(`(sleep 7${tag} >/dev/null 2>&1 &); echo started`);
    expect(other.code).toBe(0);
    await waitFor(() => sleeping(`6${tag}`).length === 1 && sleeping(`7${tag}`).length === 1, { what: 'both sleeps' });
    const stopped = await t.stopMarked!(mark);
    expect(stopped.outcome).toBe('stopped');
    expect(stopped.pids).toHaveLength(1);
    expect(sleeping(`6${tag}`)).toEqual([]);
    expect(sleeping(`7${tag}`)).toHaveLength(1);
    expect((await t.stopMarked!(mark)).outcome).toBe('none');
    await expect(t.stopMarked!('x; rm -rf /')).rejects.toThrow(/invalid run mark/);
    // A mark goes into a command line: one that is not hex is refused, never run with.
    expect((await t.run('echo never', { mark: `x; touch ${pwnedPath()}` })).error).toMatch(/invalid run mark/);
  });

  it('runs a command: lines from both streams, exit code', async () => {
    const t = make();
    if (t instanceof LocalTarget) extraTargets.push(t);
    const seen: Array<[string, string]> = [];
    const r = await t.run('echo hi; echo err >&2; printf partial; exit 3', {
      onLine: (line, stream) => seen.push([line, stream]),
    });
    expect(r.code).toBe(3);
    expect(r.timedOut).toBe(false);
    expect(r.error).toBeUndefined();
    expect([...r.tail].sort()).toEqual(['err', 'hi', 'partial']);
    expect(seen).toContainEqual(['hi', 'stdout']);
    expect(seen).toContainEqual(['err', 'stderr']);
    expect(seen).toContainEqual(['partial', 'stdout']);
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('keeps only the last tailLines lines', async () => {
    const t = make();
    if (t instanceof LocalTarget) extraTargets.push(t);
    let count = 0;
    const r = await t.run('i=0; while [ $i -lt 500 ]; do echo line$i; i=$((i+1)); done', {
      tailLines: 10,
      onLine: () => count++,
    });
    expect(r.code).toBe(0);
    expect(count).toBe(500);
    expect(r.tail).toEqual(Array.from({ length: 10 }, (_, i) => `line${490 + i}`));
  });

  it('a timeout kills the whole process group of the command', async () => {
    const t = make();
    if (t instanceof LocalTarget) extraTargets.push(t);
    let pgid = 0;
    // 4 s, not less: over SSH the login shell must have started and said its pid before the timeout,
    // which on a busy machine can take over a second.
    const r = await t.run('echo $$; sleep 30 & sleep 31; echo never', {
      timeoutMs: 4_000,
      onLine: (line) => {
        if (pgid === 0) pgid = Number(line);
      },
    });
    expect(r.timedOut).toBe(true);
    expect(r.code).toBeNull();
    expect(r.error).toBe('timed out after 4s');
    expect(r.tail).not.toContain('never');
    expect(pgid).toBeGreaterThan(1);
    await waitFor(() => groupMembers(pgid).length === 0, { what: `process group ${pgid} to be gone`, timeoutMs: 10_000 });
    // The target still works afterwards.
    expect((await t.run('echo still here')).tail).toEqual(['still here']);
  });

  it('an abort signal stops the command', async () => {
    const t = make();
    if (t instanceof LocalTarget) extraTargets.push(t);
    const ac = new AbortController();
    // Abort once the command is under way (not while the remote login shell reads its rc files).
    const r = await t.run('echo started; sleep 30', { signal: ac.signal, onLine: () => ac.abort() });
    expect(r.tail).toEqual(['started']);
    // Well before the 30 s the command would have taken.
    expect(r.durationMs).toBeLessThan(20_000);
    expect(r.code).toBeNull();
    expect(r.error).toBe('aborted');
    expect(r.timedOut).toBe(false);
  });

  it('values rendered with renderCommand arrive literally; nothing in them runs', async () => {
    const t = make();
    if (t instanceof LocalTarget) extraTargets.push(t);
    const marker = pwnedPath();
    const values = [`$(touch ${marker})`, `\`touch ${marker}\``, `x; touch ${marker}`, `it's "q" | touch ${marker}`];
    try {
      for (const v of values) {
        const r = await t.run(renderCommand('echo {{v}}', { v }));
        expect(r.code).toBe(0);
        expect(r.tail).toEqual([v]);
      }
      expect(existsSync(marker)).toBe(false);
    } finally {
      rmSync(marker, { force: true });
    }
  });

  it('opens a Unix socket and a TCP port on the target', async () => {
    const t = make();
    if (t instanceof LocalTarget) extraTargets.push(t);
    const sockPath = tmp.join(`echo-${randomBytes(3).toString('hex')}.sock`);
    const server = net.createServer((c) => c.on('data', (b) => c.end(`echo:${b.toString()}`)));
    await new Promise<void>((res) => server.listen(sockPath, res));
    const tcp = net.createServer((c) => c.on('data', (b) => c.end(`tcp:${b.toString()}`)));
    await new Promise<void>((res) => tcp.listen(0, '127.0.0.1', res));
    const tcpPort = (tcp.address() as net.AddressInfo).port;
    try {
      expect(await roundTrip(await t.openUnixSocket(sockPath), 'ping')).toBe('echo:ping');
      expect(await roundTrip(await t.openTcp('127.0.0.1', tcpPort), 'pong')).toBe('tcp:pong');
      await expect(t.openUnixSocket(tmp.join('nope.sock'))).rejects.toThrow(/nope\.sock/);
    } finally {
      server.close();
      tcp.close();
    }
  });
});

function roundTrip(stream: Duplex, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (b: Buffer) => chunks.push(b));
    stream.on('error', reject);
    stream.on('end', () => resolve(Buffer.concat(chunks).toString()));
    stream.write(text);
  });
}

describe('ssh host keys', () => {
  it('refuses an unknown host key, shows the fingerprint and how to trust it, runs nothing', async () => {
    const empty = tmp.join('known_hosts_empty');
    writeFileSync(empty, '');
    const t = own({ knownHosts: empty });
    const states = recordStates(t);
    const marker = pwnedPath();
    const r = await t.run(`touch ${marker}`);
    expect(r.code).toBeNull();
    expect(r.error).toContain(sshd.hostKeyFingerprint);
    const s = t.connectionState;
    expect(s.state).toBe('disconnected');
    if (s.state !== 'disconnected') return;
    expect(s.error).toContain('not known');
    expect(s.error).toContain(sshd.hostKeyFingerprint);
    expect(s.error).toContain(`ssh-keyscan -t ed25519 -p ${sshd.port} 127.0.0.1 >> ${empty}`);
    expect(s.error).toContain(sshd.knownHostsLine);
    expect(s.retryInMs).toBe(0);
    // It does not retry by itself: a refusal is not fixed by trying again.
    await new Promise((res) => setTimeout(res, 1_500));
    expect(states.filter((x) => x.state === 'connecting')).toHaveLength(1);
    expect(t.connectionState.state).toBe('disconnected');
    expect(existsSync(marker)).toBe(false);
    await expect(t.openUnixSocket('/var/run/docker.sock')).rejects.toThrow(/not known/);

    // Once the key is trusted (here: the fixture's line), reconnect() gets through.
    writeFileSync(empty, sshd.knownHostsLine + '\n');
    t.reconnect();
    await t.ready();
    expect((await t.run('echo trusted')).tail).toEqual(['trusted']);
  });

  it('refuses a changed host key', async () => {
    const t = own({ knownHosts: sshd.otherKnownHostsFile });
    const r = await t.run('echo should-not-run');
    expect(r.code).toBeNull();
    expect(r.tail).toEqual([]);
    const s = t.connectionState;
    expect(s.state).toBe('disconnected');
    if (s.state !== 'disconnected') return;
    expect(s.error).toContain('HOST KEY CHANGED');
    expect(s.error).toContain(sshd.hostKeyFingerprint);
    expect(s.error).toContain(`${sshd.otherKnownHostsFile} line 1`);
    expect(s.retryInMs).toBe(0);
  });

  it('refuses a revoked host key', async () => {
    const file = tmp.join('known_hosts_revoked');
    writeFileSync(file, `${sshd.knownHostsLine}\n@revoked * ssh-ed25519 ${sshd.hostPublicKey}\n`);
    const t = own({ knownHosts: file });
    const r = await t.run('echo should-not-run');
    expect(r.code).toBeNull();
    expect(r.error).toMatch(/REVOKED/);
  });

  it('accepts a key listed in a hashed known_hosts', async () => {
    expect(readFileSync(sshd.hashedKnownHostsFile, 'utf8')).toMatch(/^\|1\|/);
    const t = own({ knownHosts: sshd.hashedKnownHostsFile });
    const r = await t.run('echo hashed ok');
    expect(r).toMatchObject({ code: 0, tail: ['hashed ok'] });
  });

  it('logs in with the SSH agent when no identityFile is given', async () => {
    const sock = tmp.join('agent.sock');
    const agent = await startDaemon({ name: 'ssh-agent', cmd: 'ssh-agent', args: ['-D', '-a', sock], logFile: tmp.join('agent.log') });
    const saved = process.env['SSH_AUTH_SOCK'];
    try {
      await waitFor(() => existsSync(sock), { what: 'ssh-agent socket' });
      await runOk('ssh-add', [sshd.identityFile], { env: { ...process.env, SSH_AUTH_SOCK: sock } });
      process.env['SSH_AUTH_SOCK'] = sock;
      const t = new SshTarget(url, { knownHosts: sshd.knownHostsFile });
      extraTargets.push(t);
      await t.ready();
      expect((await t.run('echo via agent')).tail).toEqual(['via agent']);
    } finally {
      if (saved === undefined) delete process.env['SSH_AUTH_SOCK'];
      else process.env['SSH_AUTH_SOCK'] = saved;
      await agent.stop();
    }
  });

  it('an authentication failure is not retried in a loop', async () => {
    const key = tmp.join('stranger_ed25519');
    await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const t = own({ identityFile: key, knownHosts: sshd.knownHostsFile, agent: false });
    const states = recordStates(t);
    const r = await t.run('echo no');
    expect(r.code).toBeNull();
    expect(r.error).toMatch(/authentication failed/);
    await new Promise((res) => setTimeout(res, 1_500));
    expect(states.filter((x) => x.state === 'connecting')).toHaveLength(1);
    const s = t.connectionState;
    expect(s.state === 'disconnected' && s.retryInMs).toBe(0);
  });
});

describe('ssh link', () => {
  it('openTarget pools one connection per user@host:port', () => {
    const a = openTarget(url, { identityFile: sshd.identityFile, knownHosts: sshd.knownHostsFile });
    const b = openTarget(`ssh://${sshd.user}@127.0.0.1:${sshd.port}/`);
    expect(a).toBe(b);
    expect(a).toBe(pooled());
    expect(a.id).toBe(`ssh://${sshd.user}@127.0.0.1:${sshd.port}`);
    const local = openTarget('local');
    expect(local).toBeInstanceOf(LocalTarget);
    expect(() => openTarget('ftp://x')).toThrow(/expected local or ssh/);
    // Parsing only (no connection): IPv6 in brackets, default port and user.
    expect(parseSshUrl('ssh://deploy@[::1]:2222')).toEqual({ user: 'deploy', host: '::1', port: 2222 });
    expect(parseSshUrl('ssh://deploy@Prod-1')).toEqual({ user: 'deploy', host: 'prod-1', port: 22 });
    expect(sshKey(parseSshUrl('ssh://deploy@[::1]:2222'))).toBe('deploy@[::1]:2222');
    expect(() => parseSshUrl('ssh://deploy:secret@prod-1')).toThrow(/no password/);
  });

  it('when the link is cut: running command → connection lost, countdown, reconnects by itself', async () => {
    const t = pooled();
    await t.ready();
    expect((await t.run('echo before')).tail).toEqual(['before']);
    const states = recordStates(t);
    let started = false;
    const running = t.run('echo started; sleep 30', { onLine: () => (started = true) });
    await waitFor(async () => (await sshd.connectionChildPids()).length > 0, { what: 'a connection child' });
    // Cut while the command runs (waited for: not a fixed 200 ms after the connection appeared).
    await waitFor(() => started, { what: 'the command to start', timeoutMs: 15_000 });
    await sshd.killConnections();

    const r = await running;
    expect(r.code).toBeNull();
    expect(r.error).toMatch(/^connection lost while it ran; once the link is back, hubops stops what is left of it on the host before running anything else there/);

    const down = await waitFor(() => states.find((s) => s.state === 'disconnected'), { what: 'disconnected' });
    expect(down.state === 'disconnected' && down.retryInMs).toBeGreaterThan(0);
    expect(down.state === 'disconnected' && down.retryInMs).toBeLessThanOrEqual(1_000);
    await waitFor(() => t.connectionState.state === 'connected', { what: 'reconnected', timeoutMs: 15_000 });
    const after = states.slice(states.indexOf(down));
    expect(after.map((s) => s.state)).toEqual(expect.arrayContaining(['disconnected', 'connecting', 'connected']));
    expect((await t.run('echo after')).tail).toEqual(['after']);
  });

  it('a link that drops under a running command: the command, left running on the host, is stopped once the link is back, before the next one runs', async () => {
    const t = pooled();
    await t.ready();
    // A mark of its own in the command line, to find it on the host; it keeps a child too.
    const mark = `${process.pid}${Date.now() % 100000}`;
    const sleeping = (arg: string) => pidsWithArgv(`sleep ${arg}`);
    onTestFinished(() => stopPids([...sleeping(`3${mark}`), ...sleeping(`4${mark}`)]));
    const notices: string[] = [];
    const off = t.onNotice((n) => notices.push(n));
    const running = t.run(`sleep 3${mark} & echo started; sleep 4${mark}; echo finished`, {});
    await waitFor(() => sleeping(`4${mark}`).length > 0 && sleeping(`3${mark}`).length > 0, { what: 'the command on the host' });
    await sshd.dropLinks();
    const r = await running;
    expect(r.error).toMatch(/^connection lost while it ran/);
    // Only the link went: the command and its child run on, orphaned.
    expect(sleeping(`4${mark}`).length).toBe(1);
    await waitFor(() => t.connectionState.state === 'connected', { what: 'reconnected', timeoutMs: 15_000 });
    // The next command runs only after they are stopped.
    const after = await t.run(`pgrep -f "sleep [34]${mark}" || echo gone`);
    expect(after.tail).toEqual(['gone']);
    expect(sleeping(`3${mark}`)).toEqual([]);
    expect(sleeping(`4${mark}`)).toEqual([]);
    // What was done is told, with the processes it stopped.
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(new RegExp(`^the command cut off when the link to ssh://\\S+ dropped \\(sleep 3${mark} & echo started;[^)]*\\) was still running: stopped it \\(TERM; pids \\d+( \\d+)+\\)$`));
    // Nothing is owed any more: the next command runs straight away, and nothing more is told.
    expect((await t.run('echo again')).tail).toEqual(['again']);
    expect(notices).toHaveLength(1);
    off();
  });
});

describe('ssh reconnection', () => {
  it('backs off 1 s, 2 s, 4 s … capped at 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10, 100].map((n) => backoffDelay(n))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000,
    ]);
  });

  it('retries an unreachable host with growing delays and a countdown', async () => {
    const port = await freePort(); // nothing listens there
    const dead = new SshTarget(`ssh://${sshd.user}@127.0.0.1:${port}`, {
      identityFile: sshd.identityFile,
      knownHosts: sshd.knownHostsFile,
      backoff: { initialMs: 600 },
    });
    extraTargets.push(dead);
    const states = recordStates(dead);
    await waitFor(() => states.some((s) => s.state === 'disconnected' && s.retryInMs === 2_400), {
      what: 'third failure',
      timeoutMs: 20_000,
    });
    // The first disconnected state after each attempt carries the full delay.
    const fresh = states.flatMap((s, i) =>
      s.state === 'disconnected' && states[i - 1]?.state === 'connecting' ? [s.retryInMs] : [],
    );
    expect(fresh.slice(0, 3)).toEqual([600, 1_200, 2_400]);
    const first = states.find((s) => s.state === 'disconnected');
    expect(first?.state === 'disconnected' && first.error).toMatch(/cannot reach 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    // Between attempts the countdown is re-announced every second with what is left.
    await waitFor(() => states.some((s) => s.state === 'disconnected' && s.retryInMs > 0 && s.retryInMs < 2_400 && s.retryInMs > 1_000), {
      what: 'a countdown tick',
      // A tick that comes late says less than 1 s is left; the next wait (4.8 s) then has some.
      timeoutMs: 15_000,
    });
    const r = await dead.run('echo no');
    expect(r.error).toMatch(/not connected .*retrying in \d+s/);
  });

  it('a link that goes silent is found dead by keepalives, then re-established', async () => {
    const t = own({ knownHosts: sshd.knownHostsFile, keepaliveIntervalMs: 300, keepaliveCountMax: 2 });
    await t.ready();
    const states = recordStates(t);
    // Freeze every sshd connection process: the TCP link stays up but nothing answers.
    const frozen = (await sshd.connectionChildPids()).flatMap((p) => [p, ...descendantPids(p)]);
    for (const p of frozen) process.kill(p, 'SIGSTOP');
    try {
      const down = await waitFor(() => states.find((s) => s.state === 'disconnected'), {
        what: 'keepalive timeout',
        timeoutMs: 15_000,
      });
      expect(down.state === 'disconnected' && down.error).toMatch(/keepalive/);
    } finally {
      for (const p of frozen) {
        try {
          process.kill(p, 'SIGCONT');
        } catch {
          // gone
        }
      }
    }
    await waitFor(() => t.connectionState.state === 'connected', { what: 'reconnected', timeoutMs: 20_000 });
    expect((await t.run('echo back')).tail).toEqual(['back']);
  });

  it('more commands at once than sshd allows sessions: the extra ones wait their turn', async () => {
    const t = pooled();
    await t.ready();
    const results = await Promise.all(
      Array.from({ length: 14 }, (_, i) => t.run(`sleep 0.3; echo n${i}`)),
    );
    expect(results.map((r) => r.error)).toEqual(Array(14).fill(undefined));
    expect(results.map((r) => r.tail[0])).toEqual(Array.from({ length: 14 }, (_, i) => `n${i}`));
  });
});

// Proves that each real-component fixture starts the real thing, that it works, and that stop()
// leaves nothing running.

import { existsSync } from 'node:fs';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startDockerd, type Dockerd } from '../fixtures/dockerd.js';
import { startMetricsService, type MetricsService } from '../fixtures/metrics-service.js';
import { isAlive, pidsWithCmdline, run, sleep, waitFor } from '../fixtures/procs.js';
import { startPrometheus, type Prom } from '../fixtures/prometheus.js';
import { startSshd, type Sshd } from '../fixtures/sshd.js';
import { startTmux } from '../fixtures/tmux.js';

/** process.kill(pid, 0) throws ESRCH: the pid is gone and reaped. */
function expectGone(pid: number): void {
  expect(() => process.kill(pid, 0)).toThrow();
}

describe('dockerd fixture', () => {
  let d: Dockerd;
  beforeAll(async () => {
    d = await startDockerd();
  });
  afterAll(async () => {
    await d?.stop();
  });

  it('runs a busybox container with --network none and reads its logs', async () => {
    const image = await d.importBusybox();
    expect(image).toMatch(/^sha256:[0-9a-f]{64}$/);
    // Cached per daemon.
    expect(await d.importBusybox()).toBe(image);

    const id = await d.runContainer('hello', ['sh', '-c', 'echo hello from $(uname -s)'], {
      labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web' },
    });
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const exited = await waitFor(
      async () => {
        const r = await d.docker(['ps', '-a', '--filter', 'name=hello', '--format', '{{.Status}}']);
        return r.stdout.startsWith('Exited (0)') ? r.stdout : null;
      },
      { what: 'container hello to exit', timeoutMs: 15_000 },
    );
    expect(exited).toMatch(/^Exited \(0\)/);
    const logs = await d.dockerOk(['logs', 'hello']);
    expect(logs.stdout).toBe('hello from Linux\n');
    const labels = await d.dockerOk(['inspect', '--format', '{{json .Config.Labels}}', 'hello']);
    expect(JSON.parse(labels.stdout)).toMatchObject({ 'com.docker.compose.project': 'shop' });
    const net = await d.dockerOk(['inspect', '--format', '{{.HostConfig.NetworkMode}}', 'hello']);
    expect(net.stdout.trim()).toBe('none');
  });

  it('stop() kills dockerd, containerd, running containers and removes its directory', async () => {
    // A running container whose pid 1 ignores SIGTERM (would hold dockerd's shutdown for 10 s).
    await d.runContainer('sleeper', ['sleep', '600'], { network: 'host' });
    const containerPid = Number((await d.dockerOk(['inspect', '--format', '{{.State.Pid}}', 'sleeper'])).stdout);
    expect(isAlive(containerPid)).toBe(true);
    const containerd = d.containerdPid();
    expect(containerd).not.toBeNull();

    await d.stop();
    expectGone(d.pid);
    expect(isAlive(containerd!)).toBe(false);
    expect(isAlive(containerPid)).toBe(false);
    expect(pidsWithCmdline(d.dir)).toEqual([]);
    expect(pidsWithCmdline(`-namespace ${d.containerdNamespace} `)).toEqual([]);
    expect(existsSync(d.dir)).toBe(false);
  });
});

describe('sshd fixture', () => {
  let s: Sshd;
  beforeAll(async () => {
    s = await startSshd();
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('accepts the client key and verifies the host key strictly', async () => {
    const r = await s.sshCommand('echo hi');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hi\n');
    expect(r.code).toBe(0);
    // Sessions do not source the user's ~/.bashrc (bash sees SHLVL=1 from sshd and makes it 2).
    expect((await s.sshCommand('echo $SHLVL')).stdout).toBe('2\n');

    // Hashed known_hosts works with the real client too.
    const hashed = await s.sshCommand('echo hashed', { knownHostsFile: s.hashedKnownHostsFile });
    expect(hashed.stdout).toBe('hashed\n');

    // A different key for the same [host]:port is refused.
    const other = await s.sshCommand('echo nope', { knownHostsFile: s.otherKnownHostsFile });
    expect(other.code).toBe(255);
    expect(other.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
  });

  it('describes its host key consistently', async () => {
    expect(s.knownHostsLine).toBe(`[127.0.0.1]:${s.port} ssh-ed25519 ${s.hostPublicKey}`);
    expect(s.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    const fp = await run('ssh-keygen', ['-l', '-F', `[127.0.0.1]:${s.port}`, '-f', s.hashedKnownHostsFile]);
    expect(fp.stdout).toContain(s.hostKeyFingerprint);
    const { readFile } = await import('node:fs/promises');
    expect(await readFile(s.hashedKnownHostsFile, 'utf8')).toMatch(/^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+ ssh-ed25519 /);
  });

  it('exposes per-connection children that can be killed to cut a link', async () => {
    const long = s.sshCommand('echo started; exec sleep 30', { timeoutMs: 40_000 });
    const kids = await waitFor(
      async () => {
        const k = await s.connectionChildPids();
        return k.length > 0 ? k : null;
      },
      { what: 'a per-connection sshd child', timeoutMs: 10_000 },
    );
    expect(kids.length).toBeGreaterThan(0);
    await sleep(300); // let the command start
    await s.killConnections();
    const r = await long;
    expect(r.code).not.toBe(0);
    expect(await s.connectionChildPids()).toEqual([]);
  });

  it('stop() ends sshd', async () => {
    await s.stop();
    expectGone(s.pid);
    expect(existsSync(s.identityFile)).toBe(false);
  });
});

describe('metrics service + prometheus fixtures', () => {
  let m: MetricsService;
  let p: Prom;
  beforeAll(async () => {
    m = await startMetricsService({ requestsPerSecond: 50, errorRatio: 0, latencySeconds: 0.02 });
    p = await startPrometheus({ targets: [m.target], scrapeInterval: '1s' });
  });
  afterAll(async () => {
    await p?.stop();
    await m?.stop();
  });

  it('serves /health and /metrics', async () => {
    expect((await fetch(`${m.url}/health`)).status).toBe(200);
    m.set({ healthy: false });
    expect((await fetch(`${m.url}/health`)).status).toBe(503);
    m.set({ healthy: true });
    const text = await (await fetch(`${m.url}/metrics`)).text();
    expect(text).toContain('# TYPE http_requests_total counter');
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0.025"\} \d+/);
    expect(text).toContain('http_request_duration_seconds_bucket{le="+Inf"}');
  });

  it('is scraped by prometheus; rates and the error ratio follow the knobs', async () => {
    const rps = await p.waitForValue('sum(rate(http_requests_total[10s]))', (v) => v > 0, 20_000);
    expect(rps).toBeGreaterThan(0);
    expect(await p.query('sum(rate(http_requests_total{code="500"}[5s]))')).toBe(0);

    m.set({ errorRatio: 0.5, latencySeconds: 0.3 });
    const ratio = await p.waitForValue(
      'sum(rate(http_requests_total{code="500"}[3s])) / sum(rate(http_requests_total[3s]))',
      (v) => Math.abs(v - 0.5) < 0.05,
      20_000,
    );
    expect(ratio).toBeCloseTo(0.5, 1);
    const p50 = await p.waitForValue(
      'histogram_quantile(0.5, sum(rate(http_request_duration_seconds_bucket[3s])) by (le))',
      (v) => v > 0.25 && v <= 0.5,
      20_000,
    );
    expect(p50).toBeGreaterThan(0.25);
    expect(await p.query('absent_metric_that_does_not_exist')).toBeNull();
  });

  it('stop() ends prometheus and the service', async () => {
    await p.stop();
    expectGone(p.pid);
    expect(existsSync(p.dir)).toBe(false);
    await m.stop();
    await expect(fetch(`${m.url}/health`)).rejects.toThrow();
  });
});

describe('tmux fixture', () => {
  it('drives a command in a real terminal and reads its exit status', async () => {
    const t = await startTmux({
      command: ['sh', '-c', 'printf "ready %s %s;" "$TERM" "$HUBOPS_X"; read x; echo got:$x'],
      cols: 80,
      rows: 24,
      env: { HUBOPS_X: 'a b;c;' }, // a value ending in ';' must not split tmux's command line
    });
    try {
      const screen = await t.waitForText('ready');
      expect(screen).toContain('ready xterm-256color a b;c;;');
      expect(await t.format('#{pane_width}x#{pane_height}')).toBe('80x24');
      expect(await t.alternateOn()).toBe(false);
      expect(await t.cursorVisible()).toBe(true);
      const panePid = await t.panePid();
      expect(isAlive(panePid)).toBe(true);
      await t.sendKeys({ text: 'abc' }, 'Enter');
      await t.waitForText('got:abc');
      expect(await t.waitForExit(15_000)).toBe(0);
      await t.kill();
      expectGone(t.serverPid);
      expect(isAlive(panePid)).toBe(false);
    } finally {
      await t.kill();
    }
  });

  it('kill() stops a command that ignores SIGHUP; resize reaches the command', async () => {
    const t = await startTmux({
      command: ['sh', '-c', 'trap "" HUP; trap "echo winch \\$(stty size)" WINCH; echo up; while :; do sleep 0.1; done'],
      cols: 100,
      rows: 30,
    });
    const panePid = await t.panePid();
    try {
      await t.waitForText('up');
      await t.resize(120, 40);
      await t.waitForText('winch 40 120');
      expect(await t.exitStatus()).toBeNull();
    } finally {
      await t.kill();
    }
    expectGone(t.serverPid);
    expect(isAlive(panePid)).toBe(false);
  });

  it('exitStatus is null until tmux has the status, never a 0 read as the pty closes', async () => {
    // tmux marks a pane dead when its pty closes, which can come before it has reaped the command;
    // reading then used to give 0. Polling without a pause across the moment each of twenty commands exits
    // hits that window (the old fixture read 0 in most runs).
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = await startTmux({ command: ['sh', '-c', 'sleep 0.2; exit 7'], cols: 40, rows: 5 });
      try {
        const deadline = Date.now() + 15_000;
        let status: number | null = null;
        while ((status = await t.exitStatus()) === null && Date.now() < deadline);
        statuses.push(status ?? -1);
      } finally {
        await t.kill();
      }
    }
    expect(statuses).toEqual(Array(20).fill(7));
  });

  it('a single-element command is not parsed by a shell', async () => {
    const t = await startTmux({ command: ['/bin/echo'], cols: 40, rows: 5 });
    try {
      expect(await t.waitForExit(15_000)).toBe(0);
      const bad = await startTmux({ command: ['echo hi; exit 7'], cols: 40, rows: 5 });
      try {
        // Executed as a program named "echo hi; exit 7": not found (127), never "exit 7".
        expect(await bad.waitForExit(15_000)).toBe(127);
      } finally {
        await bad.kill();
      }
    } finally {
      await t.kill();
    }
  });
});

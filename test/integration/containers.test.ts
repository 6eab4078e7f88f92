// The containers pane's source against a real private dockerd (test/fixtures/dockerd.ts), locally
// and over a real sshd (test/fixtures/sshd.ts) with the Docker socket forwarded on the SSH link.

import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restartContainer } from '../../src/containers/actions.js';
import type { ContainerRowDetail } from '../../src/containers/rows.js';
import { ContainersSource, type ContainersSourceOptions } from '../../src/containers/source.js';
import type { LiveEvent } from '../../src/live/events.js';
import { dockerFor } from '../../src/sources/docker.js';
import { SshTarget } from '../../src/targets/ssh.js';
import { startDockerd, type Dockerd } from '../fixtures/dockerd.js';
import { sendSignal, waitFor } from '../fixtures/procs.js';
import { startSshd, type Sshd } from '../fixtures/sshd.js';

const SHOP = { 'com.docker.compose.project': 'shop' };
const api = (n = 1) => ({ ...SHOP, 'com.docker.compose.service': 'api', 'com.docker.compose.container-number': String(n) });
const worker = { ...SHOP, 'com.docker.compose.service': 'worker' };
/** Exits 0 on SIGTERM within ~0.2 s (sh as pid 1 ignores signals it does not trap). */
const IDLE = ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.2; done'];
const BUSY = ['sh', '-c', 'trap "exit 0" TERM; while :; do :; done'];

let dockerd: Dockerd;
let docker: Docker;
let sshd: Sshd | undefined;
let target: SshTarget | undefined;
const sources: ContainersSource[] = [];

beforeAll(async () => {
  dockerd = await startDockerd();
  await dockerd.importBusybox();
  docker = new Docker({ socketPath: dockerd.socket });
  await dockerd.runContainer('shop-api-1', IDLE, { labels: api(1) });
  await dockerd.runContainer('shop-worker-1', IDLE, { labels: worker });
  await dockerd.runContainer('other-web-1', IDLE, { labels: { 'com.docker.compose.project': 'other', 'com.docker.compose.service': 'web' } });
});

afterAll(async () => {
  await Promise.all(sources.map((s) => s.stop()));
  await target?.close();
  await sshd?.stop();
  await dockerd?.stop();
});

/** A started source whose events are recorded, with waits on them. */
function watch(opts: Partial<ContainersSourceOptions> & { docker?: Docker } = {}) {
  const events: Array<LiveEvent & { t: number }> = [];
  const src = new ContainersSource({
    docker,
    project: 'shop',
    intervalMs: 300,
    now: () => Date.now(),
    emit: (e) => events.push({ ...e, t: performance.now() }),
    ...opts,
  });
  sources.push(src);
  src.start();
  const lastRows = (since = 0): ContainerRowDetail[] | undefined => {
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i]!;
      if (e.t < since) return undefined;
      if (e.type === 'containers') return e.rows as ContainerRowDetail[];
    }
    return undefined;
  };
  return {
    src,
    events,
    lastRows,
    /** Waits for a `containers` event (after `since`, a performance.now() time) whose rows satisfy pred. */
    async rowsWhere(what: string, pred: (rows: ContainerRowDetail[]) => boolean, o: { since?: number; timeoutMs?: number } = {}) {
      return waitFor(
        () => {
          const rows = lastRows(o.since ?? 0);
          return rows !== undefined && pred(rows) ? rows : undefined;
        },
        { what, timeoutMs: o.timeoutMs ?? 15_000, intervalMs: 20, detail: () => JSON.stringify(events.slice(-4), null, 1) },
      );
    },
    row: (rows: ContainerRowDetail[], name: string) => rows.find((r) => r.name === name),
  };
}

async function inspect(name: string) {
  return docker.getContainer(name).inspect();
}

describe('containers source on a real dockerd', () => {
  it('lists the project, sorted, with state, image, tag and start time; another project is filtered out', async () => {
    const w = watch();
    const rows = await w.rowsWhere('both shop containers running', (rs) =>
      ['shop-api-1', 'shop-worker-1'].every((n) => rs.find((r) => r.name === n)?.state === 'running'),
    );
    expect(rows.find((r) => r.name === 'other-web-1')).toBeUndefined();
    expect(rows.every((r) => r.service !== undefined)).toBe(true);
    const names = rows.map((r) => r.name);
    expect(names.indexOf('shop-api-1')).toBeLessThan(names.indexOf('shop-worker-1'));
    const a = w.row(rows, 'shop-api-1')!;
    expect(a).toMatchObject({ service: 'api', state: 'running', image: 'hubops-busybox', tag: 'test', restarts: 0 });
    expect(a.startedAt).toBe(Date.parse((await inspect('shop-api-1')).State.StartedAt));
    expect(a.health).toBeUndefined();
    await w.src.stop();
  });

  it('shows stop and kill (exited, with the exit code), and start again', async () => {
    const w = watch();
    await w.rowsWhere('worker running', (rs) => w.row(rs, 'shop-worker-1')?.state === 'running');
    await dockerd.dockerOk(['stop', 'shop-worker-1']);
    let rows = await w.rowsWhere('worker exited', (rs) => w.row(rs, 'shop-worker-1')?.state === 'exited');
    expect(w.row(rows, 'shop-worker-1')).toMatchObject({ state: 'exited', exitCode: 0 });
    expect(w.row(rows, 'shop-worker-1')!.startedAt).toBeUndefined();

    await dockerd.dockerOk(['kill', 'shop-worker-1']).catch(() => undefined); // not running: an error, fine
    await dockerd.dockerOk(['start', 'shop-worker-1']);
    rows = await w.rowsWhere('worker running again', (rs) => w.row(rs, 'shop-worker-1')?.state === 'running');
    await dockerd.dockerOk(['kill', 'shop-worker-1']);
    rows = await w.rowsWhere('worker killed', (rs) => w.row(rs, 'shop-worker-1')?.state === 'exited');
    expect(w.row(rows, 'shop-worker-1')).toMatchObject({ state: 'exited', exitCode: 137 });

    await dockerd.dockerOk(['start', 'shop-worker-1']);
    await w.rowsWhere('worker running once more', (rs) => w.row(rs, 'shop-worker-1')?.state === 'running');
    await w.src.stop();
  });

  it('docker restart bumps nothing; a restart policy restarting a dead main process bumps restarts', async () => {
    await dockerd.runContainer('shop-api-2', IDLE, { labels: api(2), extraArgs: ['--restart', 'always'] });
    const w = watch();
    let rows = await w.rowsWhere('api-2 running', (rs) => w.row(rs, 'shop-api-2')?.state === 'running');
    const first = w.row(rows, 'shop-api-2')!;
    expect(first.restarts).toBe(0);

    await dockerd.dockerOk(['restart', '-t', '2', 'shop-api-2']);
    rows = await w.rowsWhere('api-2 started again by docker restart', (rs) => {
      const r = w.row(rs, 'shop-api-2');
      return r?.state === 'running' && r.startedAt !== first.startedAt;
    });
    expect(w.row(rows, 'shop-api-2')!.restarts).toBe(0);

    // Kill the container's main process from the host (by pid): the restart policy brings it back.
    const pid = (await inspect('shop-api-2')).State.Pid;
    expect(pid).toBeGreaterThan(0);
    sendSignal(pid, 'SIGKILL');
    rows = await w.rowsWhere('api-2 restarted by its policy', (rs) => {
      const r = w.row(rs, 'shop-api-2');
      return r?.state === 'running' && r.restarts === 1;
    });
    expect((await inspect('shop-api-2')).RestartCount).toBe(1);
    await w.src.stop();
    await dockerd.dockerOk(['rm', '-f', 'shop-api-2']);
  });

  it('a die shows within a fraction of a 60 s poll interval, through the event stream', async () => {
    await dockerd.runContainer('shop-worker-2', IDLE, { labels: { ...worker, 'com.docker.compose.container-number': '2' } });
    const w = watch({ intervalMs: 60_000 });
    await w.rowsWhere('worker-2 running', (rs) => w.row(rs, 'shop-worker-2')?.state === 'running');
    await waitFor(() => w.src.eventStreamOpen, { what: 'the event stream to open', timeoutMs: 10_000, intervalMs: 20 });
    // Let the first polls (start, and the one after the subscription) settle: until none came for
    // 1 s (rather than a fixed 300 ms, which a busy machine can overrun), so none is counted below.
    const lastRowsAt = () => w.events.filter((e) => e.type === 'containers').at(-1)?.t ?? 0;
    await waitFor(() => performance.now() - lastRowsAt() >= 1_000, { what: 'the first polls to settle', timeoutMs: 15_000, intervalMs: 20 });
    const polls = w.events.filter((e) => e.type === 'containers').length;

    const t0 = performance.now();
    await dockerd.dockerOk(['kill', 'shop-worker-2']);
    // dockerd sends "die" before its container list says so: a refresh racing it reads "running",
    // and the source reads again (it once showed the dead container running until the next poll).
    const rows = await w.rowsWhere('worker-2 exited', (rs) => w.row(rs, 'shop-worker-2')?.state === 'exited', { since: t0, timeoutMs: 20_000 });
    // The poll interval is 60 s and rowsWhere gives up after 20 s: only the event stream can have
    // brought this update in time (the latency itself is the benchmark's business, not a test's).
    expect(w.row(rows, 'shop-worker-2')!.exitCode).toBe(137);
    const evs = w.events.filter((e) => e.type === 'container-event' && e.name === 'shop-worker-2');
    expect(evs.map((e) => (e as { action: string }).action)).toEqual(expect.arrayContaining(['kill', 'die']));
    // Refreshed by the events (one per burst, and at most 5 reads again while the list lags), not by the timer.
    expect(w.events.filter((e) => e.type === 'containers').length - polls).toBeLessThanOrEqual(7);
    await w.src.stop();
    await dockerd.dockerOk(['rm', '-f', 'shop-worker-2']);
  });

  it('CPU % of a busy container is high after two samples, memory is known', async () => {
    await dockerd.runContainer('shop-burner-1', BUSY, { labels: { ...SHOP, 'com.docker.compose.service': 'burner' } });
    const w = watch({ intervalMs: 1_000 });
    const rows = await w.rowsWhere('a CPU % for the burner', (rs) => w.row(rs, 'shop-burner-1')?.cpuPct !== undefined);
    const b = w.row(rows, 'shop-burner-1')!;
    expect(b.cpuPct!).toBeGreaterThan(10);
    expect(b.memBytes!).toBeGreaterThan(0);
    const idle = w.row(rows, 'shop-api-1')!;
    if (idle.cpuPct !== undefined) expect(idle.cpuPct).toBeLessThan(b.cpuPct!);
    await w.src.stop();
    await dockerd.dockerOk(['rm', '-f', 'shop-burner-1']);
  });

  it('restartContainer restarts it (new start time) and reports failures without throwing', async () => {
    const w = watch();
    const before = w.row(await w.rowsWhere('api-1 running', (rs) => w.row(rs, 'shop-api-1')?.state === 'running'), 'shop-api-1')!;
    const r = await restartContainer(docker, 'shop-api-1', { timeoutS: 2 });
    expect(r).toMatchObject({ ok: true });
    expect(r.durationMs).toBeGreaterThan(0);
    const after = w.row(
      await w.rowsWhere('api-1 with a new start time', (rs) => {
        const x = w.row(rs, 'shop-api-1');
        return x?.state === 'running' && x.startedAt !== before.startedAt;
      }),
      'shop-api-1',
    )!;
    expect(after.startedAt!).toBeGreaterThan(before.startedAt!);
    expect(after.restarts).toBe(0);

    expect(await restartContainer(docker, 'no-such-container')).toMatchObject({ ok: false, error: 'no such container: no-such-container' });
    const gone = new Docker({ socketPath: `${dockerd.dir}/missing.sock` });
    const failed = await restartContainer(gone, 'shop-api-1', { where: `${dockerd.dir}/missing.sock` });
    expect(failed.ok).toBe(false);
    expect(failed.error).toMatch(/^Docker socket not found/);
    await w.src.stop();
  });

  it('a missing socket is a readable source-error, never a throw', async () => {
    const socketPath = `${dockerd.dir}/missing.sock`;
    const w = watch({ docker: new Docker({ socketPath }), intervalMs: 100 });
    const err = await waitFor(() => w.events.find((e) => e.type === 'source-error'), { what: 'a source-error', timeoutMs: 15_000, intervalMs: 20 });
    expect(err).toMatchObject({ pane: 'containers', source: 'docker', error: `Docker socket not found: ${socketPath} (is Docker installed and running?)` });
    await w.src.stop();
  });
});

describe('containers source over SSH (the Docker socket forwarded on the link)', () => {
  let sshDocker: Docker;

  beforeAll(async () => {
    sshd = await startSshd();
    target = new SshTarget(`ssh://${sshd.user}@127.0.0.1:${sshd.port}`, {
      identityFile: sshd.identityFile,
      knownHosts: sshd.knownHostsFile,
      agent: false,
      backoff: { initialMs: 200, maxMs: 1_000 },
      keepaliveIntervalMs: 1_000,
    });
    await target.ready();
    sshDocker = dockerFor(target, dockerd.socket);
  });

  it('lists the same rows as locally, and shows a die at once', async () => {
    const local = watch();
    const remote = watch({ docker: sshDocker });
    const shape = (rs: ContainerRowDetail[]) => rs.map((r) => [r.name, r.service, r.state, r.image, r.tag, r.restarts, r.startedAt]);
    const localRows = await local.rowsWhere('local rows', (rs) => rs.length >= 2);
    const remoteRows = await remote.rowsWhere('rows over SSH', (rs) => rs.length >= 2);
    expect(shape(remoteRows)).toEqual(shape(localRows));
    expect(remoteRows.find((r) => r.name === 'other-web-1')).toBeUndefined();
    await local.src.stop();

    await waitFor(() => remote.src.eventStreamOpen, { what: 'the event stream over SSH', timeoutMs: 10_000, intervalMs: 20 });
    const slow = watch({ docker: sshDocker, intervalMs: 30_000 });
    await slow.rowsWhere('rows over SSH (slow poll)', (rs) => slow.row(rs, 'shop-worker-1')?.state === 'running');
    await waitFor(() => slow.src.eventStreamOpen, { what: 'the slow source event stream', timeoutMs: 10_000, intervalMs: 20 });
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    await dockerd.dockerOk(['kill', 'shop-worker-1']);
    const rows = await slow.rowsWhere('worker exited, over SSH', (rs) => slow.row(rs, 'shop-worker-1')?.state === 'exited', { since: t0, timeoutMs: 20_000 });
    expect(slow.row(rows, 'shop-worker-1')!.exitCode).toBe(137);
    await dockerd.dockerOk(['start', 'shop-worker-1']);
    await slow.src.stop();
    await remote.src.stop();
  });

  it('restartContainer works over SSH', async () => {
    const before = Date.parse((await inspect('shop-worker-1')).State.StartedAt);
    const r = await restartContainer(sshDocker, 'shop-worker-1', { timeoutS: 2 });
    expect(r).toMatchObject({ ok: true });
    expect(Date.parse((await inspect('shop-worker-1')).State.StartedAt)).toBeGreaterThan(before);
  });

  it('a dropped link is a source-error naming SSH, then source-ok and events again once it is back', async () => {
    const w = watch({ docker: sshDocker, intervalMs: 300, requestTimeoutMs: 3_000, eventBackoff: { initialMs: 100, maxMs: 1_000 } });
    await w.rowsWhere('rows over SSH', (rs) => rs.length >= 2);
    await waitFor(() => w.src.eventStreamOpen, { what: 'the event stream over SSH', timeoutMs: 10_000, intervalMs: 20 });
    await sshd!.killConnections();
    const err = await waitFor(() => w.events.find((e) => e.type === 'source-error'), { what: 'a source-error', timeoutMs: 10_000, intervalMs: 20 });
    expect((err as { error: string }).error).toMatch(/SSH link down/);
    await waitFor(() => w.events.find((e) => e.type === 'source-ok'), { what: 'source-ok after the reconnect', timeoutMs: 15_000, intervalMs: 20 });
    await waitFor(() => w.src.eventStreamOpen, { what: 'the event stream to re-open', timeoutMs: 10_000, intervalMs: 20 });
    // Events flow again on the new link.
    const t0 = performance.now();
    await dockerd.dockerOk(['restart', '-t', '1', 'shop-worker-1']);
    await waitFor(() => w.events.find((e) => e.type === 'container-event' && e.t > t0 && e.action === 'restart'), {
      what: 'a restart event after the reconnect',
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    await w.src.stop();
  });

  it('a missing socket on the host is a readable source-error', async () => {
    const missing = `${dockerd.dir}/missing.sock`;
    const w = watch({ docker: dockerFor(target!, missing), where: `${missing} on ${target!.id}`, intervalMs: 200 });
    const err = await waitFor(() => w.events.find((e) => e.type === 'source-error'), { what: 'a source-error', timeoutMs: 15_000, intervalMs: 20 });
    expect((err as { error: string }).error).toBe(
      `cannot open the Docker socket ${missing} on ${target!.id}: the SSH server refused (open failed): the socket is missing, the SSH user may not open it, or AllowStreamLocalForwarding is off`,
    );
    await w.src.stop();
  });
});

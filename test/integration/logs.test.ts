// Log sources against the real things: a private dockerd (busybox containers, --network none) and
// a private sshd on 127.0.0.1, both started and stopped here.

import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveEvent, LogLine } from '../../src/live/events.js';
import { isNotice } from '../../src/logs/sink.js';
import { LogSource, type LogSourceOptions } from '../../src/logs/source.js';
import { dockerFor } from '../../src/sources/docker.js';
import { LocalTarget } from '../../src/targets/local.js';
import { closeAllTargets, openTarget } from '../../src/targets/index.js';
import type { Target } from '../../src/targets/target.js';
import { startDockerd, type Dockerd } from '../fixtures/dockerd.js';
import { pidsWithCmdline, tempDir, waitFor, type TempDir } from '../fixtures/procs.js';
import { startSshd, type Sshd } from '../fixtures/sshd.js';

let dockerd: Dockerd;
let sshd: Sshd;
let tmp: TempDir;
const local = new LocalTarget();
const running: LogSource[] = [];

beforeAll(async () => {
  tmp = tempDir('holi-');
  [dockerd, sshd] = await Promise.all([startDockerd(), startSshd()]);
  await dockerd.importBusybox();
}, 180_000);

afterAll(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await closeAllTargets();
  await local.close();
  await Promise.all([dockerd?.stop(), sshd?.stop()]);
  await tmp?.remove();
}, 120_000);

function sshTarget(): Target {
  return openTarget(`ssh://${sshd.user}@127.0.0.1:${sshd.port}`, { identityFile: sshd.identityFile, knownHosts: sshd.knownHostsFile, agent: false });
}

interface Run {
  source: LogSource;
  events: LiveEvent[];
  lines(): LogLine[];
  /** Lines from the log itself (hubops notices left out). */
  logLines(): LogLine[];
  notices(): string[];
  dropped(): number;
  waitText(pred: (text: string) => boolean, timeoutMs?: number): Promise<void>;
}

function startSource(opts: Omit<LogSourceOptions, 'emit' | 'now'> & { now?: () => number }): Run {
  const events: LiveEvent[] = [];
  const source = new LogSource({ now: Date.now, ...opts, emit: (e) => events.push(e) });
  running.push(source);
  source.start();
  const lines = () => events.flatMap((e) => (e.type === 'logs' ? e.lines : []));
  const run: Run = {
    source,
    events,
    lines,
    logLines: () => lines().filter((l) => !isNotice(l)),
    notices: () => lines().filter(isNotice).map((l) => l.text),
    dropped: () => events.reduce((n, e) => n + (e.type === 'logs-dropped' ? e.count : 0), 0),
    waitText: (pred, timeoutMs = 20_000) =>
      waitFor(() => run.logLines().some((l) => pred(l.text)), {
        what: 'a log line',
        timeoutMs,
        detail: () => JSON.stringify({ last: lines().slice(-5), errors: events.filter((e) => e.type === 'source-error').slice(-3) }),
      }).then(() => undefined),
  };
  return run;
}

async function stopSource(r: Run): Promise<void> {
  await r.source.stop();
  const i = running.indexOf(r.source);
  if (i >= 0) running.splice(i, 1);
}

/** `prefix-N` numbers in order of arrival. */
function numbers(lines: LogLine[], prefix: string): number[] {
  const re = new RegExp(`^${prefix}-(\\d+)$`);
  return lines.flatMap((l) => {
    const m = re.exec(l.text);
    return m ? [Number(m[1])] : [];
  });
}

/** Exactly from..to, each once, in order. */
function expectSequence(ns: number[], from: number): void {
  const want = Array.from({ length: ns.length }, (_, i) => from + i);
  // Compare compactly: first difference is what matters.
  const bad = ns.findIndex((n, i) => n !== want[i]);
  expect(bad === -1 ? 'ok' : `at ${bad}: got ${ns.slice(Math.max(0, bad - 3), bad + 3).join(',')}`).toBe('ok');
}

const LOOP = (prefix: string, sleepS = '0.1') => ['sh', '-c', `i=0; while true; do echo ${prefix}-$i; i=$((i+1)); sleep ${sleepS}; done`];

describe('docker logs', () => {
  it('a container: stdout and stderr lines arrive, marked; resumes after cuts without duplicates or gaps', async () => {
    await dockerd.runContainer('lg-both', [
      'sh',
      '-c',
      'i=0; while true; do echo line-$i; echo oops-$i >&2; i=$((i+1)); sleep 0.05; done',
    ]);
    const docker = dockerFor(local, dockerd.socket);
    const r = startSource({ name: 'api', spec: { name: 'api', container: 'lg-both' }, target: local, docker });
    await r.waitText((t) => t === 'line-5');
    await r.waitText((t) => t === 'oops-5');
    for (const l of r.logLines()) expect(l.stream).toBe(l.text.startsWith('oops-') ? 'stderr' : 'stdout');
    expect(r.logLines()[0]!.ts).toBeGreaterThan(Date.now() - 60_000);
    // Cut the stream a few times (as a lost link would): it resumes with since = last timestamp.
    for (let k = 0; k < 4; k++) {
      const seen = r.logLines().length;
      r.source.interrupt();
      await waitFor(() => r.logLines().length > seen + 10, { what: 'lines after a cut', timeoutMs: 15_000 });
    }
    const last = Math.max(...numbers(r.logLines(), 'line'));
    await r.waitText((t) => t === `line-${last + 5}`);
    await stopSource(r);
    expectSequence(numbers(r.logLines(), 'line'), 0);
    expectSequence(numbers(r.logLines(), 'oops'), 0);
    expect(r.events.some((e) => e.type === 'source-error')).toBe(true);
    expect(r.events.at(-1)?.type === 'source-error').toBe(false);
  });

  it('a TTY container (raw stream, not multiplexed)', async () => {
    await dockerd.runContainer('lg-tty', LOOP('tty'), { extraArgs: ['-t'] });
    const r = startSource({ name: 'tty', spec: { name: 'tty', container: 'lg-tty' }, target: local, docker: dockerFor(local, dockerd.socket) });
    await r.waitText((t) => t === 'tty-3');
    expect(r.logLines().every((l) => l.stream === 'stdout' && /^tty-\d+$/.test(l.text))).toBe(true);
    await stopSource(r);
  });

  it('a container that does not exist yet is an error until it appears; a restart is noted and followed', async () => {
    const docker = dockerFor(local, dockerd.socket);
    const r = startSource({ name: 'late', spec: { name: 'late', container: 'lg-late' }, target: local, docker, backoff: { initialMs: 200, maxMs: 500 } });
    await waitFor(() => r.events.some((e) => e.type === 'source-error' && /no such container/i.test(e.error)), { what: 'no such container' });
    await dockerd.runContainer('lg-late', ['sh', '-c', 'echo hello-late; echo started-$(date +%s%N); sleep 1; echo bye']);
    await r.waitText((t) => t === 'bye');
    await waitFor(() => r.events.some((e) => e.type === 'source-ok'), { what: 'source-ok' });
    await waitFor(() => r.notices().some((n) => /exited with code 0/.test(n)), { what: 'exit notice' });
    await dockerd.dockerOk(['start', 'lg-late']);
    await waitFor(() => r.logLines().filter((l) => l.text === 'bye').length === 2, { what: 'second run', timeoutMs: 20_000 });
    expect(r.logLines().filter((l) => l.text === 'hello-late').length).toBe(2);
    await waitFor(() => r.notices().some((n) => /is running again/.test(n)), { what: 'running again notice' });
    // Recreated under the same name (compose up): the new container is followed from its first line.
    await dockerd.dockerOk(['rm', '-f', 'lg-late']);
    await dockerd.runContainer('lg-late', ['sh', '-c', 'echo second-incarnation; sleep 30']);
    await r.waitText((t) => t === 'second-incarnation');
    await stopSource(r);
  });

  it('a compose service: every container of it, merged in time order; a new one joins', async () => {
    const labels = (service: string, project = 'shop') => ({ 'com.docker.compose.project': project, 'com.docker.compose.service': service });
    await dockerd.runContainer('shop-web-1', LOOP('w1'), { labels: labels('web') });
    await dockerd.runContainer('shop-web-2', LOOP('w2'), { labels: labels('web') });
    await dockerd.runContainer('other-web-1', LOOP('other'), { labels: labels('web', 'other') });
    const docker = dockerFor(local, dockerd.socket);
    const r = startSource({ name: 'web', spec: { name: 'web', service: 'web' }, project: 'shop', target: local, docker, pollMs: 300 });
    await r.waitText((t) => t === 'w1-5');
    await r.waitText((t) => t === 'w2-5');
    await dockerd.runContainer('shop-web-3', ['sh', '-c', 'echo w3-first; i=0; while true; do echo w3-$i; i=$((i+1)); sleep 0.1; done'], { labels: labels('web') });
    await r.waitText((t) => t === 'w3-3');
    await stopSource(r);
    const got = r.logLines();
    expect(got.some((l) => l.text.startsWith('other-'))).toBe(false);
    // A container that appears later is read from its first line.
    expect(got.some((l) => l.text === 'w3-first')).toBe(true);
    for (const p of ['w1', 'w2', 'w3']) expectSequence(numbers(got, p), 0);
    // Within each batch, lines are in timestamp order.
    for (const e of r.events) {
      if (e.type !== 'logs') continue;
      const ts = e.lines.filter((l) => !isNotice(l)).map((l) => l.ts);
      expect(ts).toEqual([...ts].sort((a, b) => a - b));
    }
  });

  it('a flood: delivered + dropped = written, in far fewer events than lines', async () => {
    await dockerd.dockerOk([
      'create',
      '--name',
      'lg-flood',
      '--network',
      'none',
      'hubops-busybox:test',
      'sh',
      '-c',
      // Not `timeout 2 sh …`: BusyBox's timeout execs the command as pid 1, which ignores SIGTERM.
      '(i=0; while true; do echo flood-$i; i=$((i+1)); done) & sleep 2; kill $!; wait',
    ]);
    const docker = dockerFor(local, dockerd.socket);
    const r = startSource({ name: 'flood', spec: { name: 'flood', container: 'lg-flood' }, target: local, docker, pollMs: 200 });
    // The same with a small queue and a consumer that takes 20 ms per event: it must drop, and say so.
    const slow = startSource({ name: 'flood-slow', spec: { name: 'flood-slow', container: 'lg-flood' }, target: local, docker, pollMs: 200, maxPending: 500 });
    const slowEmit = (slow.source as unknown as { opts: { emit: (e: LiveEvent) => void } }).opts;
    const inner = slowEmit.emit;
    slowEmit.emit = (e) => {
      inner(e);
      if (e.type === 'logs') {
        const end = performance.now() + 20;
        while (performance.now() < end) {
          // a slow renderer
        }
      }
    };
    // Attached before it starts: everything it writes counts.
    await waitFor(() => r.notices().some((n) => /has not started yet/.test(n)), { what: 'not started notice' });
    await waitFor(() => slow.notices().some((n) => /has not started yet/.test(n)), { what: 'not started notice' });
    await dockerd.dockerOk(['start', 'lg-flood']);
    await dockerd.dockerOk(['wait', 'lg-flood'], { timeoutMs: 30_000 });
    const logs = await dockerd.dockerOk(['logs', 'lg-flood'], { timeoutMs: 60_000 });
    const written = logs.stdout.split('\n').filter((l) => l !== '').length;
    expect(written).toBeGreaterThan(10_000);
    await waitFor(() => r.logLines().length + r.dropped() >= written, {
      what: `all ${written} lines delivered or counted`,
      timeoutMs: 60_000,
      detail: () => `delivered ${r.logLines().length}, dropped ${r.dropped()}`,
    });
    await waitFor(() => slow.logLines().length + slow.dropped() >= written, {
      what: `all ${written} lines delivered or counted (slow consumer)`,
      timeoutMs: 60_000,
      detail: () => `delivered ${slow.logLines().length}, dropped ${slow.dropped()}`,
    });
    await sleep(500);
    await stopSource(r);
    await stopSource(slow);
    expect(slow.logLines().length + slow.dropped()).toBe(written);
    expect(slow.dropped()).toBeGreaterThan(0);
    expect(slow.logLines().at(-1)?.text).toBe(r.logLines().at(-1)?.text);
    const delivered = r.logLines().length;
    expect(delivered + r.dropped()).toBe(written);
    const ns = numbers(r.logLines(), 'flood');
    for (let i = 1; i < ns.length; i++) if (ns[i]! <= ns[i - 1]!) throw new Error(`out of order or duplicated at ${i}: ${ns[i - 1]} then ${ns[i]}`);
    const logEvents = r.events.filter((e) => e.type === 'logs').length;
    expect(logEvents).toBeLessThan(written / 100);
    console.log(
      `flood: ${written} lines written; ${delivered} delivered, ${r.dropped()} dropped in ${logEvents} events; ` +
        `slow consumer: ${slow.logLines().length} delivered, ${slow.dropped()} dropped in ${slow.source.stats.events} events`,
    );
  }, 120_000);
});

describe('file logs', () => {
  async function fileScenario(target: Target, name: string): Promise<void> {
    const file = tmp.join(`${name}.log`);
    writeFileSync(file, Array.from({ length: 300 }, (_, i) => `old-${i}`).join('\n') + '\n');
    const r = startSource({ name, spec: { name, file }, target });
    await r.waitText((t) => t === 'old-299');
    // The last 200 lines of history, not more.
    expect(numbers(r.logLines(), 'old')).toEqual(Array.from({ length: 200 }, (_, i) => 100 + i));
    appendFileSync(file, 'new-0\nnew-1\n');
    await r.waitText((t) => t === 'new-1');
    // Rotate: mv + a new file.
    renameSync(file, `${file}.1`);
    appendFileSync(`${file}.1`, 'late-in-old\n');
    writeFileSync(file, 'rotated-0\n');
    await r.waitText((t) => t === 'rotated-0');
    appendFileSync(file, 'rotated-1\n');
    await r.waitText((t) => t === 'rotated-1');
    expect(r.notices().some((n) => /replaced|appeared|inaccessible/.test(n))).toBe(true);
    await stopSource(r);
    // stop() killed the tail it started.
    await waitFor(() => pidsWithCmdline(file).length === 0, { what: 'tail to be gone', timeoutMs: 10_000 });
  }

  it('locally: history, appended lines, rotation (mv + new file)', async () => {
    await fileScenario(local, 'local');
  });

  it('over SSH: the same', async () => {
    await fileScenario(sshTarget(), 'remote');
  });

  it('over SSH, the link cut while the file grows: no duplicate, no gap', async () => {
    const file = tmp.join('growing.log');
    writeFileSync(file, '');
    let n = 0;
    const writer = setInterval(() => appendFileSync(file, `g-${n++}\n`), 10);
    try {
      const target = sshTarget();
      const r = startSource({ name: 'grow', spec: { name: 'grow', file }, target, backoff: { initialMs: 200, maxMs: 1_000 } });
      await r.waitText((t) => t === 'g-50');
      for (let cut = 0; cut < 2; cut++) {
        const before = r.logLines().length;
        const conns = await sshd.connectionChildPids();
        expect(conns.length).toBeGreaterThan(0);
        await sshd.killConnections();
        await waitFor(() => r.events.some((e) => e.type === 'source-error'), { what: 'the cut to be seen' });
        await waitFor(() => r.logLines().length > before + 100, { what: 'lines after reconnecting', timeoutMs: 30_000 });
      }
      clearInterval(writer);
      const last = n - 1;
      await r.waitText((t) => t === `g-${last}`, 30_000);
      await stopSource(r);
      expectSequence(numbers(r.logLines(), 'g'), 0);
      expect(numbers(r.logLines(), 'g').length).toBe(n);
      expect(r.notices().filter((t) => /nothing missed/.test(t)).length).toBe(2);
    } finally {
      clearInterval(writer);
    }
  }, 90_000);
});

describe('command logs', () => {
  async function commandScenario(target: Target, marker: string, sleepSeconds: number): Promise<void> {
    // Runs 0.5 s, ends, is restarted; every restart is noted in the log.
    const r = startSource({
      name: 'cmd',
      spec: { name: 'cmd', run: `echo ${marker}-start; i=0; while [ $i -lt 5 ]; do echo c-$i; i=$((i+1)); sleep 0.1; done; echo boom >&2; exit 3` },
      target,
      backoff: { initialMs: 100, maxMs: 200 },
    });
    await waitFor(() => r.logLines().filter((l) => l.text === `${marker}-start`).length >= 2, { what: 'a restart', timeoutMs: 15_000 });
    expect(r.notices().some((n) => /command exited with code 3; restart #1/.test(n))).toBe(true);
    expect(r.logLines().find((l) => l.text === 'boom')?.stream).toBe('stderr');
    expect(r.events.some((e) => e.type === 'source-error' && e.error === 'command exited with code 3')).toBe(true);
    await stopSource(r);
    // A long-running one is killed by stop().
    const sleeper = `sleep ${sleepSeconds}`;
    const long = startSource({ name: 'long', spec: { name: 'long', run: `echo ${marker}-long; ${sleeper}; echo never` }, target });
    await long.waitText((t) => t === `${marker}-long`);
    await waitFor(() => pidsWithCmdline(sleeper).length > 0, { what: 'the command to run' });
    await stopSource(long);
    await waitFor(() => pidsWithCmdline(sleeper).length === 0, { what: 'the command to be killed', timeoutMs: 10_000 });
    expect(long.logLines().some((l) => l.text === 'never')).toBe(false);
  }

  it('locally: restarted with backoff when it exits, killed by stop()', async () => {
    await commandScenario(local, 'mark-local', 611);
  });

  it('over SSH: the same', async () => {
    await commandScenario(sshTarget(), 'mark-remote', 612);
  });
});

describe('docker over SSH', () => {
  it('the link cut while a container logs: resumed with since, no duplicate, no gap', async () => {
    await dockerd.runContainer('lg-ssh', LOOP('s', '0.02'));
    const target = sshTarget();
    const r = startSource({ name: 'viassh', spec: { name: 'viassh', container: 'lg-ssh' }, target, docker: dockerFor(target, dockerd.socket), backoff: { initialMs: 200, maxMs: 1_000 } });
    await r.waitText((t) => t === 's-20');
    const before = r.logLines().length;
    await sshd.killConnections();
    await waitFor(() => r.events.some((e) => e.type === 'source-error'), { what: 'the cut to be seen' });
    await waitFor(() => r.logLines().length > before + 100, { what: 'lines after reconnecting', timeoutMs: 30_000 });
    await stopSource(r);
    expectSequence(numbers(r.logLines(), 's'), 0);
    expect(r.events.filter((e) => e.type === 'source-ok').length).toBeGreaterThan(0);
  }, 60_000);
});

// `hubops demo`'s stack against the real thing: the shop API and worker started as processes in a
// temporary folder, driven through the stack, its deploy.sh (run on the local target, as a release
// would) and the config it writes (loaded and evaluated with hubops' own code).

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile, type LoadedConfig } from '../../src/config/load.js';
import { applyDemoFault, DEMO_FAULTS } from '../../src/demo/faults.js';
import { ProcessesSource } from '../../src/demo/processes.js';
import { DemoStack, resolveDemoScripts } from '../../src/demo/stack.js';
import type { LiveEvent } from '../../src/live/events.js';
import { parsePromText } from '../../src/metrics/prom-text.js';
import { compileScrapeExpr, ScrapeWindow, toReadingValue } from '../../src/metrics/scrape-eval.js';
import { checkMetricsConfig, MetricsSource } from '../../src/metrics/source.js';
import { assembleGate, collectGateInputs } from '../../src/release/gate/index.js';
import { loadRunbooks, shippedRunbooksDir } from '../../src/runbooks/load.js';
import { LocalTarget } from '../../src/targets/local.js';
import { renderCommand } from '../../src/targets/shell.js';
import { canConnect, isAlive, tempDir, trackPid, untrackPid, waitFor, type TempDir } from '../fixtures/procs.js';

const SRC_DEMO = fileURLToPath(new URL('../../src/demo/', import.meta.url));

let tmp: TempDir;
let stack: DemoStack;
let loaded: LoadedConfig;
const local = new LocalTarget();
const sources: { stop(): Promise<void> }[] = [];

function demoEnv() {
  const env = loaded.config.environments.demo;
  if (!env) throw new Error('no demo environment');
  return env;
}

async function get(path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${stack.apiUrl}${path}`, { signal: AbortSignal.timeout(3000) });
  return { status: res.status, text: await res.text() };
}

function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  return parsePromText(text).samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

function pidsJson(dir: string): Record<string, { pid: number; state: string; port?: number; version?: string }> {
  return (JSON.parse(readFileSync(`${dir}/pids.json`, 'utf8')) as { processes: Record<string, { pid: number; state: string }> }).processes;
}

async function runOnLocal(command: string): Promise<{ code: number | null; output: string }> {
  const lines: string[] = [];
  const r = await local.run(command, { timeoutMs: 60_000, onLine: (l) => lines.push(l) });
  return { code: r.code, output: lines.join('\n') };
}

beforeAll(async () => {
  tmp = tempDir('hdemo-');
  stack = new DemoStack();
  await stack.start({ dir: tmp.join('demo'), scripts: resolveDemoScripts(SRC_DEMO) });
  for (const pid of stack.startedPids) trackPid(pid, 'demo process');
  const r = loadConfigFile(stack.configFile);
  if (!r.ok) throw new Error(`config did not load: ${JSON.stringify(r.problems)}`);
  loaded = r.loaded;
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(sources.map((s) => s.stop()));
  await stack?.stop();
  await local.close();
  await tmp?.remove();
}, 60_000);

describe('demo stack', () => {
  it('writes a config that loads with no warnings, and a runbook that parses cleanly', async () => {
    expect(loaded.warnings).toEqual([]);
    const env = demoEnv();
    expect(env.target).toBe('local');
    expect(loaded.config.defaultEnv).toBe('demo');
    expect(env.watch).toMatchObject({ duration: 120_000, interval: 5_000, noDataGrace: 30_000 });
    expect(env.metrics?.scrape).toBe(`${stack.apiUrl}/metrics`);
    expect(env.metrics?.host).toBe(true);
    expect(checkMetricsConfig(env.metrics!)).toEqual([]);
    expect(env.health.map((h) => h.name)).toEqual(['api', 'api-ready', 'api-port', 'worker']);
    expect(env.logs.map((l) => l.file)).toEqual([stack.logFiles['shop-api'], stack.logFiles.worker]);
    expect(env.release?.strategies).toEqual(['all-at-once']);
    expect(loaded.paths.journal).toBe(`${stack.dir}/.hubops`);
    expect(loaded.paths.reports).toBe(`${stack.dir}/docs`);
    // The deploy templates render with the release's variables.
    expect(renderCommand(env.release!.deploy, { version: '1.5.0' })).toBe(`'${stack.dir}/deploy.sh' '1.5.0'`);
    expect(renderCommand(env.release!.rollback, { previous: '1.4.0' })).toBe(`'${stack.dir}/deploy.sh' --rollback '1.4.0'`);

    const shipped = shippedRunbooksDir();
    const { runbooks, problems } = await loadRunbooks([...(shipped ? [shipped] : []), ...loaded.paths.runbookDirs]);
    expect(problems.filter((p) => p.file.startsWith(stack.dir))).toEqual([]);
    const demo = runbooks.find((r) => r.id === 'demo-shop-api');
    expect(demo?.resolution.some((s) => s.command?.code.includes('shopctl" restart shop-api'))).toBe(true);
    expect(Object.keys(demo?.env ?? {})).toEqual(['HUBOPS_DEMO_DIR']);
  });

  it('the worker health check (a run command) passes on the local target', async () => {
    const check = demoEnv().health.find((h) => h.name === 'worker')!;
    const r = await runOnLocal(check.run!);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/worker heartbeat \ds ago/);
  });

  it('answers /health, and /metrics parses with a request counter that grows', async () => {
    expect((await get('/health')).status).toBe(200);
    expect((await get('/ready')).status).toBe(200);
    const first = await get('/metrics');
    const parsed = parsePromText(first.text);
    expect(parsed.errors).toEqual([]);
    expect(parsed.types).toMatchObject({ http_requests_total: 'counter', http_request_duration_seconds: 'histogram', shop_version_info: 'gauge' });
    expect(sample(first.text, 'shop_version_info', { version: '1.4.0' })).toBe(1);
    const ok1 = sample(first.text, 'http_requests_total', { code: '200' })!;
    const n1 = sample(first.text, 'http_request_duration_seconds_count')!;
    await waitFor(async () => sample((await get('/metrics')).text, 'http_requests_total', { code: '200' })! >= ok1 + 10, {
      timeoutMs: 15_000,
      what: 'the request counter to grow',
    });
    const later = (await get('/metrics')).text;
    expect(sample(later, 'http_request_duration_seconds_count')!).toBeGreaterThan(n1);
    expect(sample(later, 'http_request_duration_seconds_bucket', { le: '+Inf' })).toBe(sample(later, 'http_request_duration_seconds_count'));
    // Log lines at a steady rate, in both files.
    await waitFor(() => readFileSync(stack.logFiles['shop-api'], 'utf8').includes(' 200 '), { timeoutMs: 15_000, what: 'api access lines' });
    await waitFor(() => /job \d+ \S+ done in/.test(readFileSync(stack.logFiles.worker, 'utf8')), { timeoutMs: 15_000, what: 'worker job lines' });
  });

  it('gives the release gate a repository: a tag, two conventional commits, [Unreleased], a clean tree, a fresh backup', async () => {
    const release = demoEnv().release!;
    const inputs = await collectGateInputs({ repoDir: stack.dir, release, target: local });
    const gate = assembleGate(inputs);
    expect(gate.previousTag).toBe('v1.4.0');
    expect(gate.version).toBe('1.5.0');
    expect(gate.commitCount).toBe(2);
    expect(gate.treeClean).toBe(true);
    expect(gate.rollbackTarget).toEqual({ version: '1.4.0', source: 'current' });
    expect(gate.checks.filter((c) => c.status !== 'pass')).toEqual([]);
  });

  it('an error spike makes the error ratio of the config, from two scrapes, rise above 0.3 within a few seconds', async () => {
    const expr = compileScrapeExpr(demoEnv().metrics!.errorRate!);
    const applied = await applyDemoFault(stack, 'errors');
    expect(applied.ok, applied.message).toBe(true);
    expect(stack.faults()).toMatchObject({ errors: 0.4 });
    const window = new ScrapeWindow({ retainMs: 60_000 });
    let ratio: number | null = null;
    // Up to six scrapes a second apart (about 5 s): counted, not timed, so a busy machine that
    // scrapes late still gets as many.
    for (let scrapes = 0; scrapes < 6; scrapes++) {
      window.add(Date.now(), parsePromText((await get('/metrics')).text).samples);
      if (window.size >= 2) {
        ratio = toReadingValue(window.evaluate(expr.expr));
        if (ratio !== null && ratio > 0.3) break;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(ratio).not.toBeNull();
    expect(ratio!).toBeGreaterThan(0.3);
    expect(readFileSync(stack.logFiles['shop-api'], 'utf8')).toMatch(/ERROR .* 500 /);
    expect((await stack.injectFault('none')).ok).toBe(true);
    expect(stack.faults()).toEqual({});
  });

  it('the metrics source on the demo config sees latency ×5 in p99 within one poll', async () => {
    const events: LiveEvent[] = [];
    const src = new MetricsSource({ target: local, config: { ...demoEnv().metrics!, host: false }, intervalMs: 1000, emit: (e) => void events.push(e) });
    sources.push(src);
    src.start();
    const p99 = () =>
      events
        .filter((e): e is Extract<LiveEvent, { type: 'metrics' }> => e.type === 'metrics')
        .map((e) => e.readings.find((r) => r.name === 'p99')?.value)
        .filter((v): v is number => typeof v === 'number');
    await waitFor(() => p99().length >= 2, { timeoutMs: 15_000, what: 'two p99 readings' });
    const before = p99().at(-1)!;
    expect(before).toBeGreaterThan(0.05);
    expect(before).toBeLessThan(0.4);
    expect((await stack.injectFault('latency', 5)).ok).toBe(true);
    const n = p99().length;
    // The next poll after the fault already shows it (rate over 30 s: a few slow requests suffice).
    await waitFor(() => p99().length >= n + 2, { timeoutMs: 15_000, what: 'two more p99 readings' });
    expect(p99().at(-1)!).toBeGreaterThan(2 * before);
    await src.stop();
    expect((await stack.injectFault('none')).ok).toBe(true);
  });

  it('lists its processes as rows, and the processes source emits them', async () => {
    const rows1 = stack.processes();
    expect(rows1.map((r) => [r.name, r.state])).toEqual([
      ['shop-api', 'running'],
      ['worker', 'running'],
    ]);
    await new Promise((r) => setTimeout(r, 600));
    const rows = stack.processes();
    for (const r of rows) {
      expect(r.pid).toBeGreaterThan(0);
      expect(r.startedAt).toBeLessThanOrEqual(Date.now());
      expect(r.cpuPct).toBeGreaterThanOrEqual(0);
      expect(r.memBytes).toBeGreaterThan(1024 * 1024);
    }
    expect(rows[0]!.tag).toBe('1.4.0');
    const pids = pidsJson(stack.dir);
    expect(pids['shop-api']?.pid).toBe(rows[0]!.pid);
    expect(pids.worker?.pid).toBe(rows[1]!.pid);

    const events: LiveEvent[] = [];
    const src = new ProcessesSource({ stack, intervalMs: 500, emit: (e) => void events.push(e) });
    sources.push(src);
    src.start();
    await waitFor(() => events.some((e) => e.type === 'containers' && e.rows.find((r) => r.name === 'shop-api')?.health === 'healthy'), {
      timeoutMs: 15_000,
      what: 'a containers event with a healthy shop-api',
    });
    await src.stop();
  });

  it('crashApi: the API exits and stays down (health refused, row exited) until restartApi', async () => {
    const events: LiveEvent[] = [];
    const src = new ProcessesSource({ stack, intervalMs: 60_000, emit: (e) => void events.push(e) });
    sources.push(src);
    src.start();
    const oldPid = stack.processes()[0]!.pid!;
    const crashed = await applyDemoFault(stack, 'crash');
    expect(crashed.ok, crashed.message).toBe(true);
    expect(isAlive(oldPid)).toBe(false);
    // The pane hears of it at once, not at the next interval.
    expect(events.some((e) => e.type === 'container-event' && e.name === 'shop-api' && e.action === 'die')).toBe(true);
    const last = events.filter((e) => e.type === 'containers').at(-1);
    expect(last?.type === 'containers' && last.rows[0]?.state).toBe('exited');
    await expect(fetch(`${stack.apiUrl}/health`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    expect(await canConnect(stack.apiPort)).toBe(false);
    expect(readFileSync(stack.logFiles['shop-api'], 'utf8')).toMatch(/FATAL .*exiting with code 1/);
    expect(pidsJson(stack.dir)['shop-api']?.state).toBe('exited');
    // It stays down.
    await new Promise((r) => setTimeout(r, 1500));
    expect(stack.processes()[0]!.state).toBe('exited');
    expect((await stack.injectFault('errors')).ok).toBe(false);

    const r = await stack.restartApi();
    expect(r.ok, r.error).toBe(true);
    trackPid(r.pid!, 'demo api');
    expect(r.pid).not.toBe(oldPid);
    expect((await get('/health')).status).toBe(200);
    const row = stack.processes()[0]!;
    expect(row).toMatchObject({ state: 'running', pid: r.pid, restarts: 1 });
    expect(events.some((e) => e.type === 'container-event' && e.name === 'shop-api' && e.action === 'start')).toBe(true);
    await src.stop();
  });

  it('deploy.sh (the release deploy command, run on the local target) really restarts the API on the new version; rollback goes back', async () => {
    const release = demoEnv().release!;
    const oldPid = pidsJson(stack.dir)['shop-api']!.pid;
    const deployed = await runOnLocal(renderCommand(release.deploy, { version: '1.5.0' }));
    expect(deployed.code, deployed.output).toBe(0);
    expect(deployed.output).toMatch(/deploy of shop-api: 1\.4\.0 -> 1\.5\.0/);
    expect(deployed.output).toMatch(/shop-api is up: pid \d+, version 1\.5\.0/);
    const newPid = pidsJson(stack.dir)['shop-api']!.pid;
    trackPid(newPid, 'demo api');
    expect(newPid).not.toBe(oldPid);
    expect(isAlive(oldPid)).toBe(false);
    expect(isAlive(newPid)).toBe(true);
    expect(sample((await get('/metrics')).text, 'shop_version_info', { version: '1.5.0' })).toBe(1);
    expect((await runOnLocal(release.current!)).output.trim()).toBe('1.5.0');
    expect(stack.processes()[0]!.tag).toBe('1.5.0');
    // The deploy command's process group is gone; the API it restarted is not.
    await new Promise((r) => setTimeout(r, 300));
    expect(isAlive(newPid)).toBe(true);

    const rolledBack = await runOnLocal(renderCommand(release.rollback, { previous: '1.4.0' }));
    expect(rolledBack.code, rolledBack.output).toBe(0);
    expect(rolledBack.output).toMatch(/rollback of shop-api: 1\.5\.0 -> 1\.4\.0/);
    trackPid(pidsJson(stack.dir)['shop-api']!.pid, 'demo api');
    expect(sample((await get('/metrics')).text, 'shop_version_info', { version: '1.4.0' })).toBe(1);

    // A bad version argument changes nothing.
    const bad = await runOnLocal(`'${stack.dir}/deploy.sh' 'x; rm -rf /'`);
    expect(bad.code).toBe(2);
    expect(readFileSync(`${stack.dir}/VERSION`, 'utf8').trim()).toBe('1.4.0');
  });

  it('shopctl: status, health, fault, restart of the worker', async () => {
    const ctl = `'${stack.dir}/shopctl'`;
    const status = await runOnLocal(`${ctl} status`);
    expect(status.code, status.output).toBe(0);
    expect(status.output).toMatch(/shop-api\s+running\s+\d+\s+1\.4\.0/);
    expect((await runOnLocal(`${ctl} health`)).code).toBe(0);
    const fault = await runOnLocal(`${ctl} fault unhealthy`);
    expect(fault.code, fault.output).toBe(0);
    expect((await get('/health')).status).toBe(503);
    expect((await runOnLocal(`${ctl} health`)).code).toBe(1);
    expect((await runOnLocal(`${ctl} fault none`)).code).toBe(0);
    const workerPid = pidsJson(stack.dir).worker!.pid;
    const restarted = await runOnLocal(`${ctl} restart worker`);
    expect(restarted.code, restarted.output).toBe(0);
    const newWorker = pidsJson(stack.dir).worker!.pid;
    trackPid(newWorker, 'demo worker');
    expect(newWorker).not.toBe(workerPid);
    expect(isAlive(workerPid)).toBe(false);
    expect((await runOnLocal(`${ctl} fault nonsense`)).code).toBe(1);
    expect(DEMO_FAULTS.map((f) => f.id)).toEqual(['errors', 'latency', 'crash', 'drift', 'flood', 'unhealthy', 'clear']);
  });

  it('stop() leaves no process and nothing listening', async () => {
    const control = JSON.parse(readFileSync(`${stack.dir}/run/control.json`, 'utf8')) as { port: number };
    const apiPort = stack.apiPort;
    const pids = Object.values(pidsJson(stack.dir)).map((p) => p.pid);
    const all = [...stack.startedPids];
    expect(pids.every(isAlive)).toBe(true);
    await stack.stop();
    expect(all.filter(isAlive)).toEqual([]);
    for (const p of all) untrackPid(p);
    expect(await canConnect(apiPort)).toBe(false);
    expect(await canConnect(control.port)).toBe(false);
    expect(existsSync(`${stack.dir}/pids.json`)).toBe(false);
    // shopctl says so plainly.
    const r = await runOnLocal(`'${stack.dir}/shopctl' status`);
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/not running/);
  });

  it('the same folder can be started again (repository and tags kept), is refused to a second stack, and stopSync() stops it', async () => {
    const again = new DemoStack();
    await again.start({ dir: stack.dir, scripts: resolveDemoScripts(SRC_DEMO) });
    try {
      for (const pid of again.startedPids) trackPid(pid, 'demo process');
      const r = loadConfigFile(again.configFile);
      expect(r.ok && r.loaded.warnings).toEqual([]);
      const gate = assembleGate(await collectGateInputs({ repoDir: again.dir, release: r.ok ? r.loaded.config.environments.demo!.release! : ({} as never), target: local }));
      expect(gate.previousTag).toBe('v1.4.0');
      expect(gate.treeClean).toBe(true);
      // A second stack on a folder in use is refused.
      await expect(new DemoStack().start({ dir: again.dir, scripts: resolveDemoScripts(SRC_DEMO) })).rejects.toThrow(/already running/);
    } finally {
      // What an exit handler does (stopOnExit): no promises, the processes are gone when it returns.
      again.stopSync();
    }
    expect(again.startedPids.filter(isAlive)).toEqual([]);
    // stopSync() returns once the processes are zombies (isAlive counts them dead); the listening
    // socket closes with the last of their threads, which on a loaded machine can be a moment later.
    await waitFor(async () => !(await canConnect(again.apiPort)), { timeoutMs: 10_000, what: 'the API to stop listening' });
    expect(existsSync(`${again.dir}/run/control.json`)).toBe(false);
  });

  it('refuses a folder that is not empty and not a demo', async () => {
    const dir = tmp.join('other');
    mkdirSync(dir);
    writeFileSync(`${dir}/precious.txt`, 'keep me\n');
    await expect(new DemoStack().start({ dir, scripts: resolveDemoScripts(SRC_DEMO) })).rejects.toThrow(/not empty/);
    expect(readFileSync(`${dir}/precious.txt`, 'utf8')).toBe('keep me\n');
  });

  it('kill -9 of the process that owns a stack: its children exit by themselves within a few seconds', async () => {
    // A small program that starts a stack and waits: bundled from a temporary entry with esbuild.
    const entry = tmp.join('owner.ts');
    const stackModule = fileURLToPath(new URL('../../src/demo/stack.ts', import.meta.url));
    writeFileSync(
      entry,
      `import { DemoStack, resolveDemoScripts } from ${JSON.stringify(stackModule)};
const stack = new DemoStack();
await stack.start({ dir: process.argv[2]!, scripts: resolveDemoScripts(${JSON.stringify(SRC_DEMO)}) });
process.stdout.write('READY ' + JSON.stringify({ pids: stack.startedPids, port: stack.apiPort }) + '\\n');
setInterval(() => {}, 60_000);
`,
    );
    const bundle = tmp.join('owner.mjs');
    await build({ entryPoints: [entry], outfile: bundle, bundle: true, platform: 'node', format: 'esm', target: 'node22', logLevel: 'error' });
    const owner = spawn(process.execPath, [bundle, tmp.join('owned')], { stdio: ['ignore', 'pipe', 'pipe'] });
    trackPid(owner.pid!, 'demo owner');
    let out = '';
    let err = '';
    owner.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    owner.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    const ready = await waitFor(() => /READY (.*)\n/.exec(out)?.[1], { timeoutMs: 30_000, what: 'the owner to start its stack', detail: () => err });
    const { pids, port } = JSON.parse(ready) as { pids: number[]; port: number };
    for (const p of pids) trackPid(p, 'owned demo process');
    expect(pids).toHaveLength(2);
    expect(pids.every(isAlive)).toBe(true);
    expect(await canConnect(port)).toBe(true);

    process.kill(owner.pid!, 'SIGKILL');
    await waitFor(() => !isAlive(owner.pid!), { timeoutMs: 10_000, what: 'the owner to die' });
    untrackPid(owner.pid!);
    // They check their parent every 0.5 s; "a few seconds" is 10 at most here, for a busy machine
    // (the wait's own timeout is the bound).
    await waitFor(() => pids.every((p) => !isAlive(p)), { timeoutMs: 10_000, what: 'the orphaned demo processes to exit' });
    for (const p of pids) untrackPid(p);
    // /proc shows the main thread as a zombie while the process's other threads are still exiting,
    // and the listening socket closes with the last of them: on a loaded machine that can be after
    // the check above. So the port is waited for too, within the same few seconds.
    await waitFor(async () => !(await canConnect(port)), { timeoutMs: 10_000, what: 'the orphaned API to stop listening' });
    expect(readFileSync(tmp.join('owned', 'logs', 'shop-api.log'), 'utf8')).toMatch(/parent process \d+ is gone: exiting/);
  });
});

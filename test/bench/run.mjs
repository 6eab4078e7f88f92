// `npm run bench`: figures, not pass/fail. Each figure is the median of several runs.
// Only loopback and local processes; everything started here is stopped by pid.
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin', 'hubops');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
const row = (figure, how, value, target) => rows.push({ figure, how, value, target });

const START_RUNS = 11;
const errorText = (err) => `error: ${String(err?.message ?? err).split('\n')[0]}`;
// BENCH_ONLY=version,start,engines,ingest,keys,idle runs only those parts (for working on a figure).
const only = (part) => !process.env.BENCH_ONLY || process.env.BENCH_ONLY.split(',').includes(part);

// 1. `hubops --version`: the whole process, 10 runs.
if (only('version')) try {
  const times = [];
  for (let i = 0; i < 10; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [bin, '--version']);
    if (r.status !== 0) throw new Error(`hubops --version exited ${r.status}: ${String(r.stderr).trim()}`);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  row('hubops --version wall time', 'whole process, 10 runs', `${median(times).toFixed(0)} ms`, '<= 150 ms');
} catch (err) {
  row('hubops --version wall time', 'whole process, 10 runs', errorText(err), '<= 150 ms');
}

// 2. Console start to first full frame, in a real terminal (tmux), 11 runs. The tmux server is
// started first (its own start-up is not hubops's); each run opens a new session running hubops.
if (only('start')) try {
  const dir = mkdtempSync(join(tmpdir(), 'hubops-bench-'));
  writeFileSync(join(dir, 'hubops.yaml'), 'project: bench\nenvironments:\n  local:\n    target: local\n');
  const sock = join(dir, 'tmux.sock');
  const tmux = (...args) => spawnSync('tmux', ['-S', sock, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  const times = [];
  // The floor of this harness: a Node program that prints one line, measured the same way.
  const floor = [];
  /** Time from t0 until the session's screen satisfies `shows` (NaN after 10 s). */
  const waitFor = (session, shows, t0) => {
    while (performance.now() - t0 < 10_000) {
      if (shows(tmux('capture-pane', '-p', '-t', session).stdout)) return performance.now() - t0;
      execFileSync('sleep', ['0.005']);
    }
    return NaN;
  };
  try {
    tmux('new-session', '-d', '-x', '80', '-y', '24', '-s', 'idle', 'sleep', '600');
    /** Waits until the session has ended (its program gone), so that no exit overlaps the next run. */
    const gone = (session) => {
      const t = performance.now();
      while (tmux('has-session', '-t', session).status === 0 && performance.now() - t < 5_000) execFileSync('sleep', ['0.02']);
    };
    // The floor and hubops in turn, so that both see the same machine.
    for (let i = 0; i < START_RUNS; i++) {
      let t0 = performance.now();
      tmux('new-session', '-d', '-x', '80', '-y', '24', '-s', `h${i}`, process.execPath, '-e', "console.log('hello-' + 'ready'); setTimeout(() => {}, 60_000)");
      floor.push(waitFor(`h${i}`, (screen) => screen.includes('hello-ready'), t0));
      tmux('kill-session', '-t', `h${i}`);
      gone(`h${i}`);
      t0 = performance.now();
      tmux('new-session', '-d', '-x', '80', '-y', '24', '-c', dir, '-e', 'HUBOPS_CONFIG=', '-s', `b${i}`, process.execPath, bin);
      times.push(waitFor(`b${i}`, (screen) => screen.includes('4 Metrics') && screen.includes('? help'), t0));
      tmux('send-keys', '-t', `b${i}`, 'q');
      gone(`b${i}`);
    }
  } finally {
    tmux('kill-server');
    rmSync(dir, { recursive: true, force: true });
  }
  row(
    'console start to first full frame',
    `tmux 80x24 (server already up), median of ${START_RUNS} (the first: ${times[0].toFixed(0)} ms${process.env.NODE_DISABLE_COMPILE_CACHE ? ', compile cache off' : ''}); a Node program printing one line, measured the same way: ${median(floor).toFixed(0)} ms`,
    `${median(times).toFixed(0)} ms`,
    '<= 400 ms',
  );
} catch (err) {
  row('console start to first full frame', `tmux 80x24, ${START_RUNS} runs`, errorText(err), '<= 400 ms');
}

// 3. Pure engines, bundled from source for the measurement.
if (only('engines')) try {
  const { build } = await import('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'hubops-bench-mod-'));
  try {
    const entries = { watch: join(root, 'src/release/watch/bench.ts'), chart: join(root, 'src/metrics/chart.ts') };
    await build({ entryPoints: entries, outdir: dir, bundle: true, platform: 'node', format: 'esm', outExtension: { '.js': '.mjs' }, logLevel: 'warning' });
    const { benchWatch } = await import(join(dir, 'watch.mjs'));
    const { benchChart } = await import(join(dir, 'chart.mjs'));
    const w = [];
    for (let i = 0; i < 5; i++) w.push(benchWatch());
    row('watch engine', 'replay of a 10,000-sample window, median of 5', `${median(w).toFixed(1)} ms`, '<= 50 ms');
    row('braille chart 80x8, 120 points', 'mean of 500 renders', `${benchChart().toFixed(3)} ms`, 'fits a 50 ms frame');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} catch (err) {
  row('watch engine / braille chart', 'bundled from source', errorText(err), '');
}

// 4. Live figures (test/bench/live.ts, bundled with the fixtures it uses): log flood ingest on a
// private dockerd against raw `docker logs -f`, key → screen latency and RSS during the flood, and
// idle cost against gtop. Progress goes to stderr; every row reports `error: …` rather than throw.
if (only('ingest') || only('keys') || only('idle')) try {
  const { build } = await import('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'hubops-bench-live-'));
  try {
    await build({ entryPoints: { live: join(root, 'test/bench/live.ts') }, outdir: dir, bundle: true, platform: 'node', format: 'esm', outExtension: { '.js': '.mjs' }, logLevel: 'warning' });
    const { benchLive } = await import(join(dir, 'live.mjs'));
    await benchLive({ root, row, log: (m) => process.stderr.write(`bench: ${m}\n`) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} catch (err) {
  row('live figures (log flood, keys, RSS, idle)', 'test/bench/live.ts', errorText(err), '');
}

console.log(`hubops bench on ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}\n`);
console.log('| figure | how | value | target |\n|---|---|---|---|');
for (const r of rows) console.log(`| ${r.figure} | ${r.how} | ${r.value} | ${r.target} |`);

// Live figures for `npm run bench` (bundled by run.mjs with esbuild at bench time):
//
//   1. log flood ingest: a busybox container on a private dockerd writes as fast as it can; hubops
//      (in tmux, 120x40) and a raw `docker logs -f` follow it side by side in the same run;
//   2. key → screen latency while a flood runs (Tab moves the focus: the double border moves);
//   3. hubops's peak RSS during the floods;
//   4. idle cost: hubops with 4 live panes next to gtop, both in tmux, the same 60 s.
//
// Figures only, never pass/fail. Only loopback; every process started here is stopped by pid
// (the fixtures' stop()/kill(), and our own children by pid).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startDockerd, dockerCli, type Dockerd } from '../fixtures/dockerd.js';
import { startMetricsService, type MetricsService } from '../fixtures/metrics-service.js';
import { sleep, stopPid, tempDir, trackPid, untrackPid, type TempDir } from '../fixtures/procs.js';
import { startTmux, type TmuxSession } from '../fixtures/tmux.js';

export type RowFn = (figure: string, how: string, value: string, target: string) => void;

export interface LiveOptions {
  /** The repository root (bin/hubops, node_modules/.bin/gtop). */
  root: string;
  row: RowFn;
  /** Progress lines (stderr), so a long bench shows where it is. */
  log?: (msg: string) => void;
}

const COLS = 120;
const ROWS = 40;
/** Lines per ingest round. */
const FLOOD_LINES = 300_000;
const INGEST_ROUNDS = Number(process.env.BENCH_ROUNDS) || 5;
/** Rounds against `docker logs -f --timestamps`. */
const TS_ROUNDS = Number(process.env.BENCH_ROUNDS) || 3;
const KEY_PRESSES = 150;
/** A press not seen by then counts as this long. */
const KEY_TIMEOUT_MS = 5_000;
const IDLE_MS = 60_000;

// For working on a figure (not for the table): BENCH_ONLY=ingest,keys,idle runs only those parts;
// BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" starts hubops under those Node flags.
const only = (part: string) => !process.env.BENCH_ONLY || process.env.BENCH_ONLY.split(',').includes(part);
const hubopsArgv = (root: string) => [process.execPath, ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []), path.join(root, 'bin', 'hubops')];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)]!;
};
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const fmtInt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const fmtMB = (kb: number) => (Number.isFinite(kb) ? `${(kb / 1024).toFixed(0)} MB` : 'n/a');
const errText = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 160);

// ---------------------------------------------------------------------------------------------
// /proc

/** VmRSS in kB, NaN if the process is gone. */
function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

/** utime, stime, cutime, cstime (clock ticks) of pid, null if gone. */
function cpuTicks(pid: number): { self: number; reaped: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // After the comm: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
    return { self: Number(f[11]) + Number(f[12]), reaped: Number(f[13]) + Number(f[14]) };
  } catch {
    return null;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function descendants(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const c of childrenOf(queue.shift()!)) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** CPU ticks of the process alone, and of its tree (live descendants + children it reaped). */
function treeTicks(pid: number): { self: number; tree: number } | null {
  const own = cpuTicks(pid);
  if (!own) return null;
  let tree = own.self + own.reaped;
  for (const d of descendants(pid)) tree += cpuTicks(d)?.self ?? 0;
  return { self: own.self, tree };
}

let clkTck = 100;
try {
  const out = readFileSync('/proc/self/auxv'); // AT_CLKTCK = 17 (64-bit entries)
  for (let i = 0; i + 16 <= out.length; i += 16) {
    if (Number(out.readBigUInt64LE(i)) === 17) clkTck = Number(out.readBigUInt64LE(i + 8)) || 100;
  }
} catch {
  // keep 100, Linux's USER_HZ everywhere we run
}

/** The program the pane runs: the pane's process, or its child if the pane runs a shell. */
async function appPid(s: TmuxSession): Promise<number> {
  const pane = await s.panePid();
  let comm = '';
  try {
    comm = readFileSync(`/proc/${pane}/comm`, 'utf8').trim();
  } catch {
    // gone
  }
  if (comm === 'sh' || comm === 'bash') return childrenOf(pane)[0] ?? pane;
  return pane;
}

/** Samples VmRSS of pid every intervalMs; stop() returns the peak (kB). */
function rssSampler(pid: number, intervalMs = 100) {
  let peak = NaN;
  const samples: number[] = [];
  const take = () => {
    const v = rssKb(pid);
    if (Number.isFinite(v)) {
      samples.push(v);
      if (!(v <= peak)) peak = v;
    }
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { peak, samples };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A tmux control-mode client: one long-lived `tmux -C attach`, so send-keys and capture-pane are
// a round trip on a pipe instead of a process start each (sub-millisecond, and steady under load).

class TmuxControl {
  private readonly child: ChildProcess;
  private carry = '';
  private block: string[] | null = null;
  private blockOurs = false;
  private readonly pending: Array<{ resolve: (lines: string[]) => void; reject: (e: Error) => void }> = [];
  private closed = false;

  constructor(
    socket: string,
    private readonly target: string,
  ) {
    this.child = spawn('tmux', ['-S', socket, '-f', '/dev/null', '-u', '-C', 'attach-session', '-t', target.split(':')[0]!], {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { ...process.env, LANG: process.env.LANG ?? 'C.UTF-8' },
    });
    if (this.child.pid) trackPid(this.child.pid, 'tmux control client');
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (s: string) => this.onData(s));
    this.child.stdin!.on('error', () => {});
    this.child.on('close', () => {
      this.closed = true;
      for (const p of this.pending.splice(0)) p.reject(new Error('tmux control client exited'));
    });
    // Pane output notifications would be megabytes during a flood: we only want command replies.
    void this.cmd('refresh-client -f no-output').catch(() => {});
  }

  private onData(s: string): void {
    const lines = (this.carry + s).split('\n');
    this.carry = lines.pop()!;
    for (const line of lines) {
      if (this.block === null) {
        const m = /^%begin \d+ \d+ (\d+)/.exec(line);
        if (m) {
          this.block = [];
          this.blockOurs = m[1] === '1';
        }
        continue;
      }
      const end = /^%(end|error) \d+ \d+ \d+/.exec(line);
      if (end) {
        const out = this.block;
        this.block = null;
        if (this.blockOurs) {
          const p = this.pending.shift();
          if (end[1] === 'error') p?.reject(new Error(`tmux: ${out.join(' ')}`));
          else p?.resolve(out);
        }
        continue;
      }
      this.block.push(line);
    }
  }

  cmd(command: string): Promise<string[]> {
    if (this.closed) return Promise.reject(new Error('tmux control client exited'));
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.child.stdin!.write(command + '\n');
    });
  }

  capture(): Promise<string[]> {
    return this.cmd(`capture-pane -p -t ${this.target}`);
  }

  sendKey(key: string): Promise<string[]> {
    return this.cmd(`send-keys -t ${this.target} ${key}`);
  }

  async close(): Promise<void> {
    const pid = this.child.pid;
    this.child.stdin!.end();
    if (pid !== undefined) {
      const exited = new Promise((r) => (this.closed ? r(null) : this.child.once('close', r)));
      await Promise.race([exited, sleep(2_000)]);
      await stopPid(pid, { graceMs: 1_000 });
      untrackPid(pid);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Reading the console's screen

/** The logs pane's title: from "2 Logs" to the pane's right border on that row. */
function logsTitle(screen: string[]): string | null {
  for (const line of screen) {
    const i = line.indexOf('2 Logs');
    if (i < 0) continue;
    const rest = line.slice(i);
    const end = rest.search(/[│║]/);
    return end < 0 ? rest : rest.slice(0, end);
  }
  return null;
}

const num = (s: string) => Number(s.replace(/,/g, ''));

/** "<N> lines" and "<N> dropped" from the logs pane's title (null when not shown). */
function logCounts(screen: string[]): { lines: number | null; dropped: number | null } {
  const title = logsTitle(screen) ?? '';
  const l = /(\d[\d,]*) lines/.exec(title);
  const d = /(\d[\d,]*) dropped/.exec(title);
  return { lines: l ? num(l[1]!) : null, dropped: d ? num(d[1]!) : null };
}

/** Index (1-4) of the focused pane: its title row starts with the double border. */
function focusedPane(screen: string[]): number | null {
  for (const line of screen) {
    const m = /║ ([1-4]) [A-Z]/.exec(line);
    if (m) return Number(m[1]);
  }
  return null;
}

async function waitScreen(ctl: TmuxControl, pred: (s: string[]) => boolean, what: string, timeoutMs: number): Promise<string[]> {
  const end = performance.now() + timeoutMs;
  let last: string[] = [];
  while (performance.now() < end) {
    last = await ctl.capture();
    if (pred(last)) return last;
    await sleep(20);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last screen: ${last.slice(0, 4).join(' / ').slice(0, 200)}`);
}

// ---------------------------------------------------------------------------------------------
// Processes of our own

/** `docker logs [-f] name` counting newlines; `at(n)` resolves when n lines have arrived. */
function dockerLogsCounter(d: Dockerd, name: string, follow: boolean, extra: string[] = []) {
  const child = spawn(dockerCli(), ['logs', ...(follow ? ['-f'] : []), ...extra, name], { env: d.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid !== undefined) trackPid(pid, 'docker logs');
  let lines = 0;
  const waiters: Array<{ n: number; resolve: (t: number) => void }> = [];
  const onChunk = (b: Buffer) => {
    let k = 0;
    for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) k++;
    if (k === 0) return;
    lines += k;
    const now = performance.now();
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (lines >= waiters[i]!.n) waiters.splice(i, 1)[0]!.resolve(now);
    }
  };
  // The container writes to stdout only; count stderr too so a line is never missed.
  child.stdout!.on('data', onChunk);
  child.stderr!.on('data', onChunk);
  const closed = new Promise<void>((r) => child.on('close', () => r()));
  return {
    get lines() {
      return lines;
    },
    closed,
    /** Resolves with the time the n-th line arrived. */
    at(n: number): Promise<number> {
      if (lines >= n) return Promise.resolve(performance.now());
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    async stop() {
      if (pid !== undefined) {
        await stopPid(pid, { graceMs: 2_000 });
        untrackPid(pid);
      }
    },
  };
}

function timeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

interface Console {
  tmux: TmuxSession;
  ctl: TmuxControl;
  pid: number;
  stop(): Promise<void>;
}

/** `bin/hubops --config cfg` (or any argv) in tmux at 120x40, with a control client on it. */
async function openInTmux(command: string[], cwd: string, env: Record<string, string> = {}): Promise<Console> {
  const tmux = await startTmux({ command, cols: COLS, rows: ROWS, cwd, env });
  let ctl: TmuxControl | null = null;
  try {
    ctl = new TmuxControl(tmux.socket, tmux.target);
    const pid = await appPid(tmux);
    const c = ctl;
    return {
      tmux,
      ctl: c,
      pid,
      async stop() {
        await c.close().catch(() => {});
        await tmux.kill();
      },
    };
  } catch (e) {
    await ctl?.close().catch(() => {});
    await tmux.kill();
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// 1–3. Log flood

const PAD = 'GET /api/v1/orders/12345 200 3.2ms user=alice trace=0af7651916cd43dd8448eb211c80319c';

/**
 * A gated writer: prints "flood-ready", waits for /gate/go, floods, prints "flood-done", then stays
 * up (an exit would add hubops's own "[hubops] container … exited" notice to the pane's count).
 */
function floodScript(lines: number | 'forever' | 'steady'): string {
  const loop =
    lines === 'forever'
      ? `awk 'BEGIN { for (i = 0; ; i++) print "line " i " ${PAD}" }'`
      : lines === 'steady'
        ? // A busy service rather than a flat-out writer: 200 lines every 100 ms (~2,000 lines/s).
          `i=0; while true; do awk -v s=$i 'BEGIN { for (j = s; j < s + 200; j++) print "line " j " ${PAD}" }'; i=$((i+200)); usleep 100000; done`
        : `awk 'BEGIN { for (i = 0; i < ${lines}; i++) print "line " i " ${PAD}" }'`;
  return `echo flood-ready; while [ ! -e /gate/go ]; do sleep 0.05; done; ${loop}; echo flood-done; exec sleep 3600`;
}

interface IngestRound {
  written: number;
  hubopsMs: number;
  rawMs: number;
  hubopsCount: number | null;
  dropped: number | null;
  /** How hubops's end was seen: its title count, or the last line on screen. */
  by: 'count' | 'last line';
  writerMs: number;
  rssPeakKb: number;
  /** hubops's CPU (% of one core) from the writer's start to its last line. */
  cpuPct: number;
}

async function floodConsole(d: Dockerd, dir: TempDir, root: string, name: string, env: Record<string, string> = {}): Promise<Console> {
  const cfg = dir.join(`${name}.yaml`);
  await writeFile(
    cfg,
    [
      'project: bench',
      'environments:',
      '  local:',
      '    target: local',
      `    docker: { socket: "${d.socket}" }`,
      '    logs:',
      `      - { name: flood, container: ${name} }`,
      '',
    ].join('\n'),
  );
  return openInTmux([...hubopsArgv(root), '--config', cfg], dir.path, { HUBOPS_CONFIG: '', ...env });
}

/** What hubops wrote to HUBOPS_FRAME_STATS when it exited (Ink's cost per frame). */
interface FrameStats {
  frames: number;
  p50: number;
  p99: number;
  max: number;
}
function readFrameStats(file: string): FrameStats | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as FrameStats;
  } catch {
    return null;
  }
}

let gates = 0;

async function startGatedFlood(d: Dockerd, dir: TempDir, name: string, lines: number | 'forever' | 'steady', extra: string[] = []) {
  const gate = dir.join(`gate-${name}-${++gates}`);
  await mkdir(gate, { recursive: true });
  await d.runContainer(name, ['sh', '-c', floodScript(lines)], { extraArgs: ['-v', `${gate}:/gate`, ...extra] });
  return { go: () => writeFile(path.join(gate, 'go'), '') };
}

async function ingestRound(d: Dockerd, dir: TempDir, root: string, k: number | string, rawArgs: string[] = []): Promise<IngestRound> {
  const name = `flood-${k}`;
  const expected = FLOOD_LINES + 2; // flood-ready, the flood, flood-done
  const flood = await startGatedFlood(d, dir, name, FLOOD_LINES);
  const con = await floodConsole(d, dir, root, name);
  let raw: ReturnType<typeof dockerLogsCounter> | null = null;
  try {
    await waitScreen(con.ctl, (s) => s.some((l) => l.includes('flood-ready')), 'hubops to show flood-ready', 20_000);
    raw = dockerLogsCounter(d, name, true, rawArgs);
    await timeout(raw.at(1), 10_000, 'docker logs -f to print flood-ready');
    const rss = rssSampler(con.pid);
    const rawDone = raw.at(expected);
    const ticks0 = cpuTicks(con.pid);
    const t0 = performance.now();
    const wall0 = Date.now();
    await flood.go();
    // hubops is done when its title counts every line, or (no count in the title yet) when the
    // last line is on screen.
    let hubopsAt = NaN;
    let counts: { lines: number | null; dropped: number | null } = { lines: null, dropped: null };
    let by: IngestRound['by'] = 'last line';
    const deadline = t0 + 90_000;
    while (performance.now() < deadline) {
      const screen = await con.ctl.capture();
      const now = performance.now();
      counts = logCounts(screen);
      // The last line on screen ends it too, so that a short count is reported, not waited for.
      const full = counts.lines !== null && counts.lines >= expected;
      if (full || screen.some((l) => l.includes('flood-done'))) {
        hubopsAt = now;
        by = full ? 'count' : 'last line';
        break;
      }
      await sleep(10);
    }
    if (Number.isNaN(hubopsAt)) {
      throw new Error(`hubops did not show all ${fmtInt(expected)} lines within 90 s (title: ${counts.lines === null ? 'no count' : fmtInt(counts.lines)})`);
    }
    const ticks1 = cpuTicks(con.pid);
    const cpuPct = ticks0 && ticks1 ? ((ticks1.self - ticks0.self) / clkTck / ((hubopsAt - t0) / 1000)) * 100 : NaN;
    // Let a late count settle (a count that went past `expected` would be a duplicate).
    await sleep(300);
    const settled = logCounts(await con.ctl.capture());
    const rssPeak = rss.stop().peak;
    const rawAt = await timeout(rawDone, 60_000, 'docker logs -f to reach the last line');
    const written = dockerLogsCounter(d, name, false);
    await timeout(written.closed, 60_000, 'docker logs to finish');
    // When the daemon took in the writer's last line (flood-done): its log timestamp.
    const last = await d.docker(['logs', '--timestamps', '--tail', '1', name]);
    const finished = Date.parse(last.stdout.trim().split(' ')[0] ?? '');
    return {
      written: written.lines,
      hubopsMs: hubopsAt - t0,
      rawMs: rawAt - t0,
      hubopsCount: settled.lines ?? counts.lines,
      dropped: settled.dropped ?? counts.dropped,
      by,
      writerMs: Number.isFinite(finished) ? finished - wall0 : NaN,
      rssPeakKb: rssPeak,
      cpuPct,
    };
  } finally {
    await raw?.stop();
    await con.stop();
    await d.docker(['rm', '-f', name], { timeoutMs: 20_000 }).catch(() => null);
  }
}

interface LatencyRound {
  samples: number[];
  misses: number;
  noopMs: number;
  rssPeakKb: number;
  frames: FrameStats | null;
  cpuPct: number;
  /** Share of the round hubops's main thread spent runnable but waiting for a CPU (/proc/<pid>/schedstat). */
  waitPct: number;
}

/** Run time and run-queue wait (ns) of a process's main thread. */
function schedstat(pid: number): { run: number; wait: number } | null {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return { run: run!, wait: wait! };
  } catch {
    return null;
  }
}

async function latencyRound(d: Dockerd, dir: TempDir, root: string, kind: 'forever' | 'steady'): Promise<LatencyRound> {
  const name = `flood-keys-${kind}`;
  // Endless flood; rotate the log so the file stays small however fast the writer is.
  const flood = await startGatedFlood(d, dir, name, kind, ['--log-opt', 'max-size=50m', '--log-opt', 'max-file=2']);
  const statsFile = dir.join(`frames-${name}.json`);
  const con = await floodConsole(d, dir, root, name, { HUBOPS_FRAME_STATS: statsFile });
  let result: Omit<LatencyRound, 'frames'> | undefined;
  try {
    await waitScreen(con.ctl, (s) => s.some((l) => l.includes('flood-ready')), 'hubops to show flood-ready', 20_000);
    await flood.go();
    const rss = rssSampler(con.pid);
    // Let the flood reach full speed.
    await waitScreen(con.ctl, (s) => s.some((l) => (kind === 'forever' ? /line \d{5,} / : /line \d{4,} /).test(l)), 'the flood on screen', 20_000);
    await sleep(1_000);
    // The cost of a capture that sees nothing new (a round trip on the control pipe).
    const noop: number[] = [];
    for (let i = 0; i < 40; i++) {
      const t = performance.now();
      await con.ctl.capture();
      noop.push(performance.now() - t);
    }
    const noopMs = median(noop);
    const ticks0 = cpuTicks(con.pid);
    const sched0 = schedstat(con.pid);
    const t0All = performance.now();
    const first = focusedPane(await con.ctl.capture());
    if (first === null) throw new Error('no focused pane (double border) on screen');
    let focus: number = first;
    const samples: number[] = [];
    let misses = 0;
    for (let i = 0; i < KEY_PRESSES; i++) {
      const want: number = (focus % 4) + 1;
      const t0 = performance.now();
      void con.ctl.sendKey('Tab').catch(() => {});
      let seen = NaN;
      while (performance.now() - t0 < KEY_TIMEOUT_MS) {
        const screen = await con.ctl.capture();
        const f = focusedPane(screen);
        if (f === want) {
          seen = performance.now();
          break;
        }
        // ~1 ms between polls: back-to-back captures (6,000/s) take a core from a 2-core machine
        // and inflated p99 several-fold in trials; this keeps a ~1 ms resolution.
        await sleep(1);
      }
      if (Number.isNaN(seen)) {
        // Counted at the timeout (a lower bound); resynchronise on whatever is focused now.
        misses++;
        samples.push(KEY_TIMEOUT_MS);
        focus = focusedPane(await con.ctl.capture()) ?? want;
      } else {
        samples.push(Math.max(0, seen - t0 - noopMs));
        focus = want;
      }
      // Not in step with the console's frame timer.
      await sleep(20 + Math.random() * 80);
    }
    if (process.env.BENCH_DEBUG) process.stderr.write(`key samples (ms, in order): ${samples.map((x) => x.toFixed(0)).join(' ')}\n`);
    const ticks1 = cpuTicks(con.pid);
    const sched1 = schedstat(con.pid);
    const wallMs = performance.now() - t0All;
    const cpuPct = ticks0 && ticks1 ? ((ticks1.self - ticks0.self) / clkTck / (wallMs / 1000)) * 100 : NaN;
    const waitPct = sched0 && sched1 ? ((sched1.wait - sched0.wait) / 1e6 / wallMs) * 100 : NaN;
    result = { samples, misses, noopMs, rssPeakKb: rss.stop().peak, cpuPct, waitPct };
  } finally {
    await con.stop();
    await d.docker(['rm', '-f', name], { timeoutMs: 20_000 }).catch(() => null);
  }
  const frames = readFrameStats(statsFile);
  if (process.env.BENCH_DEBUG) process.stderr.write(`frame stats (${kind}): ${JSON.stringify(frames)}\n`);
  return { ...result!, frames };
}

async function benchFlood(root: string, row: RowFn, log: (m: string) => void): Promise<void> {
  const FIG_INGEST = 'log flood ingest: hubops vs raw `docker logs -f`';
  const FIG_COUNT = 'log flood: lines counted by hubops';
  const FIG_KEYS = 'key → screen latency during a flood';
  const FIG_KEYS_STEADY = 'key → screen latency, busy log (~2,000 lines/s)';
  const FIG_RSS = 'hubops RSS during a flood (peak)';
  let d: Dockerd | null = null;
  const dir = tempDir('hob-');
  const rssPeaks: number[] = [];
  try {
    log('flood: starting a private dockerd');
    d = await startDockerd();
    await d.importBusybox();
    // 1. Ingest, INGEST_ROUNDS rounds.
    const rounds: IngestRound[] = [];
    let ingestErr: string | null = null;
    for (let k = 1; k <= (only('ingest') ? INGEST_ROUNDS : 0); k++) {
      log(`flood: ingest round ${k}/${INGEST_ROUNDS}`);
      try {
        const r = await ingestRound(d, dir, root, k);
        rounds.push(r);
        rssPeaks.push(r.rssPeakKb);
        log(`  hubops ${r.hubopsMs.toFixed(0)} ms (by ${r.by}, ${r.cpuPct.toFixed(0)}% CPU), raw ${r.rawMs.toFixed(0)} ms, writer ${r.writerMs.toFixed(0)} ms, written ${r.written}, hubops count ${r.hubopsCount}, dropped ${r.dropped}, rss ${fmtMB(r.rssPeakKb)}`);
      } catch (e) {
        ingestErr = errText(e);
        log(`  error: ${ingestErr}`);
      }
    }
    if (!only('ingest')) {
      // not asked for (BENCH_ONLY)
    } else if (rounds.length === 0) {
      row(FIG_INGEST, '', `error: ${ingestErr}`, '>= 80% of raw');
      row(FIG_COUNT, '', `error: ${ingestErr}`, 'exact');
    } else {
      const hub = median(rounds.map((r) => r.written / (r.hubopsMs / 1000)));
      const raw = median(rounds.map((r) => r.written / (r.rawMs / 1000)));
      const ratio = median(rounds.map((r) => r.rawMs / r.hubopsMs));
      const writer = median(rounds.map((r) => r.written / (r.writerMs / 1000)));
      const byLast = rounds.some((r) => r.by === 'last line');
      row(
        FIG_INGEST,
        `busybox awk writes ${fmtInt(FLOOD_LINES)} lines of ~110 B as fast as it can (the writer itself: ${fmtInt(writer)} lines/s); hubops (tmux 120x40, logs pane on the container) and \`docker logs -f\` follow it at once; time from the writer's start to ${byLast ? 'the last line on hubops\'s screen (no count in the title)' : 'hubops\'s title counting every line'} / the raw reader's last line; median of ${rounds.length} rounds${ingestErr ? ` (a round failed: ${ingestErr})` : ''}`,
        `hubops ${fmtInt(hub)} lines/s · raw ${fmtInt(raw)} lines/s · ${(ratio * 100).toFixed(0)}% of raw (rounds: ${rounds.map((r) => `${((r.rawMs / r.hubopsMs) * 100).toFixed(0)}%`).join(', ')}; hubops used ${median(rounds.map((r) => r.cpuPct)).toFixed(0)}% of a core)`,
        '>= 80% of raw',
      );
      // The same flood against the request hubops makes: with timestamps (what resuming after a
      // dropped link without loss or duplicates needs); dockerd formats one per line.
      const ts: IngestRound[] = [];
      for (let k = 1; k <= TS_ROUNDS; k++) {
        log(`flood: ingest round ${k}/${TS_ROUNDS} against docker logs -f --timestamps`);
        try {
          const r = await ingestRound(d, dir, root, `ts-${k}`, ['--timestamps']);
          ts.push(r);
          rssPeaks.push(r.rssPeakKb);
          log(`  hubops ${r.hubopsMs.toFixed(0)} ms, raw --timestamps ${r.rawMs.toFixed(0)} ms`);
        } catch (e) {
          log(`  error: ${errText(e)}`);
        }
      }
      if (ts.length > 0) {
        row(
          'log flood ingest: hubops vs `docker logs -f --timestamps`',
          `as above, ${ts.length} rounds, the raw reader asking for timestamps as hubops does`,
          `hubops ${fmtInt(median(ts.map((r) => r.written / (r.hubopsMs / 1000))))} lines/s · raw ${fmtInt(median(ts.map((r) => r.written / (r.rawMs / 1000))))} lines/s · ${(median(ts.map((r) => r.rawMs / r.hubopsMs)) * 100).toFixed(0)}% of raw`,
          '—',
        );
      }
      const counted = rounds.filter((r) => r.hubopsCount !== null);
      const exact = counted.filter((r) => r.hubopsCount === r.written && !r.dropped).length;
      const drops = rounds.map((r) => r.dropped ?? 0);
      let value: string;
      const dropText = Math.max(...drops) > 0 ? drops.map((n) => (n > 0 ? fmtInt(n) : 'none')).join(', ') : 'none shown';
      if (counted.length === 0) value = `n/a: no "<N> lines" in the logs pane's title (written: ${fmtInt(median(rounds.map((r) => r.written)))} per round); dropped: ${dropText}`;
      else {
        const worst = counted.reduce((a, r) => (Math.abs(r.hubopsCount! - r.written) > Math.abs(a.hubopsCount! - a.written) ? r : a));
        // Every line is either shown or counted as dropped: that is the accounting that must hold.
        const accounted = counted.filter((r) => r.hubopsCount! + (r.dropped ?? 0) === r.written).length;
        value =
          `exact (no drop) in ${exact} of ${counted.length} rounds; shown + dropped = written in ${accounted} of ${counted.length}` +
          `${exact === counted.length ? '' : ` (worst: ${fmtInt(worst.hubopsCount!)} shown of ${fmtInt(worst.written)})`}; dropped per round: ${dropText}`;
      }
      row(FIG_COUNT, 'the title\'s "<N> lines" (and "<N> dropped") against the lines `docker logs <c>` prints (= wc -l), every round', value, 'exact');
    }
    // 2. Keys during a flood.
    if (only('keys')) {
      for (const kind of ['forever', 'steady'] as const) {
        const fig = kind === 'forever' ? FIG_KEYS : FIG_KEYS_STEADY;
        try {
          log(`flood: key latency (${kind === 'forever' ? 'flat-out writer' : 'steady ~2,000 lines/s'})`);
          const lat = await latencyRound(d, dir, root, kind);
          rssPeaks.push(lat.rssPeakKb);
          row(
            fig,
            `Tab ×${KEY_PRESSES} while ${kind === 'forever' ? 'an endless flat-out flood' : 'a steady 200 lines every 100 ms'} runs; send-keys → first capture-pane with the double border on the next pane, polled every ~1 ms over a tmux control-mode client, minus a no-op capture (${lat.noopMs.toFixed(2)} ms)${lat.misses ? `; ${lat.misses} presses not seen within ${KEY_TIMEOUT_MS / 1000} s, counted as ${KEY_TIMEOUT_MS / 1000} s` : ''}; meanwhile hubops used ${lat.cpuPct.toFixed(0)}% of a core and its main thread waited for a CPU (run queue, /proc/<pid>/schedstat) ${lat.waitPct.toFixed(0)}% of the time${lat.frames ? `; Ink's own work per frame (layout, output, write; HUBOPS_FRAME_STATS, wall time) p50 ${lat.frames.p50.toFixed(1)} ms, p99 ${lat.frames.p99.toFixed(1)} ms over ${fmtInt(lat.frames.frames)} frames` : ''}`,
            lat.samples.length ? `p50 ${percentile(lat.samples, 50).toFixed(0)} ms · p99 ${percentile(lat.samples, 99).toFixed(0)} ms (max ${Math.max(...lat.samples).toFixed(0)} ms)` : 'error: no press seen',
            'p99 <= 50 ms',
          );
        } catch (e) {
          row(fig, '', `error: ${errText(e)}`, 'p99 <= 50 ms');
        }
      }
    }
    // 3. RSS.
    const peaks = rssPeaks.filter(Number.isFinite);
    row(
      FIG_RSS,
      `VmRSS of the hubops process every 100 ms during each flood (${peaks.length} floods); median of the peaks`,
      peaks.length ? `${fmtMB(median(peaks))} (max ${fmtMB(Math.max(...peaks))})` : 'error: no sample',
      '<= 200 MB',
    );
  } catch (e) {
    const msg = `error: ${errText(e)}`;
    row(FIG_INGEST, '', msg, '>= 80% of raw');
    row(FIG_COUNT, '', msg, 'exact');
    row(FIG_KEYS, '', msg, 'p99 <= 50 ms');
    row(FIG_KEYS_STEADY, '', msg, 'p99 <= 50 ms');
    row(FIG_RSS, '', msg, '<= 200 MB');
  } finally {
    log('flood: stopping dockerd');
    await d?.stop().catch((e) => log(`dockerd stop: ${errText(e)}`));
    await dir.remove();
  }
}

// ---------------------------------------------------------------------------------------------
// 4. Idle cost against gtop

async function benchIdle(root: string, row: RowFn, log: (m: string) => void): Promise<void> {
  const FIG = 'idle cost, 4 live panes at 2 s refresh: hubops vs gtop';
  const dir = tempDir('hoi-');
  let svc: MetricsService | null = null;
  let hub: Console | null = null;
  let gtop: Console | null = null;
  let trickle: NodeJS.Timeout | undefined;
  try {
    svc = await startMetricsService();
    const logFile = dir.join('app.log');
    await writeFile(logFile, 'bench: started\n');
    let n = 0;
    trickle = setInterval(() => void appendFile(logFile, `bench: tick ${++n}\n`).catch(() => {}), 1_000);
    const cfg = dir.join('hubops.yaml');
    await writeFile(
      cfg,
      [
        'project: bench',
        'environments:',
        '  local:',
        '    target: local',
        '    refresh: 2s',
        '    health:',
        `      - { name: api, http: "${svc.url}/health" }`,
        '    logs:',
        `      - { name: app, file: "${logFile}" }`,
        '    metrics:',
        `      scrape: "${svc.url}/metrics"`,
        `      errorRate: 'sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))'`,
        `      requestRate: 'sum(rate(http_requests_total[1m]))'`,
        `      p99: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[1m])))'`,
        '      host: true',
        '',
      ].join('\n'),
    );
    log('idle: starting hubops and gtop');
    const statsFile = dir.join('frames-idle.json');
    const hubStart = performance.now();
    hub = await openInTmux([...hubopsArgv(root), '--config', cfg], dir.path, { HUBOPS_CONFIG: '', HUBOPS_FRAME_STATS: statsFile });
    const gtopBin = path.join(root, 'node_modules', 'gtop', 'bin', 'gtop');
    let gtopErr: string | null = null;
    if (!existsSync(gtopBin)) gtopErr = 'gtop is not installed (npm install -D gtop)';
    else {
      try {
        gtop = await openInTmux([process.execPath, gtopBin], dir.path);
        await waitScreen(gtop.ctl, (s) => s.some((l) => l.includes('CPU History')), 'gtop to draw', 20_000);
      } catch (e) {
        gtopErr = `gtop cannot run here: ${errText(e)}`;
      }
    }
    await waitScreen(hub.ctl, (s) => s.some((l) => l.includes('4 Metrics')) && s.some((l) => l.includes('bench: ')), 'hubops to draw', 20_000);
    // Past start-up: first probes and scrapes done, charts drawn.
    await sleep(4_000);
    const procs = [hub, ...(gtop ? [gtop] : [])];
    const t0 = performance.now();
    const start = procs.map((c) => treeTicks(c.pid));
    const rss: number[][] = procs.map(() => []);
    while (performance.now() - t0 < IDLE_MS) {
      await sleep(1_000);
      procs.forEach((c, i) => {
        const v = rssKb(c.pid);
        if (Number.isFinite(v)) rss[i]!.push(v);
      });
    }
    const secs = (performance.now() - t0) / 1000;
    const end = procs.map((c) => treeTicks(c.pid));
    const figures = procs.map((c, i) => {
      const a = start[i];
      const b = end[i];
      if (!a || !b) return null;
      return {
        cpu: ((b.self - a.self) / clkTck / secs) * 100,
        tree: ((b.tree - a.tree) / clkTck / secs) * 100,
        rss: median(rss[i]!),
        rssPeak: Math.max(...rss[i]!),
      };
    });
    const h = figures[0];
    const g = figures[1];
    if (!h) throw new Error('hubops exited during the idle run');
    const show = (f: NonNullable<typeof h>) =>
      `CPU ${f.cpu.toFixed(1)}% (with children ${f.tree.toFixed(1)}%), RSS ${fmtMB(f.rss)} (peak ${fmtMB(f.rssPeak)})`;
    const how = `both in tmux 120x40 the same ${secs.toFixed(0)} s, after start-up; hubops: health http + file log (a line/s) + /metrics scrape + host metrics, refresh 2s; CPU % of one core = Δ(utime+stime) of the process from /proc/<pid>/stat; RSS = median of VmRSS sampled every 1 s`;
    let value = `hubops ${show(h)}`;
    if (g) {
      value += ` · gtop ${show(g)} · ratios: CPU ${((h.cpu / g.cpu) * 100).toFixed(0)}% of gtop's (with children ${((h.tree / g.tree) * 100).toFixed(0)}%), RSS ${((h.rss / g.rss) * 100).toFixed(0)}% of gtop's`;
    } else value += ` · gtop: ${gtopErr ?? 'exited during the run'}`;
    // Frames drawn over the whole run (start-up included), from HUBOPS_FRAME_STATS once hubops has exited.
    const started = performance.now();
    await hub.stop();
    const frames = readFrameStats(statsFile);
    if (process.env.BENCH_DEBUG) process.stderr.write(`frame stats (idle): ${JSON.stringify(frames)}\n`);
    if (frames) value += ` · hubops drew ${(frames.frames / ((started - hubStart) / 1000)).toFixed(1)} frames/s over its ${((started - hubStart) / 1000).toFixed(0)} s (Ink's work per frame p50 ${frames.p50.toFixed(1)} ms)`;
    row(FIG, how, value, "CPU <= 50% of gtop's, RSS <= gtop's");
  } catch (e) {
    row(FIG, '', `error: ${errText(e)}`, "CPU <= 50% of gtop's, RSS <= gtop's");
  } finally {
    clearInterval(trickle);
    await gtop?.stop().catch(() => {});
    await hub?.stop().catch(() => {});
    await svc?.stop().catch(() => {});
    await dir.remove();
  }
}

export async function benchLive(opts: LiveOptions): Promise<void> {
  const log = opts.log ?? (() => {});
  if (only('ingest') || only('keys')) await benchFlood(opts.root, opts.row, log);
  if (only('idle')) await benchIdle(opts.root, opts.row, log);
}

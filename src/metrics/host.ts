// Host metrics of the target: CPU %, memory used %, root filesystem used %, load1.
//
// Local target on Linux: /proc/stat, /proc/meminfo and /proc/loadavg read as files and statfs(2)
// for the root filesystem — no process started, nothing that blocks the event loop
// (systeminformation's currentLoad and fsSize run `cat /proc/stat | grep cpu` and `df` with
// execSync on Linux: tens of milliseconds of a frozen screen every sample). Elsewhere (a macOS
// laptop): systeminformation, loaded only then. SSH target: one `target.run` per sample that prints
// /proc/stat's first line, /proc/meminfo, /proc/loadavg and `df -kP /`, parsed by the pure
// `parseHostSnapshot`; CPU % is the busy share between two /proc/stat samples (the first sample
// reads /proc/stat twice, 250 ms apart, so there is a figure from the start).

import { readFile, statfs } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { MetricReading } from '../live/events.js';
import type { Target } from '../targets/target.js';

export interface HostFigures {
  /** Busy share of all CPUs, 0..100; null until two samples exist. */
  cpuPct: number | null;
  memPct: number | null;
  diskPct: number | null;
  load1: number | null;
}

export function hostReadings(h: HostFigures): MetricReading[] {
  return [
    { name: 'cpu', value: h.cpuPct, unit: 'percent' },
    { name: 'memory', value: h.memPct, unit: 'percent' },
    { name: 'disk', value: h.diskPct, unit: 'percent' },
    { name: 'load', value: h.load1, unit: 'load' },
  ];
}

export interface HostReader {
  read(opts?: { signal?: AbortSignal }): Promise<HostFigures>;
}

// ---------------------------------------------------------------------------------------------
// Pure parsers

/** Aggregate CPU times from a `cpu ` line of /proc/stat (jiffies). */
export interface CpuTimes {
  total: number;
  idle: number;
}

/** `cpu  user nice system idle iowait irq softirq steal guest guest_nice` → totals. */
export function parseProcStatCpu(line: string): CpuTimes | undefined {
  const m = /^cpu\s+(.*)$/.exec(line.trim());
  if (!m) return undefined;
  const f = m[1]!.trim().split(/\s+/).map(Number);
  if (f.length < 4 || f.some((n) => !Number.isFinite(n))) return undefined;
  // guest and guest_nice are already counted in user and nice.
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = f[3]! + (f[4] ?? 0);
  return { total, idle };
}

/** Busy % between two samples; null when no time passed (or the counters went back). */
export function cpuPercent(prev: CpuTimes, cur: CpuTimes): number | null {
  const dt = cur.total - prev.total;
  const di = cur.idle - prev.idle;
  if (!(dt > 0) || di < 0) return null;
  return clampPct(((dt - di) / dt) * 100);
}

/** Used % from /proc/meminfo text: (MemTotal - MemAvailable) / MemTotal. */
export function parseMeminfo(text: string): number | null {
  const kv = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)/.exec(line.trim());
    if (m) kv.set(m[1]!, Number(m[2]));
  }
  const total = kv.get('MemTotal');
  if (!total) return null;
  let available = kv.get('MemAvailable');
  if (available === undefined) {
    // Kernels before 3.14: an approximation.
    const free = kv.get('MemFree');
    if (free === undefined) return null;
    available = free + (kv.get('Buffers') ?? 0) + (kv.get('Cached') ?? 0);
  }
  return clampPct(((total - available) / total) * 100);
}

/** load1 from /proc/loadavg (`0.52 0.58 0.59 2/1234 5678`). */
export function parseLoadavg(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s/.exec(text);
  return m ? Number(m[1]) : null;
}

/**
 * Used % of the root filesystem from `df -kP /`: Used / (Used + Available), as df's Capacity
 * column computes it (without its rounding up). The filesystem name may contain spaces, so the
 * fields are read from the right.
 */
export function parseDfP(text: string): number | null {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || /^Filesystem\s/i.test(line)) continue;
    const f = line.split(/\s+/);
    if (f.length < 6) continue;
    const mount = f[f.length - 1]!;
    const used = Number(f[f.length - 4]);
    const avail = Number(f[f.length - 3]);
    if (mount !== '/' || !Number.isFinite(used) || !Number.isFinite(avail)) continue;
    if (used + avail <= 0) return null;
    return clampPct((used / (used + avail)) * 100);
  }
  return null;
}

const MARK = '@@hubops-';

/** The one command line an SSH sample runs. `twice`: read /proc/stat twice, 250 ms apart. */
export function hostCommand(twice: boolean): string {
  const stat = `echo ${MARK}stat; head -n 1 /proc/stat`;
  return [
    stat,
    ...(twice ? ['sleep 0.25', stat] : []),
    `echo ${MARK}meminfo; cat /proc/meminfo`,
    `echo ${MARK}loadavg; cat /proc/loadavg`,
    `echo ${MARK}df; df -kP / 2>&1`,
  ].join('; ');
}

export interface HostSnapshot {
  /** One entry per /proc/stat section, in order. */
  cpu: CpuTimes[];
  memPct: number | null;
  diskPct: number | null;
  load1: number | null;
}

/** Parses the output of `hostCommand()` (sections introduced by marker lines). */
export function parseHostSnapshot(text: string): HostSnapshot {
  const sections: { name: string; body: string[] }[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith(MARK)) sections.push({ name: line.slice(MARK.length).trim(), body: [] });
    else sections.at(-1)?.body.push(line);
  }
  const body = (name: string) => sections.find((s) => s.name === name)?.body.join('\n') ?? '';
  const cpu = sections
    .filter((s) => s.name === 'stat')
    .map((s) => s.body.map(parseProcStatCpu).find((c) => c !== undefined))
    .filter((c): c is CpuTimes => c !== undefined);
  return { cpu, memPct: parseMeminfo(body('meminfo')), diskPct: parseDfP(body('df')), load1: parseLoadavg(body('loadavg')) };
}

function clampPct(n: number): number {
  return Math.min(100, Math.max(0, n));
}

// ---------------------------------------------------------------------------------------------
// Readers

/** Over SSH (or any target with a Linux /proc): one `target.run` per sample. */
export class ProcHostReader implements HostReader {
  private prevCpu: CpuTimes | undefined;

  constructor(
    private readonly target: Target,
    private readonly timeoutMs = 10_000,
  ) {}

  async read(opts: { signal?: AbortSignal } = {}): Promise<HostFigures> {
    const lines: string[] = [];
    const r = await this.target.run(hostCommand(this.prevCpu === undefined), {
      timeoutMs: this.timeoutMs,
      signal: opts.signal,
      tailLines: 1,
      onLine: (line, stream) => {
        if (stream === 'stdout' && lines.length < 2000) lines.push(line);
      },
    });
    if (r.error || r.timedOut) throw new Error(`host metrics: ${r.error ?? 'timed out'}`);
    const snap = parseHostSnapshot(lines.join('\n'));
    if (snap.cpu.length === 0 && snap.memPct === null && snap.load1 === null) {
      throw new Error(`host metrics: no /proc figures from ${this.target.id} (exit ${r.code}${r.tail.at(-1) ? `: ${r.tail.at(-1)}` : ''})`);
    }
    let cpuPct: number | null = null;
    const prev = snap.cpu.length >= 2 ? snap.cpu[snap.cpu.length - 2] : this.prevCpu;
    const cur = snap.cpu.at(-1);
    if (prev && cur) cpuPct = cpuPercent(prev, cur);
    if (cur) this.prevCpu = cur;
    return { cpuPct, memPct: snap.memPct, diskPct: snap.diskPct, load1: snap.load1 };
  }
}

/** What LocalHostReader needs from systeminformation (injectable for tests). */
export interface SiLike {
  currentLoad(): Promise<{ currentLoad: number }>;
  mem(): Promise<{ total: number; available: number }>;
  fsSize(): Promise<{ mount: string; use: number | null; used: number; available: number }[]>;
}

/** On this machine, with systeminformation (not Linux). `fsSize` is cached for `fsEveryMs` (default 30 s). */
export class LocalHostReader implements HostReader {
  private fsCache: { at: number; pct: number | null } | undefined;

  constructor(
    private readonly opts: { now?: () => number; fsEveryMs?: number; si?: SiLike; loadavg?: () => number[] } = {},
  ) {}

  async read(): Promise<HostFigures> {
    const sys: SiLike = this.opts.si ?? ((await import('systeminformation')).default as unknown as SiLike);
    const now = (this.opts.now ?? Date.now)();
    const [load, mem, diskPct] = await Promise.all([sys.currentLoad(), sys.mem(), this.disk(sys, now)]);
    const cpu = Number.isFinite(load.currentLoad) ? clampPct(load.currentLoad) : null;
    const memPct = mem.total > 0 ? clampPct(((mem.total - mem.available) / mem.total) * 100) : null;
    const load1 = (this.opts.loadavg ?? os.loadavg)()[0];
    return { cpuPct: cpu, memPct, diskPct, load1: load1 !== undefined && Number.isFinite(load1) ? load1 : null };
  }

  private async disk(sys: SiLike, now: number): Promise<number | null> {
    const every = this.opts.fsEveryMs ?? 30_000;
    if (this.fsCache && now - this.fsCache.at < every) return this.fsCache.pct;
    let pct: number | null = null;
    try {
      const fs = await sys.fsSize();
      const root = fs.find((f) => f.mount === '/');
      if (root) {
        if (root.used + root.available > 0) pct = clampPct((root.used / (root.used + root.available)) * 100);
        else if (root.use !== null && Number.isFinite(root.use)) pct = clampPct(root.use);
      }
    } catch {
      pct = this.fsCache?.pct ?? null;
    }
    this.fsCache = { at: now, pct };
    return pct;
  }
}

/** Used % of a filesystem from statfs(2), as df computes it: used / (used + available to users). */
export function statfsUsedPct(st: { blocks: number; bfree: number; bavail: number }): number | null {
  const used = st.blocks - st.bfree;
  const total = used + st.bavail;
  return total > 0 ? clampPct((used / total) * 100) : null;
}

/** This Linux machine, from /proc and statfs: the same figures as over SSH, without a process. */
export class ProcFsHostReader implements HostReader {
  private prevCpu: CpuTimes | undefined;

  constructor(
    private readonly opts: {
      /** Where /proc is (tests point it at a folder of captured files). */
      procDir?: string;
      /** The filesystem whose used % is shown (default /). */
      root?: string;
      statfs?: (p: string) => Promise<{ blocks: number; bfree: number; bavail: number }>;
      sleep?: (ms: number) => Promise<void>;
    } = {},
  ) {}

  async read(): Promise<HostFigures> {
    const proc = this.opts.procDir ?? '/proc';
    const text = (name: string) => readFile(path.join(proc, name), 'utf8').catch(() => '');
    const cpuNow = async () => parseProcStatCpu((await text('stat')).split('\n', 1)[0] ?? '');
    let prev = this.prevCpu;
    if (prev === undefined) {
      // A first figure at once: two samples 250 ms apart, as the SSH reader does.
      prev = await cpuNow();
      await (this.opts.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms))))(250);
    }
    const [cur, meminfo, loadavg, diskPct] = await Promise.all([
      cpuNow(),
      text('meminfo'),
      text('loadavg'),
      (this.opts.statfs ?? statfs)(this.opts.root ?? '/').then(statfsUsedPct, () => null),
    ]);
    if (cur) this.prevCpu = cur;
    const figures = { cpuPct: prev && cur ? cpuPercent(prev, cur) : null, memPct: parseMeminfo(meminfo), diskPct, load1: parseLoadavg(loadavg) };
    if (cur === undefined && figures.memPct === null && figures.load1 === null) throw new Error(`host metrics: cannot read ${proc}/stat, meminfo or loadavg`);
    return figures;
  }
}

/** The right reader for a target: /proc locally on Linux (systeminformation elsewhere), /proc over SSH. */
export function hostReaderFor(target: Target, opts: { now?: () => number; timeoutMs?: number; platform?: NodeJS.Platform } = {}): HostReader {
  if (target.id !== 'local') return new ProcHostReader(target, opts.timeoutMs);
  return (opts.platform ?? process.platform) === 'linux' ? new ProcFsHostReader() : new LocalHostReader({ now: opts.now });
}

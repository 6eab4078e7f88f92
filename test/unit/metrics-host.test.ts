import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cpuPercent,
  hostCommand,
  hostReaderFor,
  LocalHostReader,
  parseDfP,
  ProcFsHostReader,
  statfsUsedPct,
  parseHostSnapshot,
  parseLoadavg,
  parseMeminfo,
  parseProcStatCpu,
  ProcHostReader,
  type SiLike,
} from '../../src/metrics/host.js';
import type { RunOptions, RunResult, Target } from '../../src/targets/target.js';

// Captured on a Debian 12 VM (2 CPUs, 24 GB) with hostCommand(true).
const CAPTURED = `@@hubops-stat
cpu  21688 0 11346 824624 582 0 110 53 0 0
@@hubops-stat
cpu  21688 0 11349 824670 582 0 110 53 0 0
@@hubops-meminfo
MemTotal:       24684096 kB
MemFree:        23630704 kB
MemAvailable:   24088860 kB
Buffers:            6896 kB
Cached:           622880 kB
SwapCached:            0 kB
Active:           458520 kB
Inactive:         342200 kB
Active(anon):       1640 kB
Inactive(anon):   178092 kB
SwapTotal:             0 kB
SwapFree:              0 kB
HugePages_Total:       0
Hugepagesize:       2048 kB
DirectMap1G:    25165824 kB
@@hubops-loadavg
0.53 0.59 0.33 1/205 11215
@@hubops-df
Filesystem     1024-blocks     Used Available Capacity Mounted on
/dev/vda         264212084 23866364  82524548      23% /
`;

describe('host parsers on captured /proc text', () => {
  it('parses a whole snapshot', () => {
    const s = parseHostSnapshot(CAPTURED);
    expect(s.cpu).toEqual([
      { total: 21688 + 11346 + 824624 + 582 + 110 + 53, idle: 824624 + 582 },
      { total: 21688 + 11349 + 824670 + 582 + 110 + 53, idle: 824670 + 582 },
    ]);
    // 49 jiffies passed, 46 idle: 3/49 busy.
    expect(cpuPercent(s.cpu[0]!, s.cpu[1]!)).toBeCloseTo((3 / 49) * 100, 10);
    expect(s.memPct).toBeCloseTo(((24684096 - 24088860) / 24684096) * 100, 10);
    expect(s.diskPct).toBeCloseTo((23866364 / (23866364 + 82524548)) * 100, 10);
    expect(s.load1).toBe(0.53);
  });

  it('/proc/stat lines', () => {
    expect(parseProcStatCpu('cpu0 1 2 3 4')).toBeUndefined(); // per-CPU lines are not the aggregate
    expect(parseProcStatCpu('cpu  10 0 10 80')).toEqual({ total: 100, idle: 80 }); // old kernels: 4 fields
    expect(parseProcStatCpu('intr 1 2 3')).toBeUndefined();
    expect(parseProcStatCpu('cpu  a b c d')).toBeUndefined();
    expect(cpuPercent({ total: 100, idle: 50 }, { total: 100, idle: 50 })).toBeNull();
    expect(cpuPercent({ total: 100, idle: 50 }, { total: 200, idle: 50 })).toBe(100);
  });

  it('meminfo without MemAvailable (old kernels) falls back to free + buffers + cached', () => {
    expect(parseMeminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 100 kB\nCached: 300 kB\n')).toBeCloseTo(50, 10);
    expect(parseMeminfo('nothing here')).toBeNull();
  });

  it('df -kP with a filesystem name containing spaces, and other mounts', () => {
    const text = 'Filesystem 1024-blocks Used Available Capacity Mounted on\nmy disk (1) 1000 250 750 25% /\n';
    expect(parseDfP(text)).toBe(25);
    expect(parseDfP('Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/x 10 5 5 50% /boot\n')).toBeNull();
    expect(parseDfP('df: /: No such file or directory')).toBeNull();
  });

  it('loadavg', () => {
    expect(parseLoadavg('12.05 3.00 1.00 3/400 99\n')).toBe(12.05);
    expect(parseLoadavg('')).toBeNull();
  });

  it('a snapshot with missing sections gives nulls, not exceptions', () => {
    expect(parseHostSnapshot('')).toEqual({ cpu: [], memPct: null, diskPct: null, load1: null });
    expect(parseHostSnapshot('@@hubops-stat\ngarbage\n@@hubops-df\n')).toEqual({ cpu: [], memPct: null, diskPct: null, load1: null });
  });
});

/** A Target that answers `run` from a list of canned outputs (what an SSH host would print). */
function cannedTarget(outputs: string[], commands: string[]): Target {
  return {
    id: 'ssh://ops@127.0.0.1:2222',
    async run(command: string, opts: RunOptions = {}): Promise<RunResult> {
      commands.push(command);
      const out = outputs.shift() ?? '';
      const lines = out.split('\n');
      if (lines.at(-1) === '') lines.pop();
      for (const l of lines) opts.onLine?.(l, 'stdout');
      return { code: 0, tail: lines.slice(-1), timedOut: false, durationMs: 1 };
    },
    openUnixSocket: () => Promise.reject(new Error('no')),
    openTcp: () => Promise.reject(new Error('no')),
    onState: () => () => {},
    close: async () => {},
  };
}

describe('ProcHostReader (SSH)', () => {
  it('one run per sample; CPU from two /proc/stat readings', async () => {
    const second = CAPTURED.replace(/@@hubops-stat\ncpu[^\n]*\n@@hubops-stat\n/, '@@hubops-stat\n').replace('cpu  21688 0 11349 824670', 'cpu  21788 0 11349 825070');
    const commands: string[] = [];
    const reader = new ProcHostReader(cannedTarget([CAPTURED, second], commands));
    const a = await reader.read();
    expect(a.cpuPct).toBeCloseTo((3 / 49) * 100, 10);
    expect(a.memPct).toBeCloseTo(2.4114, 3);
    const b = await reader.read();
    // +100 user, +400 idle.
    expect(b.cpuPct).toBeCloseTo(20, 10);
    expect(commands).toHaveLength(2);
    expect(commands[0]).toBe(hostCommand(true));
    expect(commands[1]).toBe(hostCommand(false));
    expect(commands[1]).toContain('df -kP /');
  });

  it('a target without /proc is an error in words', async () => {
    const reader = new ProcHostReader(cannedTarget(['sh: /proc/stat: not found\n'], []));
    await expect(reader.read()).rejects.toThrow(/no \/proc figures/);
  });
});

describe('LocalHostReader', () => {
  it('calls fsSize at most every 30 s', async () => {
    let now = 1_000_000;
    let fsCalls = 0;
    const si: SiLike = {
      currentLoad: async () => ({ currentLoad: 12.5 }),
      mem: async () => ({ total: 1000, available: 250 }),
      fsSize: async () => {
        fsCalls++;
        return [
          { mount: '/boot', use: 90, used: 9, available: 1 },
          { mount: '/', use: 40, used: 40, available: 60 },
        ];
      },
    };
    const reader = new LocalHostReader({ now: () => now, si, loadavg: () => [0.75, 0.5, 0.25] });
    expect(await reader.read()).toEqual({ cpuPct: 12.5, memPct: 75, diskPct: 40, load1: 0.75 });
    now += 10_000;
    await reader.read();
    now += 19_000;
    await reader.read();
    expect(fsCalls).toBe(1);
    now += 1_000;
    await reader.read();
    expect(fsCalls).toBe(2);
  });

  it('reads this machine with systeminformation: numbers in range', async () => {
    const reader = new LocalHostReader();
    const h = await reader.read();
    for (const v of [h.cpuPct, h.memPct, h.diskPct]) {
      expect(v).not.toBeNull();
      expect(v!).toBeGreaterThanOrEqual(0);
      expect(v!).toBeLessThanOrEqual(100);
    }
    expect(h.load1).toBeGreaterThanOrEqual(0);
  });
});

describe('ProcFsHostReader (this machine, Linux)', () => {
  it('reads /proc files and statfs: CPU between two samples, memory, load, disk as df computes it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hubops-proc-'));
    try {
      const meminfo = CAPTURED.split('@@hubops-meminfo\n')[1]!.split('@@hubops-')[0]!;
      writeFileSync(path.join(dir, 'meminfo'), meminfo);
      writeFileSync(path.join(dir, 'loadavg'), '0.52 0.58 0.59 2/1234 5678\n');
      writeFileSync(path.join(dir, 'stat'), 'cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1 2 3 4\n');
      const reader = new ProcFsHostReader({
        procDir: dir,
        statfs: async () => ({ blocks: 1000, bfree: 400, bavail: 300 }),
        // Between the first two samples: 100 more jiffies, 25 of them busy.
        sleep: async () => writeFileSync(path.join(dir, 'stat'), 'cpu  125 0 100 875 0 0 0 0 0 0\n'),
      });
      const first = await reader.read();
      expect(first.cpuPct).toBe(25);
      expect(first.memPct).toBeCloseTo(((24684096 - 24088860) / 24684096) * 100, 6);
      expect(first.load1).toBe(0.52);
      expect(first.diskPct).toBeCloseTo((600 / 900) * 100, 6);
      // Later samples compare with the previous one, without waiting.
      writeFileSync(path.join(dir, 'stat'), 'cpu  175 0 100 925 0 0 0 0 0 0\n');
      expect((await reader.read()).cpuPct).toBe(50);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails with the path when nothing can be read', async () => {
    await expect(new ProcFsHostReader({ procDir: '/nonexistent-proc', sleep: async () => {} }).read()).rejects.toThrow(/\/nonexistent-proc\/stat/);
  });

  it('on this machine: figures in range, the disk as `df -kP /` says', async () => {
    const h = await new ProcFsHostReader().read();
    for (const v of [h.cpuPct, h.memPct, h.diskPct]) {
      expect(v).not.toBeNull();
      expect(v!).toBeGreaterThanOrEqual(0);
      expect(v!).toBeLessThanOrEqual(100);
    }
    expect(h.load1).toBeGreaterThanOrEqual(0);
    const df = parseDfP(execFileSync('df', ['-kP', '/'], { encoding: 'utf8' }));
    expect(Math.abs(h.diskPct! - df!)).toBeLessThan(1);
  });

  it('statfs used %: blocks reserved for root do not count as free', () => {
    expect(statfsUsedPct({ blocks: 100, bfree: 100, bavail: 95 })).toBe(0);
    expect(statfsUsedPct({ blocks: 100, bfree: 10, bavail: 5 })).toBeCloseTo((90 / 95) * 100, 6);
    expect(statfsUsedPct({ blocks: 0, bfree: 0, bavail: 0 })).toBeNull();
  });

  it('is the reader for the local target on Linux; systeminformation elsewhere', () => {
    const local = { id: 'local' } as Target;
    expect(hostReaderFor(local, { platform: 'linux' })).toBeInstanceOf(ProcFsHostReader);
    expect(hostReaderFor(local, { platform: 'darwin' })).toBeInstanceOf(LocalHostReader);
  });
});

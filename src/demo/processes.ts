// The demo's processes as containers-pane rows: CPU from /proc/<pid>/stat deltas, memory from
// /proc/<pid>/status (VmRSS), and the source that emits them.

import { readFileSync } from 'node:fs';
import type { ContainerRow, Emit, Source } from '../live/events.js';
import { Poller } from '../live/poller.js';
import { readProcStat } from '../util/proc-stat.js';

/** Clock ticks per second for /proc times (USER_HZ): 100 on every Linux hubops runs on. */
const CLK_TCK = 100;

/** Resident memory from /proc/<pid>/status, in bytes; undefined when unknown. */
export function readRssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}


/** CPU % of one core per pid, from two successive samples (like `docker stats`). */
export class CpuSampler {
  private readonly last = new Map<number, { ticks: number; at: number }>();

  /** undefined for the first sample of a pid, or when /proc cannot be read. */
  sample(pid: number, now: number): number | undefined {
    const t = readProcStat(pid);
    if (!t) {
      this.last.delete(pid);
      return undefined;
    }
    const prev = this.last.get(pid);
    this.last.set(pid, { ticks: t.ticks, at: now });
    if (!prev || now <= prev.at) return undefined;
    const pct = ((t.ticks - prev.ticks) / CLK_TCK / ((now - prev.at) / 1000)) * 100;
    return Math.max(0, Math.round(pct * 10) / 10);
  }

  /** Forget pids not in `keep` (processes that were replaced). */
  retain(keep: readonly number[]): void {
    for (const pid of this.last.keys()) if (!keep.includes(pid)) this.last.delete(pid);
  }
}

/** What happened to a demo process (for `container-event`s and immediate refreshes). */
export interface DemoProcessEvent {
  type: 'process';
  name: string;
  action: 'start' | 'die' | 'restarting';
  pid?: number;
  at: number;
  /** For `die`: exit code, or the signal that ended it. */
  code?: number | null;
  signal?: string | null;
}

export interface DemoFaultEvent {
  type: 'faults';
  at: number;
  faults: Record<string, unknown>;
}

export type DemoStackEvent = DemoProcessEvent | DemoFaultEvent;

/** What ProcessesSource needs from the stack (DemoStack has it). */
export interface ProcessRowsProvider {
  processes(now?: number): ContainerRow[];
  /** Probes what the rows' `health` shows (the API's /health). Never rejects. */
  refreshHealth(): Promise<void>;
  subscribe(listener: (e: DemoStackEvent) => void): () => void;
}

export interface ProcessesSourceOptions {
  stack: ProcessRowsProvider;
  intervalMs: number;
  emit: Emit;
  now?: () => number;
}

/**
 * The containers pane's source for `hubops demo`: `{type: 'containers', rows}` every interval
 * (the first at start), and at once, with a `container-event`, when a process starts or dies, so a
 * crash shows within the same refresh. Never throws.
 */
export class ProcessesSource implements Source {
  private readonly now: () => number;
  private readonly poller: Poller;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;
  private started = false;

  constructor(private readonly opts: ProcessesSourceOptions) {
    this.now = opts.now ?? Date.now;
    this.poller = new Poller({ intervalMs: opts.intervalMs, now: this.now, poll: () => this.tick() });
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.unsubscribe = this.opts.stack.subscribe((e) => {
      if (this.stopped || e.type !== 'process') return;
      this.opts.emit({ type: 'container-event', at: e.at, id: `demo/${e.name}`, name: e.name, action: e.action });
      this.emitRows();
    });
    this.poller.start();
  }

  setShown(shown: boolean): void {
    this.poller.setShown(shown);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    await this.poller.stop();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    await this.opts.stack.refreshHealth().catch(() => undefined);
    this.emitRows();
  }

  private emitRows(): void {
    if (this.stopped) return;
    try {
      const at = this.now();
      this.opts.emit({ type: 'containers', at, rows: this.opts.stack.processes(at) });
    } catch (err) {
      this.opts.emit({ type: 'source-error', at: this.now(), pane: 'containers', source: 'demo', error: (err as Error).message });
    }
  }
}

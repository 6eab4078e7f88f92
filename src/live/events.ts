import type { ProbeResult } from '../sources/health.js';
import type { ConnectionState } from '../targets/target.js';

/** Times are epoch milliseconds, always passed in by the caller (sources get a `now()`). */

export interface ContainerRow {
  id: string;
  name: string;
  /** Compose service label, when the container has one. */
  service?: string;
  /** created | running | paused | restarting | removing | exited | dead — or, for demo processes: running | exited. */
  state: string;
  /** starting | healthy | unhealthy, when the container has a health check. */
  health?: string;
  restarts: number;
  /** When the current run started (epoch ms); undefined when not running. */
  startedAt?: number;
  image: string;
  /** Image tag (or short id when untagged). */
  tag: string;
  /** CPU % of one core since the previous sample; undefined until two samples exist. */
  cpuPct?: number;
  memBytes?: number;
  /** For non-container rows (the demo's processes). */
  pid?: number;
}

export interface LogLine {
  /** Source name from the config (`api`, `web`, …). */
  source: string;
  /** Timestamp of the line when the source gives one (Docker does), else arrival time. */
  ts: number;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface MetricReading {
  /** `errorRate`, `requestRate`, `p99`, `saturation`, `cpu`, `memory`, `disk`, `load`. */
  name: string;
  /** null: the source answered but had no data (empty vector, NaN). */
  value: number | null;
  unit: 'ratio' | 'per-second' | 'seconds' | 'percent' | 'bytes' | 'load';
}

export type LiveEvent =
  | { type: 'containers'; at: number; rows: ContainerRow[] }
  | { type: 'container-event'; at: number; id: string; name: string; action: string }
  | { type: 'logs'; at: number; lines: LogLine[] }
  | { type: 'logs-dropped'; at: number; source: string; count: number }
  | { type: 'health'; at: number; name: string; result: ProbeResult }
  /** `nextInMs`: when the source polls again (more than the refresh while it backs off). */
  | { type: 'metrics'; at: number; readings: MetricReading[]; nextInMs?: number }
  | { type: 'source-error'; at: number; pane: 'containers' | 'logs' | 'health' | 'metrics'; source: string; error: string }
  | { type: 'source-ok'; at: number; pane: 'containers' | 'logs' | 'health' | 'metrics'; source: string }
  | { type: 'link'; at: number; target: string; state: ConnectionState };

export type Emit = (e: LiveEvent) => void;

/** A running source: started by the live session, stopped when the console closes. */
export interface Source {
  start(): void;
  stop(): Promise<void>;
  /** Its pane is on screen or not; a polling source polls nothing while hidden. */
  setShown?(shown: boolean): void;
}
